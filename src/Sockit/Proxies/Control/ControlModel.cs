using System.Net;
using System.Text.Json;
using Sockit.Endpoints;
using Sockit.Proxies.Faults;
using Sockit.Transport;

namespace Sockit.Proxies.Control;

/// <summary>What a create or populate body asks for, as toxiproxy reads it: strings as given, empty when absent.</summary>
internal sealed record ProxyInput(string Name, string Listen, string Upstream, bool? Enabled);

/// <summary>
/// Turns toxiproxy's JSON into Sockit's model and back, the way toxiproxy's Go decoder reads it: fields are matched
/// exactly or else ignoring case, fields it does not know are ignored, a field of the wrong type is a "bad request body".
/// Input is read field by field (not bound to classes), so the command stays Native AOT.
/// </summary>
internal static class ControlModel
{
    /// <summary>Where a proxy created without "listen" listens: loopback, a port the OS picks.</summary>
    public const string DefaultListen = "127.0.0.1:0";

    public static ProxyJson ToJson(Proxy proxy) =>
        new(proxy.Name, proxy.Listen.ToString(), proxy.Upstream.ToString(), proxy.Enabled, ToJson(proxy.Faults));

    /// <summary>A proxy's toxics as toxiproxy lists them: the upstream chain, then the downstream one, each in the order added.</summary>
    public static List<ToxicJson> ToJson(FaultSet faults) => [.. faults.Toxics.OrderBy(t => t.Stream).Select(ToJson)];

    public static ToxicJson ToJson(Toxic toxic) =>
        new(new Dictionary<string, long>(toxic.Attributes), toxic.Name, toxic.Type, Toxic.StreamName(toxic.Stream), toxic.Toxicity);

    /// <summary>Parses a JSON body; an empty or malformed one is a "bad request body" (400).</summary>
    public static JsonDocument ParseBody(ReadOnlyMemory<byte> body)
    {
        if (body.Span.Trim(" \t\r\n"u8).IsEmpty) throw ApiError.BadRequestBody("EOF"); // Go's decoder on an empty body
        try
        {
            return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw ApiError.BadRequestBody($"malformed JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}");
        }
    }

    /// <summary>The fields of a create or populate entry (a <c>toxics</c> array is ignored, as toxiproxy ignores it).</summary>
    public static ProxyInput ReadProxyInput(JsonElement json)
    {
        RequireObject(json, "a proxy");
        return new ProxyInput(String(json, "name") ?? "", String(json, "listen") ?? "", String(json, "upstream") ?? "", Bool(json, "enabled"));
    }

    /// <summary>toxiproxy's first checks: a name, then an upstream; <paramref name="index"/> (from 1) names the populate entry.</summary>
    public static void RequireFields(ProxyInput input, int? index = null)
    {
        var at = index is { } i ? $" at proxy {i}" : "";
        if (input.Name.Length == 0) throw ApiError.MissingField($"name{at}");
        if (input.Upstream.Length == 0) throw ApiError.MissingField($"upstream{at}");
    }

    /// <summary>
    /// The definition to start. An unusable listen address fails as toxiproxy's <c>net.Listen</c> fails (500, Go's
    /// text); an upstream that is not an address is refused at once (400), where toxiproxy would fail each connection.
    /// </summary>
    public static ProxyDefinition ToDefinition(ProxyInput input, IReadOnlyList<Toxic>? toxics = null) =>
        new(input.Name, ParseListen(input.Listen.Length == 0 ? DefaultListen : input.Listen, "listen tcp: "), ParseUpstream(input.Upstream),
            input.Enabled ?? true, toxics);

    /// <summary>A config file's proxy: as a create body, and (a Sockit extension) with the toxics to start with.</summary>
    public static ProxyDefinition ReadConfigProxy(JsonElement json, int index)
    {
        var input = ReadProxyInput(json);
        RequireFields(input, index);
        var toxics = new List<Toxic>();
        var list = Field(json, "toxics");
        if (list is { ValueKind: not JsonValueKind.Null } array)
        {
            if (array.ValueKind != JsonValueKind.Array) throw ApiError.BadRequestBody($"toxics of proxy {input.Name} must be an array");
            foreach (var toxic in array.EnumerateArray()) toxics.Add(ReadNewToxic(toxic, null));
        }
        return ToDefinition(input, toxics);
    }

    /// <summary>The changes of a proxy update: any of listen, upstream, enabled (parsed; toxiproxy's resolve error when listen is no address).</summary>
    public static (Endpoint? Listen, Endpoint? Upstream, bool? Enabled) ReadProxyUpdate(JsonElement json)
    {
        RequireObject(json, "a proxy");
        var listen = String(json, "listen");
        var upstream = String(json, "upstream");
        var enabled = Bool(json, "enabled");
        return (listen is null ? null : ParseListen(listen.Length == 0 ? DefaultListen : listen, ""), upstream is null ? null : ParseUpstream(upstream), enabled);
    }

    /// <summary>
    /// A new toxic, checked in toxiproxy's order: the body, the stream, the type, the name's uniqueness in
    /// <paramref name="existing"/>, then the attributes. Attributes the type does not have are ignored, as toxiproxy ignores them.
    /// </summary>
    public static Toxic ReadNewToxic(JsonElement json, FaultSet? existing)
    {
        RequireObject(json, "a toxic");
        var streamText = String(json, "stream") ?? "downstream";
        var type = String(json, "type") ?? "";
        var name = String(json, "name");
        var toxicity = Number(json, "toxicity") ?? 1;
        var attributes = AttributesObject(json);
        // toxiproxy lowercases the stream to find the direction, but names the toxic after the text as given.
        var stream = streamText.ToLowerInvariant() switch
        {
            "upstream" => ToxicStream.Upstream,
            "downstream" => ToxicStream.Downstream,
            _ => throw ApiError.InvalidStream,
        };
        if (string.IsNullOrEmpty(name)) name = $"{type}_{streamText}";
        if (!ToxicTypes.Attributes.ContainsKey(type)) throw ApiError.InvalidToxicType;
        if (existing?.Find(name) is not null) throw ApiError.ToxicAlreadyExists;
        return Toxic.Create(type, name, stream, toxicity, KnownAttributes(attributes, type));
    }

    /// <summary>Applies an update (attributes and toxicity; toxiproxy does not move a toxic to the other stream) to <paramref name="toxic"/>.</summary>
    public static Toxic ApplyToxicUpdate(Toxic toxic, JsonElement json)
    {
        RequireObject(json, "a toxic");
        var toxicity = Number(json, "toxicity");
        return toxic.With(KnownAttributes(AttributesObject(json), toxic.Type), toxicity);
    }

    /// <summary>
    /// Go's text for a listen address that cannot be bound (toxiproxy passes <c>net.Listen</c>'s error on with a 500):
    /// <c>listen tcp 127.0.0.1:3310: bind: address already in use</c>.
    /// </summary>
    public static async Task<string> ListenFailureAsync(Endpoint listen, SockitException failure)
    {
        var cause = failure.Error switch
        {
            SockitError.AddressInUse => "address already in use",
            SockitError.PermissionDenied => "permission denied",
            SockitError.AddressNotAvailable => "cannot assign requested address",
            SockitError.UnknownHost => null,
            _ => "",
        };
        if (cause is null) return $"listen tcp: lookup {listen.Host}: no such host";
        if (cause.Length == 0 || listen.IsUnixDomain) return failure.Message; // no Go equivalent: toxiproxy listens on TCP only
        var address = listen.ToString();
        try
        {
            // Go's net.Listen binds the first IPv4 address of a name, and names that address in its error.
            var resolved = (await Resolver.ResolveAsync(listen, CancellationToken.None).ConfigureAwait(false)).OfType<IPEndPoint>().ToList();
            var chosen = resolved.FirstOrDefault(a => a.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? resolved.FirstOrDefault();
            if (chosen is not null) address = Endpoint.FromEndPoint(chosen, TransportKind.Tcp).ToString();
        }
        catch (SockitException)
        {
            // the name no longer resolves: keep it as given
        }
        return $"listen tcp {address}: bind: {cause}";
    }

    private static Endpoint ParseListen(string text, string prefix)
    {
        if (Endpoint.TryParse(text, out var endpoint, out var reason)) return endpoint;
        // Go's wording for the common case (toxiproxy's populate test sends "local373"); ours for the rest.
        var detail = text.Contains(':', StringComparison.Ordinal) ? reason : "missing port in address";
        throw ApiError.Internal($"{prefix}address {text}: {detail}");
    }

    private static Endpoint ParseUpstream(string text)
    {
        try
        {
            return Endpoint.Parse(text);
        }
        catch (SockitException ex)
        {
            throw new ApiError(400, $"upstream: {ex.Message}");
        }
    }

    private static JsonElement? AttributesObject(JsonElement json)
    {
        var attributes = Field(json, "attributes");
        if (attributes is not { ValueKind: not JsonValueKind.Null } value) return null;
        return value.ValueKind == JsonValueKind.Object ? value : throw ApiError.BadRequestBody("attributes must be an object");
    }

    /// <summary>The attributes the type has, as whole numbers (as toxiproxy's int64 fields take them); the rest are ignored.</summary>
    private static List<KeyValuePair<string, long>> KnownAttributes(JsonElement? attributes, string type)
    {
        var result = new List<KeyValuePair<string, long>>();
        if (attributes is not { } json) return result;
        foreach (var (name, _) in ToxicTypes.Attributes[type])
        {
            if (Field(json, name) is not { ValueKind: not JsonValueKind.Null } value) continue;
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
                throw ApiError.BadRequestBody($"{type} attribute {name} must be a whole number");
            result.Add(new(name, number));
        }
        return result;
    }

    /// <summary>A field as Go's decoder finds it: the exact name, or else the first that matches ignoring case.</summary>
    private static JsonElement? Field(JsonElement json, string field)
    {
        if (json.TryGetProperty(field, out var exact)) return exact;
        foreach (var property in json.EnumerateObject())
            if (string.Equals(property.Name, field, StringComparison.OrdinalIgnoreCase)) return property.Value;
        return null;
    }

    private static string? String(JsonElement json, string field)
    {
        if (Field(json, field) is not { ValueKind: not JsonValueKind.Null } value) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw ApiError.BadRequestBody($"{field} must be a string");
    }

    private static bool? Bool(JsonElement json, string field)
    {
        if (Field(json, field) is not { ValueKind: not JsonValueKind.Null } value) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw ApiError.BadRequestBody($"{field} must be true or false"),
        };
    }

    private static double? Number(JsonElement json, string field)
    {
        if (Field(json, field) is not { ValueKind: not JsonValueKind.Null } value) return null;
        return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw ApiError.BadRequestBody($"{field} must be a number");
    }

    private static void RequireObject(JsonElement json, string what)
    {
        if (json.ValueKind != JsonValueKind.Object) throw ApiError.BadRequestBody($"expected {what} as a JSON object, not {json.ValueKind.ToString().ToLowerInvariant()}");
    }
}
