using System.Text.Json;
using Sockit.Endpoints;
using Sockit.Proxies.Faults;

namespace Sockit.Proxies.Control;

/// <summary>
/// Turns toxiproxy's JSON into Sockit's model and back. Input is read field by field (not bound to classes), so every
/// wrong type or value gets a message naming the field, and fields toxiproxy ignores are ignored here too.
/// </summary>
internal static class ControlModel
{
    /// <summary>Where a proxy created without "listen" listens: loopback, a port the OS picks.</summary>
    public const string DefaultListen = "127.0.0.1:0";

    public static ProxyJson ToJson(Proxy proxy) =>
        new(proxy.Name, proxy.Listen.ToString(), proxy.Upstream.ToString(), proxy.Enabled, [.. proxy.Faults.Toxics.Select(ToJson)]);

    public static ToxicJson ToJson(Toxic toxic) =>
        new(toxic.Name, toxic.Type, Toxic.StreamName(toxic.Stream), toxic.Toxicity, new Dictionary<string, long>(toxic.Attributes));

    /// <summary>Parses a JSON body; malformed JSON is a 400.</summary>
    public static JsonDocument ParseBody(ReadOnlyMemory<byte> body)
    {
        try
        {
            return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw BadRequest($"bad request body: malformed JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}");
        }
    }

    /// <summary>A proxy definition from a create, populate or config entry.</summary>
    public static ProxyDefinition ReadProxy(JsonElement json)
    {
        RequireObject(json, "a proxy");
        var name = String(json, "name") ?? throw BadRequest("missing required field: name");
        var upstream = String(json, "upstream") ?? throw BadRequest($"missing required field: upstream (proxy {name})");
        var toxics = new List<Toxic>();
        if (json.TryGetProperty("toxics", out var list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array) throw BadRequest($"toxics of proxy {name} must be an array");
            toxics.AddRange(list.EnumerateArray().Select(ReadNewToxic));
        }
        return new ProxyDefinition(name, ParseEndpoint(String(json, "listen") ?? DefaultListen, "listen"), ParseEndpoint(upstream, "upstream"),
            Bool(json, "enabled") ?? true, toxics);
    }

    /// <summary>The changes of a proxy update: any of listen, upstream, enabled.</summary>
    public static (Endpoint? Listen, Endpoint? Upstream, bool? Enabled) ReadProxyUpdate(JsonElement json)
    {
        RequireObject(json, "a proxy update");
        var listen = String(json, "listen");
        var upstream = String(json, "upstream");
        return (listen is null ? null : ParseEndpoint(listen, "listen"), upstream is null ? null : ParseEndpoint(upstream, "upstream"), Bool(json, "enabled"));
    }

    /// <summary>A new toxic: type required; name, stream, toxicity and attributes optional.</summary>
    public static Toxic ReadNewToxic(JsonElement json)
    {
        RequireObject(json, "a toxic");
        var type = String(json, "type") ?? throw BadRequest("missing required field: type");
        return Toxic.Create(type, String(json, "name"), Stream(json) ?? ToxicStream.Downstream, Number(json, "toxicity") ?? 1, Attributes(json, type));
    }

    /// <summary>Applies an update (attributes and toxicity; toxiproxy does not move a toxic to the other stream) to <paramref name="toxic"/>.</summary>
    public static Toxic ApplyToxicUpdate(Toxic toxic, JsonElement json)
    {
        RequireObject(json, "a toxic update");
        return toxic.With(Attributes(json, toxic.Type), Number(json, "toxicity"));
    }

    private static List<KeyValuePair<string, long>> Attributes(JsonElement json, string type)
    {
        var result = new List<KeyValuePair<string, long>>();
        if (!json.TryGetProperty("attributes", out var attributes) || attributes.ValueKind == JsonValueKind.Null) return result;
        if (attributes.ValueKind != JsonValueKind.Object) throw BadRequest($"attributes of the {type} toxic must be an object");
        foreach (var attribute in attributes.EnumerateObject())
        {
            if (attribute.Value.ValueKind != JsonValueKind.Number || !attribute.Value.TryGetInt64(out var value))
                throw BadRequest($"{type} attribute {attribute.Name} must be a whole number");
            result.Add(new(attribute.Name, value));
        }
        return result;
    }

    private static ToxicStream? Stream(JsonElement json) => String(json, "stream") switch
    {
        null => null,
        "upstream" => ToxicStream.Upstream,
        "downstream" => ToxicStream.Downstream,
        var other => throw BadRequest($"stream was invalid ('{other}'), can be either upstream or downstream"),
    };

    private static string? String(JsonElement json, string field)
    {
        if (!json.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw BadRequest($"{field} must be a string");
    }

    private static bool? Bool(JsonElement json, string field)
    {
        if (!json.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw BadRequest($"{field} must be true or false"),
        };
    }

    private static double? Number(JsonElement json, string field)
    {
        if (!json.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw BadRequest($"{field} must be a number");
    }

    private static void RequireObject(JsonElement json, string what)
    {
        if (json.ValueKind != JsonValueKind.Object) throw BadRequest($"bad request body: expected {what} as a JSON object");
    }

    private static Endpoint ParseEndpoint(string text, string field)
    {
        try
        {
            return Endpoint.Parse(text);
        }
        catch (SockitException ex)
        {
            throw BadRequest($"{field}: {ex.Message}");
        }
    }

    private static SockitException BadRequest(string message) => new(SockitError.InvalidArgument, message);
}
