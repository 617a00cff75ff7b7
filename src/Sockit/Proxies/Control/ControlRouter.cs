using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Sockit.Proxies.Control;

/// <summary>An answer of the control API: a status and a JSON body (empty for 204).</summary>
internal readonly record struct ControlResponse(int Status, byte[] Body);

/// <summary>
/// toxiproxy's HTTP API over a <see cref="ProxyCollection"/>: the same paths, methods, status codes and JSON, so
/// toxiproxy clients drive Sockit unchanged. Every failure is an answer with a message, never an exception out.
/// </summary>
internal sealed class ControlRouter(ProxyCollection proxies, string version)
{
    private static readonly ControlJsonContext Json = ControlJsonContext.Default;

    public async Task<ControlResponse> HandleAsync(string method, string path, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        try
        {
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
            return await RouteAsync(method, segments, body, cancellationToken).ConfigureAwait(false);
        }
        catch (SockitException ex)
        {
            return Error(ex.Error switch
            {
                SockitError.NotFound => 404,
                SockitError.AlreadyExists => 409,
                SockitError.InvalidArgument or SockitError.InvalidEndpoint => 400,
                _ => 500, // the OS refused: an address in use, a port below 1024
            }, ex.Message);
        }
    }

    private async Task<ControlResponse> RouteAsync(string method, string[] path, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var update = method is "POST" or "PATCH";
        switch (path)
        {
            case ["version"] when method == "GET":
                return Ok(new VersionJson(version), Json.VersionJson);
            case ["reset"] when method == "POST":
                await proxies.ResetAsync(cancellationToken).ConfigureAwait(false);
                return NoContent;
            case ["proxies"] when method == "GET":
                return Ok(proxies.All.ToDictionary(p => p.Name, ControlModel.ToJson), Json.DictionaryStringProxyJson);
            case ["proxies"] when method == "POST":
            {
                using var json = ControlModel.ParseBody(body);
                var proxy = await proxies.AddAsync(ControlModel.ReadProxy(json.RootElement), cancellationToken).ConfigureAwait(false);
                return Answer(201, ControlModel.ToJson(proxy), Json.ProxyJson);
            }
            case ["populate"] when method == "POST":
                return await PopulateAsync(body, cancellationToken).ConfigureAwait(false);
            case ["proxies", var name] when method == "GET":
                return Ok(ControlModel.ToJson(proxies.Get(name)), Json.ProxyJson);
            case ["proxies", var name] when update:
            {
                var proxy = proxies.Get(name);
                using var json = ControlModel.ParseBody(body);
                var (listen, upstream, enabled) = ControlModel.ReadProxyUpdate(json.RootElement);
                await proxy.UpdateAsync(listen, upstream, enabled, cancellationToken).ConfigureAwait(false);
                return Ok(ControlModel.ToJson(proxy), Json.ProxyJson);
            }
            case ["proxies", var name] when method == "DELETE":
                await proxies.RemoveAsync(name).ConfigureAwait(false);
                return NoContent;
            case ["proxies", var name, "toxics"] when method == "GET":
                return Ok([.. proxies.Get(name).Faults.Toxics.Select(ControlModel.ToJson)], Json.ListToxicJson);
            case ["proxies", var name, "toxics"] when method == "POST":
            {
                var proxy = proxies.Get(name);
                using var json = ControlModel.ParseBody(body);
                return Ok(ControlModel.ToJson(proxy.Faults.Add(ControlModel.ReadNewToxic(json.RootElement))), Json.ToxicJson);
            }
            case ["proxies", var name, "toxics", var toxic] when method == "GET":
                return Ok(ControlModel.ToJson(proxies.Get(name).Faults.Find(toxic) ?? throw ToxicNotFound(toxic)), Json.ToxicJson);
            case ["proxies", var name, "toxics", var toxic] when update:
            {
                var proxy = proxies.Get(name);
                using var json = ControlModel.ParseBody(body);
                var root = json.RootElement;
                return Ok(ControlModel.ToJson(proxy.Faults.Update(toxic, t => ControlModel.ApplyToxicUpdate(t, root))), Json.ToxicJson);
            }
            case ["proxies", var name, "toxics", var toxic] when method == "DELETE":
                proxies.Get(name).Faults.Remove(toxic);
                return NoContent;
            case ["version" or "reset" or "proxies" or "populate", ..] when path.Length <= 4:
                return Error(405, $"{method} is not allowed on /{string.Join('/', path)}");
            default:
                return Error(404, $"no such API path /{string.Join('/', path)}; see GET /proxies");
        }
    }

    private async Task<ControlResponse> PopulateAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var json = ControlModel.ParseBody(body);
        // toxiproxy takes a bare array; a {"proxies": [...]} object, as GET answers, is taken too.
        var list = json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("proxies", out var inner) ? inner : json.RootElement;
        if (list.ValueKind != JsonValueKind.Array) return Error(400, "bad request body: populate takes a JSON array of proxies");
        var definitions = list.EnumerateArray().Select(ControlModel.ReadProxy).ToList();
        var names = definitions.GroupBy(d => d.Name).FirstOrDefault(g => g.Count() > 1);
        if (names is not null) return Error(400, $"proxy {names.Key} is listed twice");
        var populated = await proxies.PopulateAsync(definitions, cancellationToken).ConfigureAwait(false);
        return Answer(201, new PopulateJson([.. populated.Select(ControlModel.ToJson)]), Json.PopulateJson);
    }

    private static SockitException ToxicNotFound(string name) => new(SockitError.NotFound, $"toxic {name} not found");

    private static ControlResponse NoContent => new(204, []);

    private static ControlResponse Ok<T>(T value, JsonTypeInfo<T> type) => Answer(200, value, type);

    private static ControlResponse Answer<T>(int status, T value, JsonTypeInfo<T> type) => new(status, JsonSerializer.SerializeToUtf8Bytes(value, type));

    public static ControlResponse Error(int status, string message) => Answer(status, new ErrorJson(message, status), Json.ErrorJson);
}
