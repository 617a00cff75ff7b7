using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sockit.Mock;

/// <summary>
/// mountebank's checks of an imposter before it is created (impostersController.validate and dryRunValidator), with
/// its messages: the protocol and port, every stub's responses, behaviors and repeat, and a dry run of every
/// predicate against a test request. JavaScript (inject, decorate, a wait function, shellTransform) is refused. Beyond
/// mountebank: a <c>path</c> (a Unix socket instead of a port) and the udp protocol, whose checks are here too.
/// </summary>
internal static class ImposterValidator
{
    private static readonly JsonObject TcpTestRequest = new() { ["data"] = "test" };

    private static readonly JsonObject HttpTestRequest = new()
    {
        ["requestFrom"] = "", ["method"] = "GET", ["path"] = "/", ["query"] = new JsonObject(), ["headers"] = new JsonObject(), ["form"] = new JsonObject(), ["body"] = "",
    };

    /// <summary>Every error of <paramref name="imposter"/>, none when it is valid.</summary>
    public static List<MockError> Validate(JsonNode? imposter)
    {
        var errors = new List<MockError>();
        if (imposter is not JsonObject request)
        {
            errors.Add(MockError.Validation("an imposter is a JSON object"));
            return errors;
        }
        var port = request["port"];
        // A Unix-socket imposter's port is only its number in the API, so it may be any positive integer.
        var maxPort = request.ContainsKey("path") ? int.MaxValue : 65535;
        if (port is not null && !(Js.TryInteger(port, out var p) && !Js.ToText(port).Contains('.') && p > 0 && p <= maxPort))
            errors.Add(MockError.Validation("invalid value for 'port'"));
        var protocol = request["protocol"];
        if (protocol is null) errors.Add(MockError.Validation("'protocol' is a required field"));
        else if (Js.ToText(protocol) is not ("tcp" or "http" or "https" or "tls" or "udp"))
            errors.Add(MockError.Validation($"the {Js.ToText(protocol)} protocol is not yet supported"));
        if (errors.Count > 0) return errors;
        var udp = Js.ToText(protocol) == "udp";
        if (request.ContainsKey("path")) errors.AddRange(ValidatePath(request, udp));
        var tcp = Js.ToText(protocol) is "tcp" or "tls" || udp;
        errors.AddRange(ValidateStubs(request["stubs"], tcp, request["mode"] is JsonNode m && Js.ToText(m) == "binary", udp));
        if (udp && request.ContainsKey("framing")) errors.Add(MockError.Validation("'framing' is for tcp imposters: each udp datagram is one request"));
        if (request["endOfRequestResolver"] is JsonObject resolver && resolver.ContainsKey("inject")) errors.Add(Predicates.Injection(resolver));
        if (tcp && !udp)
        {
            try
            {
                TcpFraming.From(request["framing"], request["mode"] is JsonNode b && Js.ToText(b) == "binary");
            }
            catch (MockError error)
            {
                errors.Add(error);
            }
        }
        if (tcp && request["mode"] is JsonNode mode && Js.ToText(mode) is not ("text" or "binary"))
            errors.Add(MockError.Validation("'mode' must be one of ['text', 'binary']"));
        return errors;
    }

    /// <summary>A Unix socket <c>path</c>: a file path, or @name for a Linux abstract socket, of a stream imposter.</summary>
    private static IEnumerable<MockError> ValidatePath(JsonObject request, bool udp)
    {
        if (request["path"] is not JsonValue path || path.GetValueKind() != JsonValueKind.String || Js.ToText(path).Length == 0)
        {
            yield return MockError.Validation("'path' must be a Unix socket path: a file path, or @name for a Linux abstract socket");
            yield break;
        }
        if (udp) yield return MockError.Validation("'path' is for tcp, http, https and tls imposters: a udp imposter listens on a port");
        else if (!Sockit.Endpoints.Endpoint.TryParse("unix://" + Js.ToText(path), out _, out var error))
            yield return MockError.Validation($"invalid value for 'path': {error}");
        if (request.ContainsKey("host")) yield return MockError.Validation("an imposter listens on a 'host' or on a Unix socket 'path', not both");
    }

    /// <summary>The checks of a list of stubs, as for new stubs of an existing imposter.</summary>
    /// <param name="stubs">The stubs.</param>
    /// <param name="tcp">The imposter's requests are <c>data</c> (tcp, tls, udp), not HTTP.</param>
    /// <param name="binary">Its data is base64.</param>
    /// <param name="udp">A udp imposter: no faults, proxies or toxics, which need a connection.</param>
    public static List<MockError> ValidateStubs(JsonNode? stubs, bool tcp, bool binary, bool udp = false)
    {
        var errors = new List<MockError>();
        foreach (var stub in stubs as JsonArray ?? [])
        {
            var stubErrors = ValidateStub(stub as JsonObject ?? [], tcp, binary);
            if (udp && stubErrors.Count == 0) stubErrors.AddRange(UdpErrors(stub as JsonObject ?? []));
            errors.AddRange(stubErrors);
        }
        return errors;
    }

    /// <summary>What a udp imposter cannot do: a datagram has no connection to fault, proxy over or shape.</summary>
    private static IEnumerable<MockError> UdpErrors(JsonObject stub)
    {
        foreach (var response in (stub["responses"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (Js.Truthy(response["fault"]))
                yield return MockError.Validation("a fault response needs a connection, and udp has no connection to reset; an empty 'data' sends no reply", response);
            if (response.ContainsKey("proxy")) yield return MockError.Validation("proxy responses are not supported by udp imposters", response);
            if (Behaviors(response).Any(b => b.ContainsKey("toxic")))
                yield return MockError.Validation("toxic behaviors shape a connection's stream, and udp has none; use the wait behavior to delay a reply", response);
        }
    }

    private static List<MockError> ValidateStub(JsonObject stub, bool tcp, bool binary)
    {
        var errors = new List<MockError>();
        if (stub["responses"] is not JsonArray { Count: > 0 } responses)
        {
            errors.Add(MockError.Validation("'responses' must be a non-empty array", stub));
            return errors;
        }
        if (HasInjection(stub, responses)) errors.Add(Predicates.Injection(stub));
        if (responses.OfType<JsonObject>().Any(r => Behaviors(r).Any(b => b.ContainsKey("shellTransform"))))
            errors.Add(new MockError(MockError.InvalidInjection, "shellTransform is not supported by sockit mock: it runs programs of the imposter's choosing; use behaviors instead", stub));
        foreach (var response in responses.OfType<JsonObject>())
        {
            foreach (var behavior in Behaviors(response)) errors.AddRange(ValidateBehavior(behavior));
            var repeat = response["repeat"];
            if (repeat is not null && (repeat.GetValueKind() is not (JsonValueKind.Number or JsonValueKind.String) || Js.TryInteger(repeat, out var times) && times <= 0))
                errors.Add(MockError.Validation("\"repeat\" field must be an integer greater than 0", response));
        }
        if (errors.Count > 0) return errors;
        // The dry run: every predicate against a test request, every response resolved.
        try
        {
            var request = (JsonObject)(tcp ? TcpTestRequest : HttpTestRequest).DeepClone();
            foreach (var predicate in stub["predicates"] as JsonArray ?? []) Predicates.Evaluate(predicate, request, binary);
            foreach (var response in responses) CheckResponse(response as JsonObject ?? []);
        }
        catch (MockError error)
        {
            errors.Add(error.Source is null ? new MockError(error.Code, error.Message, JsonValue.Create(Js.Stringify(stub))) : error);
        }
        return errors;
    }

    private static bool HasInjection(JsonObject stub, JsonArray responses) =>
        responses.OfType<JsonObject>().Any(r =>
            r.ContainsKey("inject") || Behaviors(r).Any(b => b.ContainsKey("decorate") || b["wait"] is JsonValue w && w.GetValueKind() == JsonValueKind.String)
            || r["proxy"] is JsonObject proxy && ((proxy["predicateGenerators"] as JsonArray)?.OfType<JsonObject>().Any(g => g.ContainsKey("inject")) == true || proxy.ContainsKey("addDecorateBehavior")))
        || (stub["predicates"] as JsonArray ?? []).OfType<JsonObject>().Any(p => p.ContainsKey("inject"));

    internal static IEnumerable<JsonObject> Behaviors(JsonObject response) => (response["behaviors"] as JsonArray ?? []).OfType<JsonObject>();

    /// <summary>Whether a behavior of <paramref name="response"/> has <paramref name="name"/>; no enumerator made when it has none.</summary>
    internal static bool HasBehavior(JsonObject response, string name)
    {
        if (response["behaviors"] is not JsonArray behaviors) return false;
        foreach (var behavior in behaviors)
        {
            if (behavior is JsonObject obj && obj.ContainsKey(name)) return true;
        }
        return false;
    }

    private static IEnumerable<MockError> ValidateBehavior(JsonObject behavior)
    {
        if (behavior["wait"] is JsonNode wait && !(wait.GetValueKind() == JsonValueKind.String || Js.TryInteger(wait, out var ms) && ms >= 0 && !Js.ToText(wait).Contains('.')))
            yield return MockError.Validation("wait behavior \"wait\" field must be an integer greater than or equal to 0", behavior);
        if (behavior["copy"] is JsonNode copy)
        {
            if (copy is not JsonObject config)
            {
                yield return MockError.Validation("copy behavior \"copy\" field must be an object", behavior);
                yield break;
            }
            foreach (var field in (string[])["from", "into", "using"])
            {
                if (!config.ContainsKey(field)) yield return MockError.Validation($"copy behavior \"{field}\" field required", behavior);
            }
            if (config["using"] is JsonObject usingConfig && usingConfig["method"] is JsonNode method && Js.ToText(method) == "xpath")
                yield return MockError.Validation("copy behavior \"using.method\" xpath is not supported by sockit mock; use regex or jsonpath", behavior);
            if (config["using"] is JsonObject jsonpath && Js.ToText(jsonpath["method"]) == "jsonpath" && SelectorError(jsonpath["selector"]) is { } error) yield return error;
        }
        if (behavior.ContainsKey("lookup")) yield return MockError.Validation("the lookup behavior is not supported by sockit mock", behavior);
        if (behavior.ContainsKey("toxic") && ToxicError(behavior["toxic"]) is { } toxic) yield return toxic;
    }

    private static MockError? SelectorError(JsonNode? selector)
    {
        try
        {
            JsonPath.Check(Js.ToText(selector));
            return null;
        }
        catch (MockError error)
        {
            return error;
        }
    }

    private static MockError? ToxicError(JsonNode? toxic)
    {
        try
        {
            ResponseToxics.Parse(toxic);
            return null;
        }
        catch (MockError error)
        {
            return error;
        }
    }

    private static void CheckResponse(JsonObject response)
    {
        var types = ((string[])["is", "proxy", "inject", "fault"]).Count(t => Js.Truthy(response[t]));
        if (types > 1) throw MockError.Validation("each response object must have only one response type", response);
        if (types == 0) throw MockError.Validation("unrecognized response type", response);
        if (response["proxy"] is JsonObject proxy)
        {
            if (proxy["to"] is null) throw MockError.Validation("Missing to");
            if (!Uri.TryCreate(Js.ToText(proxy["to"]), UriKind.Absolute, out var to)) throw MockError.Validation($"Invalid URL {Js.ToText(proxy["to"])}");
            if (to.Scheme.StartsWith("http", StringComparison.Ordinal) && to.AbsolutePath != "/") throw MockError.Validation($"proxy.to must not contain a path '{to.AbsolutePath}'");
        }
    }
}
