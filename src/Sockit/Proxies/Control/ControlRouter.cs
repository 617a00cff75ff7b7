using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Sockit.Proxies.Faults;

namespace Sockit.Proxies.Control;

/// <summary>An answer of the control API: a status, a body (empty for 204) and its content type.</summary>
internal readonly record struct ControlResponse(int Status, byte[] Body, string ContentType = "application/json");

/// <summary>
/// toxiproxy's HTTP API over a <see cref="ProxyCollection"/> (api.go): the same paths, methods, status codes, JSON
/// and error texts, checked in the same order, so toxiproxy clients and test suites drive Sockit unchanged. Every
/// failure is an answer with a message, never an exception out.
/// </summary>
internal sealed class ControlRouter(ProxyCollection proxies, string version)
{
    // Go's encoder leaves quotes and non-ASCII text as they are ("can't", not "can\u0027t"); so does the relaxed one.
    private static readonly ControlJsonContext Json = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public async Task<ControlResponse> HandleAsync(string method, string path, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        try
        {
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
            return await RouteAsync(method, segments, body, cancellationToken).ConfigureAwait(false);
        }
        catch (ApiError error)
        {
            return Error(error.Status, error.Message);
        }
        catch (SockitException ex)
        {
            return Error(StatusOf(ex), ex.Message);
        }
    }

    private async Task<ControlResponse> RouteAsync(string method, string[] path, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var update = method is "POST" or "PATCH";
        switch (path)
        {
            case ["version"] when method == "GET":
                // Written as toxiproxy writes it, by hand: a space after the colon and a newline.
                return new(200, Encoding.UTF8.GetBytes($"{{\"version\": \"{JsonEncodedText.Encode(version)}\"}}\n"), "application/json;charset=utf-8");
            case ["reset"] when method == "POST":
                await proxies.ResetAsync(cancellationToken).ConfigureAwait(false);
                return NoContent;
            case ["proxies"] when method == "GET":
                return Ok(proxies.All.ToDictionary(p => p.Name, ControlModel.ToJson), Json.DictionaryStringProxyJson);
            case ["proxies"] when method == "POST":
                return await CreateAsync(body, cancellationToken).ConfigureAwait(false);
            case ["populate"] when method == "POST":
                return await PopulateAsync(body, cancellationToken).ConfigureAwait(false);
            case ["proxies", var name] when method == "GET":
                return Ok(ControlModel.ToJson(Proxy(name)), Json.ProxyJson);
            case ["proxies", var name] when update:
                return await UpdateAsync(Proxy(name), body, cancellationToken).ConfigureAwait(false);
            case ["proxies", var name] when method == "DELETE":
                Proxy(name);
                await Translate(proxies.RemoveAsync(name)).ConfigureAwait(false);
                return NoContent;
            case ["proxies", var name, "toxics"] when method == "GET":
                return Ok(ControlModel.ToJson(Proxy(name).Faults), Json.ListToxicJson);
            case ["proxies", var name, "toxics"] when method == "POST":
            {
                var faults = Proxy(name).Faults;
                using var json = ControlModel.ParseBody(body);
                var toxic = ControlModel.ReadNewToxic(json.RootElement, faults);
                return Ok(ControlModel.ToJson(Translate(() => faults.Add(toxic))), Json.ToxicJson);
            }
            case ["proxies", var name, "toxics", var toxic] when method == "GET":
                return Ok(ControlModel.ToJson(Toxic(Proxy(name).Faults, toxic)), Json.ToxicJson);
            case ["proxies", var name, "toxics", var toxic] when update:
            {
                var faults = Proxy(name).Faults;
                Toxic(faults, toxic); // toxiproxy looks for the toxic before it reads the body
                using var json = ControlModel.ParseBody(body);
                var root = json.RootElement;
                return Ok(ControlModel.ToJson(Translate(() => faults.Update(toxic, t => ControlModel.ApplyToxicUpdate(t, root)))), Json.ToxicJson);
            }
            case ["proxies", var name, "toxics", var toxic] when method == "DELETE":
            {
                var faults = Proxy(name).Faults;
                Translate(() => faults.Remove(toxic));
                return NoContent;
            }
            case ["version" or "reset" or "proxies" or "populate", ..] when path.Length <= 4:
                return Error(405, $"{method} is not allowed on /{string.Join('/', path)}");
            default:
                return Error(404, $"no such API path /{string.Join('/', path)}; see GET /proxies");
        }
    }

    /// <summary>api.go's ProxyCreate: body, name, upstream, a free name, then the listen address.</summary>
    private async Task<ControlResponse> CreateAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var json = ControlModel.ParseBody(body);
        var input = ControlModel.ReadProxyInput(json.RootElement);
        ControlModel.RequireFields(input);
        if (proxies.Find(input.Name) is not null) throw ApiError.ProxyAlreadyExists;
        var definition = ControlModel.ToDefinition(input);
        var proxy = await StartingAsync(definition.Listen, () => proxies.AddAsync(definition, cancellationToken)).ConfigureAwait(false);
        return Answer(201, ControlModel.ToJson(proxy), Json.ProxyJson);
    }

    /// <summary>api.go's ProxyUpdate: a listen address equivalent to the current one leaves the proxy where it is.</summary>
    private static async Task<ControlResponse> UpdateAsync(Proxy proxy, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var json = ControlModel.ParseBody(body);
        var (listen, upstream, enabled) = ControlModel.ReadProxyUpdate(json.RootElement);
        if (listen is not null && await proxy.ListensAtAsync(listen, cancellationToken).ConfigureAwait(false)) listen = null;
        await StartingAsync(listen ?? proxy.Listen, async () =>
        {
            await proxy.UpdateAsync(listen, upstream, enabled, cancellationToken).ConfigureAwait(false);
            return proxy;
        }).ConfigureAwait(false);
        return Ok(ControlModel.ToJson(proxy), Json.ProxyJson);
    }

    /// <summary>
    /// proxy_collection.go's PopulateJson: every entry is checked for a name and an upstream before any is made; then
    /// each is made or kept in turn, and the first that fails ends it, with the ones made so far in the answer.
    /// </summary>
    private async Task<ControlResponse> PopulateAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var made = new List<ProxyJson>();
        try
        {
            using var json = ControlModel.ParseBody(body);
            if (json.RootElement.ValueKind != JsonValueKind.Array)
                throw ApiError.BadRequestBody($"populate takes a JSON array of proxies, not {json.RootElement.ValueKind.ToString().ToLowerInvariant()}");
            var inputs = json.RootElement.EnumerateArray().Select(ControlModel.ReadProxyInput).ToList();
            for (var i = 0; i < inputs.Count; i++) ControlModel.RequireFields(inputs[i], i + 1);
            foreach (var input in inputs)
            {
                var definition = ControlModel.ToDefinition(input);
                var proxy = await StartingAsync(definition.Listen, () => proxies.AddOrReplaceAsync(definition, cancellationToken)).ConfigureAwait(false);
                made.Add(ControlModel.ToJson(proxy));
            }
        }
        catch (ApiError error)
        {
            return Answer(error.Status, new PopulateJson(error.Message, error.Status, made.Count == 0 ? null : made), Json.PopulateJson, newline: false);
        }
        catch (SockitException ex)
        {
            return Answer(StatusOf(ex), new PopulateJson(ex.Message, StatusOf(ex), made.Count == 0 ? null : made), Json.PopulateJson, newline: false);
        }
        return Answer(201, new PopulateJson(null, 0, made.Count == 0 ? null : made), Json.PopulateJson);
    }

    /// <summary>Runs a start of a proxy on <paramref name="listen"/>; a bind that fails is answered as toxiproxy answers it: 500, Go's text.</summary>
    private static async Task<Proxy> StartingAsync(Sockit.Endpoints.Endpoint listen, Func<Task<Proxy>> start)
    {
        try
        {
            return await start().ConfigureAwait(false);
        }
        catch (SockitException ex) when (ex.Error is SockitError.AlreadyExists)
        {
            throw ApiError.ProxyAlreadyExists;
        }
        catch (SockitException ex) when (StatusOf(ex) == 500)
        {
            throw ApiError.Internal(await ControlModel.ListenFailureAsync(listen, ex).ConfigureAwait(false));
        }
    }

    private Proxy Proxy(string name) => proxies.Find(name) ?? throw ApiError.ProxyNotFound;

    private static Toxic Toxic(FaultSet faults, string name) => faults.Find(name) ?? throw ApiError.ToxicNotFound;

    /// <summary>Runs a change of a proxy's toxics; one that lost a race with another client gets toxiproxy's text.</summary>
    private static T Translate<T>(Func<T> change)
    {
        try
        {
            return change();
        }
        catch (SockitException ex) when (ex.Error is SockitError.NotFound or SockitError.AlreadyExists)
        {
            throw ex.Error == SockitError.NotFound ? ApiError.ToxicNotFound : ApiError.ToxicAlreadyExists;
        }
    }

    private static void Translate(Action change) => Translate(() =>
    {
        change();
        return 0;
    });

    private static async Task Translate(Task removal)
    {
        try
        {
            await removal.ConfigureAwait(false);
        }
        catch (SockitException ex) when (ex.Error == SockitError.NotFound)
        {
            throw ApiError.ProxyNotFound;
        }
    }

    private static int StatusOf(SockitException ex) => ex.Error switch
    {
        SockitError.NotFound => 404,
        SockitError.AlreadyExists => 409,
        SockitError.InvalidArgument or SockitError.InvalidEndpoint => 400,
        _ => 500, // the OS refused: an address in use, a port below 1024
    };

    private static ControlResponse NoContent => new(204, []);

    private static ControlResponse Ok<T>(T value, JsonTypeInfo<T> type) => Answer(200, value, type);

    private static ControlResponse Answer<T>(int status, T value, JsonTypeInfo<T> type, bool newline = false)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(value, type);
        return new(status, newline ? [.. json, (byte)'\n'] : json);
    }

    /// <summary>An error as toxiproxy writes it through http.Error: the JSON object and a newline.</summary>
    public static ControlResponse Error(int status, string message) => Answer(status, new ErrorJson(message, status), Json.ErrorJson, newline: true);
}
