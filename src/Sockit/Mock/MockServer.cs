using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sockit.Endpoints;

namespace Sockit.Mock;

/// <summary>
/// One imposter in process, for a test: <c>await using var mock = await MockServer.StartAsync("http");</c>, stubs added
/// fluently (<see cref="Stub"/>) or as mountebank's JSON (<see cref="AddStub(string)"/>), then <see cref="Requests"/>.
/// It listens on loopback on a port of its own (port 0), so tests run in parallel. Requests are recorded.
/// </summary>
public sealed class MockServer : IAsyncDisposable
{
    internal static readonly JsonSerializerOptions PrettyJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true, IndentSize = 2 };

    private readonly Imposter _imposter;

    private MockServer(Imposter imposter) => _imposter = imposter;

    /// <summary>The port it listens on (for an imposter on a Unix socket, its number, which it does not bind).</summary>
    public int Port => _imposter.Port;

    /// <summary>Where it listens: a loopback port, or the Unix socket its JSON's <c>path</c> names.</summary>
    public Endpoint LocalEndpoint => _imposter.LocalEndpoint;

    /// <summary>http://127.0.0.1:port, or https:// for an https imposter; http://localhost/ on a Unix socket (connect to <see cref="LocalEndpoint"/>).</summary>
    public Uri Url => new($"{(_imposter.Protocol == "https" ? "https" : "http")}://{(LocalEndpoint.IsUnixDomain ? "localhost" : $"{LocalEndpoint.Host}:{Port}")}/");

    /// <summary>The requests received so far, oldest first, as mountebank's request JSON (<c>path</c>, <c>body</c>, <c>data</c>, ...).</summary>
    public IReadOnlyList<JsonObject> Requests => _imposter.Requests;

    /// <summary>
    /// Starts an empty imposter of <paramref name="protocol"/> on a free loopback port: <c>tcp</c>, <c>http</c>,
    /// <c>https</c> (http over TLS with a certificate for localhost made in memory), <c>tls</c> (tcp over TLS) or
    /// <c>udp</c> (each datagram a request, each reply a datagram).
    /// </summary>
    /// <exception cref="SockitException">The protocol is none of those.</exception>
    public static Task<MockServer> StartAsync(string protocol = "http", CancellationToken cancellationToken = default) =>
        StartAsync(new JsonObject { ["protocol"] = protocol }, cancellationToken);

    /// <summary>
    /// Starts an imposter from mountebank's JSON for one imposter (port 0 or none for a free port; a <c>path</c> for a
    /// Unix socket instead, such as <c>{"protocol": "http", "path": "/tmp/api.sock"}</c>).
    /// </summary>
    /// <exception cref="SockitException">The JSON or the imposter is invalid.</exception>
    public static Task<MockServer> StartFromJsonAsync(string imposterJson, CancellationToken cancellationToken = default)
    {
        List<JsonObject> all;
        try
        {
            all = ParseImposters(imposterJson);
        }
        catch (MockException ex)
        {
            throw Refused(ex.Errors);
        }
        if (all.Count != 1) throw Refused([MockError.Validation("StartFromJsonAsync takes one imposter")]);
        return StartAsync(all[0], cancellationToken);
    }

    private static async Task<MockServer> StartAsync(JsonObject definition, CancellationToken cancellationToken)
    {
        definition["recordRequests"] ??= true;
        try
        {
            return new MockServer(await Imposter.StartAsync(definition, "127.0.0.1", new MockOptions { MaxRecordedRequests = 0 }, null, cancellationToken).ConfigureAwait(false));
        }
        catch (MockErrors errors)
        {
            throw Refused(errors.Errors);
        }
    }

    /// <summary>mountebank's errors as the library's one exception: "bad data: missing predicate; ...".</summary>
    private static SockitException Refused(IEnumerable<MockError> errors) =>
        new(SockitError.InvalidArgument, string.Join("; ", errors.Select(e => $"{e.Code}: {e.Message}")));

    /// <summary>Adds a stub built fluently: <c>mock.Stub(s =&gt; s.Equals("path", "/hi").Is(200, "hello"))</c>.</summary>
    /// <exception cref="SockitException">The stub is invalid.</exception>
    public MockServer Stub(Action<StubBuilder> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var builder = new StubBuilder(_imposter.Protocol);
        build(builder);
        return Add(builder.ToJson());
    }

    /// <summary>Adds a stub from mountebank's JSON (<c>{"predicates": [...], "responses": [...]}</c>).</summary>
    /// <exception cref="SockitException">The JSON or the stub is invalid.</exception>
    public MockServer AddStub(string stubJson)
    {
        try
        {
            return Add(Parse(stubJson) as JsonObject ?? throw new MockException([MockError.Validation("a stub is a JSON object")]));
        }
        catch (MockException ex)
        {
            throw Refused(ex.Errors);
        }
    }

    private MockServer Add(JsonObject stub)
    {
        try
        {
            _imposter.AddStub(stub, null);
        }
        catch (MockErrors errors)
        {
            throw Refused(errors.Errors);
        }
        catch (MockError error)
        {
            throw Refused([error]);
        }
        return this;
    }

    /// <summary>
    /// The recorded requests that match every predicate <paramref name="match"/> adds, as a stub's predicates would match
    /// them: <c>mock.RequestsMatching(r =&gt; r.Equals("method", "POST").StartsWith("path", "/orders"))</c>.
    /// </summary>
    /// <exception cref="SockitException">A predicate is invalid.</exception>
    public IReadOnlyList<JsonObject> RequestsMatching(Action<StubBuilder> match)
    {
        ArgumentNullException.ThrowIfNull(match);
        return Matching(Predicates(match), Requests);
    }

    /// <summary>
    /// Checks that the mock received requests that match every predicate <paramref name="match"/> adds: exactly
    /// <paramref name="times"/> of them, or at least one when it is null. Returns the mock, so checks chain.
    /// </summary>
    /// <exception cref="MockAssertionException">It did not; the message lists what the mock received instead.</exception>
    /// <exception cref="SockitException">A predicate is invalid.</exception>
    public MockServer AssertReceived(Action<StubBuilder> match, int? times = null)
    {
        ArgumentNullException.ThrowIfNull(match);
        ArgumentOutOfRangeException.ThrowIfNegative(times ?? 0, nameof(times));
        var predicates = Predicates(match);
        var received = Requests;
        var count = Matching(predicates, received).Count;
        if (times is { } exactly ? count == exactly : count > 0) return this;
        var wanted = times is { } n ? $"{n} request{(n == 1 ? "" : "s")}" : "a request";
        var seen = received.Count == 0 ? "it received none"
            : $"it received {received.Count}: {string.Join(", ", received.Take(10).Select(Describe))}{(received.Count > 10 ? ", ..." : "")}";
        throw new MockAssertionException($"expected {wanted} matching {Js.Stringify(predicates)}, found {count}; {seen}");
    }

    private JsonArray Predicates(Action<StubBuilder> match)
    {
        var builder = new StubBuilder(_imposter.Protocol);
        match(builder);
        return builder.ToJson()["predicates"] as JsonArray ?? [];
    }

    private List<JsonObject> Matching(JsonArray predicates, IReadOnlyList<JsonObject> requests)
    {
        try
        {
            return [.. requests.Where(request => predicates.All(p => Sockit.Mock.Predicates.Evaluate(p, request, _imposter.Binary)))];
        }
        catch (MockError error)
        {
            throw Refused([error]);
        }
    }

    /// <summary>A request in a line: the method and path of an http request, the first bytes of tcp data.</summary>
    private static string Describe(JsonObject request)
    {
        if (request["method"] is JsonNode method) return $"{Js.ToText(method)} {Js.ToText(request["path"])}";
        var data = Js.ToText(request["data"]);
        return Js.Stringify(JsonValue.Create(data.Length > 40 ? data[..40] + "..." : data));
    }

    /// <summary>Forgets the recorded requests.</summary>
    public void ClearRequests() => _imposter.ResetRequests();

    /// <summary>The imposter as mountebank's API prints it.</summary>
    public string ToJson() => _imposter.ToJson(null).ToJsonString(PrettyJson);

    /// <summary>Stops listening.</summary>
    public ValueTask DisposeAsync() => _imposter.DisposeAsync();

    /// <summary>One imposter, or <c>{"imposters": [...]}</c>.</summary>
    internal static List<JsonObject> ParseImposters(string json)
    {
        var root = Parse(json);
        if (root is JsonObject obj && obj["imposters"] is JsonArray list) return [.. list.Select(i => i as JsonObject ?? [])];
        if (root is JsonObject one) return [one];
        throw new MockException([MockError.Validation("expected one imposter or {\"imposters\": [...]}")]);
    }

    private static JsonNode? Parse(string json)
    {
        try
        {
            return JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is long line ? $" at line {line + 1}, column {(ex.BytePositionInLine ?? 0) + 1}" : "";
            throw new MockException([new MockError(MockError.InvalidJson, $"the JSON is malformed{where}")]);
        }
    }
}
