using System.Text.Json.Nodes;

namespace Sockit.Mock;

/// <summary>
/// Builds one stub of mountebank's JSON: predicates (all must match) and a cycle of responses. A field is a request
/// field (<c>data</c> for tcp; <c>method</c>, <c>path</c>, <c>body</c> for http) or a dotted path into one
/// (<c>query.q</c>, <c>headers.Accept</c>).
/// </summary>
public sealed class StubBuilder
{
    private readonly string _protocol;
    private readonly JsonArray _predicates = [];
    private readonly JsonArray _responses = [];

    internal StubBuilder(string protocol) => _protocol = protocol;

    /// <summary>The field equals <paramref name="value"/> (case-insensitive unless <paramref name="caseSensitive"/>).</summary>
    public StubBuilder Equals(string field, string value, bool caseSensitive = false) => Predicate("equals", field, value, caseSensitive);

    /// <summary>The field contains <paramref name="value"/>.</summary>
    public StubBuilder Contains(string field, string value, bool caseSensitive = false) => Predicate("contains", field, value, caseSensitive);

    /// <summary>The field starts with <paramref name="value"/>.</summary>
    public StubBuilder StartsWith(string field, string value, bool caseSensitive = false) => Predicate("startsWith", field, value, caseSensitive);

    /// <summary>The field ends with <paramref name="value"/>.</summary>
    public StubBuilder EndsWith(string field, string value, bool caseSensitive = false) => Predicate("endsWith", field, value, caseSensitive);

    /// <summary>The field matches the regular expression <paramref name="pattern"/>.</summary>
    public StubBuilder Matches(string field, string pattern, bool caseSensitive = false) => Predicate("matches", field, pattern, caseSensitive);

    /// <summary>The field is present and not empty (or absent, with <paramref name="exists"/> false).</summary>
    public StubBuilder Exists(string field, bool exists = true) => Add("exists", field, JsonValue.Create(exists), false);

    /// <summary>A predicate of mountebank's JSON, as is.</summary>
    public StubBuilder Predicate(string predicateJson)
    {
        _predicates.Add(JsonNode.Parse(predicateJson));
        return this;
    }

    /// <summary>Answers with <paramref name="text"/>: the data of a tcp reply, the body of an http 200.</summary>
    public StubBuilder Reply(string text) =>
        Is(_protocol is "tcp" or "tls" or "udp" ? new JsonObject { ["data"] = text } : new JsonObject { ["statusCode"] = 200, ["body"] = text });

    /// <summary>Answers an http request with <paramref name="statusCode"/>, <paramref name="body"/> and headers.</summary>
    public StubBuilder Is(int statusCode, string body = "", IReadOnlyDictionary<string, string>? headers = null)
    {
        var response = new JsonObject { ["statusCode"] = statusCode, ["body"] = body };
        if (headers is not null) response["headers"] = new JsonObject(headers.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)JsonValue.Create(h.Value))));
        return Is(response);
    }

    /// <summary>An <c>is</c> response of mountebank's JSON.</summary>
    public StubBuilder Is(JsonObject response) => Response(new JsonObject { ["is"] = response });

    /// <summary>A fault: <c>CONNECTION_RESET_BY_PEER</c> or <c>RANDOM_DATA_THEN_CLOSE</c>.</summary>
    public StubBuilder Fault(string fault) => Response(new JsonObject { ["fault"] = fault });

    /// <summary>Proxies to <paramref name="to"/> (<c>tcp://host:port</c> or <c>http://host:port</c>) in <paramref name="mode"/>.</summary>
    public StubBuilder Proxy(string to, string mode = "proxyOnce") => Response(new JsonObject { ["proxy"] = new JsonObject { ["to"] = to, ["mode"] = mode } });

    /// <summary>The last response waits <paramref name="milliseconds"/> before it is sent.</summary>
    public StubBuilder Wait(int milliseconds) => Behavior(new JsonObject { ["wait"] = milliseconds });

    /// <summary>The last response is given <paramref name="times"/> times before the next.</summary>
    public StubBuilder Repeat(int times)
    {
        Last()["repeat"] = times;
        return this;
    }

    private StubBuilder Behavior(JsonObject behavior)
    {
        var last = Last();
        if (last["behaviors"] is not JsonArray behaviors) last["behaviors"] = behaviors = [];
        behaviors.Add((JsonNode)behavior);
        return this;
    }

    private JsonObject Last() => _responses.Count > 0 ? (JsonObject)_responses[^1]! : throw new InvalidOperationException("add a response (Reply, Is, Fault, Proxy) first");

    private StubBuilder Response(JsonObject response)
    {
        _responses.Add((JsonNode)response);
        return this;
    }

    private StubBuilder Predicate(string op, string field, string value, bool caseSensitive) => Add(op, field, JsonValue.Create(value), caseSensitive);

    private StubBuilder Add(string op, string field, JsonNode value, bool caseSensitive)
    {
        // "query.q" becomes {"query": {"q": value}}.
        var parts = field.Split('.', 2);
        JsonNode inner = parts.Length == 2 ? new JsonObject { [parts[1]] = value } : value;
        var predicate = new JsonObject { [op] = new JsonObject { [parts[0]] = inner } };
        if (caseSensitive) predicate["caseSensitive"] = true;
        _predicates.Add((JsonNode)predicate);
        return this;
    }

    internal JsonObject ToJson()
    {
        var stub = new JsonObject();
        if (_predicates.Count > 0) stub["predicates"] = _predicates.DeepClone();
        stub["responses"] = _responses.DeepClone();
        return stub;
    }
}
