using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sockit.Mock;

/// <summary>An answer of the mock's API: a status, a JSON body, maybe a Location.</summary>
internal readonly record struct MockApiResponse(int Status, JsonNode Body, string? Location = null);

/// <summary>
/// mountebank's REST API over an <see cref="ImposterSet"/> (impostersController.js and imposterController.js): the
/// same paths, status codes and JSON, and the same <c>errors</c> bodies, so curl scripts and mountebank client
/// libraries drive Sockit unchanged.
/// </summary>
internal sealed class MockRouter(ImposterSet imposters)
{
    public async Task<MockApiResponse> HandleAsync(string method, string target, string? host, byte[] body, CancellationToken cancellationToken)
    {
        var question = target.IndexOf('?', StringComparison.Ordinal);
        var path = (question < 0 ? target : target[..question]).Split('/', StringSplitOptions.RemoveEmptyEntries);
        var query = question < 0 ? [] : HttpImposterService.ParseQuery(target[(question + 1)..]);
        bool Flag(string key) => query[key] is JsonNode v && Js.ToText(v).Equals("true", StringComparison.OrdinalIgnoreCase);
        var baseUrl = host is null ? "" : $"http://{host}";
        try
        {
            switch (path)
            {
                case ["imposters"] when method == "GET":
                {
                    var replayable = Flag("replayable");
                    var removeProxies = Flag("removeProxies");
                    return Ok(new JsonObject { ["imposters"] = Array(imposters.All.Select(i => i.ToJson(baseUrl, !(replayable || removeProxies), replayable, removeProxies))) });
                }
                case ["imposters"] when method == "POST":
                {
                    var definition = Parse(body) as JsonObject ?? throw Errors(MockError.Validation("an imposter is a JSON object"));
                    var imposter = await imposters.AddAsync(definition, cancellationToken).ConfigureAwait(false);
                    return new MockApiResponse(201, imposter.ToJson(baseUrl), $"{baseUrl}/imposters/{imposter.Port}");
                }
                case ["imposters"] when method == "PUT":
                {
                    if (Parse(body) is not JsonObject request || !request.ContainsKey("imposters")) throw Errors(MockError.Validation("'imposters' is a required field"));
                    var list = (request["imposters"] as JsonArray ?? []).Select(i => i as JsonObject ?? []).ToList();
                    var started = await imposters.ReplaceAllAsync(list, cancellationToken).ConfigureAwait(false);
                    return Ok(new JsonObject { ["imposters"] = Array(started.Select(i => i.ToJson(baseUrl, list: true))) });
                }
                case ["imposters"] when method == "DELETE":
                {
                    // Replayable unless told otherwise, for backwards compatibility (mountebank's comment).
                    var replayable = !(query["replayable"] is JsonNode r && Js.ToText(r).Equals("false", StringComparison.OrdinalIgnoreCase));
                    var json = Array(imposters.All.Select(i => i.ToJson(baseUrl, false, replayable, Flag("removeProxies"))));
                    await imposters.RemoveAllAsync().ConfigureAwait(false);
                    return Ok(new JsonObject { ["imposters"] = json });
                }
                case ["imposters", var id] when method == "DELETE":
                {
                    var imposter = Find(id, required: false);
                    if (imposter is null) return Ok(new JsonObject());
                    var json = imposter.ToJson(baseUrl, false, Flag("replayable"), Flag("removeProxies"));
                    await imposters.RemoveAsync(imposter.Port).ConfigureAwait(false);
                    return Ok(json);
                }
                case ["imposters", var id] when method == "GET":
                    return Ok(Find(id)!.ToJson(baseUrl, false, Flag("replayable"), Flag("removeProxies")));
                case ["imposters", var id, "savedRequests"] when method == "DELETE":
                {
                    var imposter = Find(id)!;
                    imposter.ResetRequests();
                    return Ok(imposter.ToJson(baseUrl));
                }
                // mountebank 2.9.1 keeps "requests" as the old name of savedProxyResponses, not of savedRequests.
                case ["imposters", var id, "savedProxyResponses" or "requests"] when method == "DELETE":
                {
                    var imposter = Find(id)!;
                    imposter.DeleteSavedProxyResponses();
                    return Ok(imposter.ToJson(baseUrl));
                }
                case ["imposters", var id, "stubs"] when method == "PUT":
                {
                    var imposter = Find(id)!;
                    var stubs = (Parse(body) as JsonObject)?["stubs"];
                    if (stubs is null) throw Errors(MockError.Validation("'stubs' is a required field"));
                    if (stubs is not JsonArray array) throw Errors(MockError.Validation("'stubs' must be an array"));
                    imposter.ReplaceStubs(array);
                    return Ok(imposter.ToJson(baseUrl));
                }
                case ["imposters", var id, "stubs"] when method == "POST":
                {
                    var imposter = Find(id)!;
                    var request = Parse(body) as JsonObject ?? [];
                    var errors = new List<MockError>();
                    int? index = null;
                    if (request["index"] is JsonNode i)
                    {
                        if (i.GetValueKind() == JsonValueKind.Number && Js.TryInteger(i, out var n) && n >= 0 && n <= imposter.StubCount) index = (int)n;
                        else errors.Add(MockError.Validation("'index' must be between 0 and the length of the stubs array"));
                    }
                    if (request["stub"] is not JsonObject stub) errors.Add(MockError.Validation("must contain 'stub' field"));
                    if (errors.Count > 0) throw new MockErrors(errors);
                    imposter.AddStub((JsonObject)request["stub"]!, index);
                    return Ok(imposter.ToJson(baseUrl));
                }
                case ["imposters", var id, "stubs", var index] when method is "PUT" or "DELETE":
                {
                    var imposter = Find(id)!;
                    if (!int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var at) || at >= imposter.StubCount)
                        return Error(404, [Imposter.NoStub()]);
                    if (method == "DELETE") imposter.DeleteStub(at);
                    else imposter.ReplaceStub(at, Parse(body) as JsonObject ?? []);
                    return Ok(imposter.ToJson(baseUrl));
                }
                case []:
                    return Ok(new JsonObject
                    {
                        ["_links"] = new JsonObject
                        {
                            ["imposters"] = new JsonObject { ["href"] = $"{baseUrl}/imposters" },
                        },
                    });
                default:
                    return Error(404, [new MockError(MockError.NoSuchResource, $"no such API path /{string.Join('/', path)}; see GET /imposters")]);
            }
        }
        catch (MockErrors errors)
        {
            return Error(errors.Errors.Any(e => e.Code == MockError.NoSuchResource) ? 404 : 400, errors.Errors);
        }
        catch (MockError error)
        {
            return Error(400, [error]);
        }
    }

    private Imposter? Find(string id, bool required = true)
    {
        var imposter = int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? imposters.Find(port) : null;
        if (imposter is null && required) throw Errors(new MockError(MockError.NoSuchResource, "Try POSTing to /imposters first?"));
        return imposter;
    }

    private static JsonNode? Parse(byte[] body)
    {
        try
        {
            return body.Length == 0 ? new JsonObject() : JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            throw Errors(new MockError(MockError.InvalidJson, "Unable to parse body as JSON", JsonValue.Create(Imposter.Utf8.GetString(body))));
        }
    }

    private static MockErrors Errors(MockError error) => new([error]);

    private static JsonArray Array(IEnumerable<JsonObject> items) => new([.. items.Select(i => (JsonNode)i)]);

    private static MockApiResponse Ok(JsonNode body) => new(200, body);

    private static MockApiResponse Error(int status, List<MockError> errors) =>
        new(status, new JsonObject { ["errors"] = new JsonArray([.. errors.Select(e => (JsonNode)e.ToJson())]) });
}
