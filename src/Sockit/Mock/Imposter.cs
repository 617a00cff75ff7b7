using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Observability;
using Sockit.Proxies.Faults;

namespace Sockit.Mock;

/// <summary>
/// One imposter: a tcp or http service on the connection host (beyond mountebank, a udp one on the datagram host, or
/// one on a Unix socket), its stubs, and the requests it recorded, as mountebank's imposter.js, responseResolver.js and
/// behaviors.js have them. Requests are matched and stubs changed under one lock (mountebank runs on one thread, so its order is the order here); proxies and waits run outside it.
/// </summary>
internal sealed class Imposter : IAsyncDisposable
{
    private readonly object _sync = new();
    private readonly List<Stub> _stubs = [];
    // Recorded requests as their UTF-8 JSON: a parsed JsonObject costs a dictionary per node, several times the text.
    private readonly Queue<byte[]> _requests = new();
    private long _recordedBytes;
    private readonly JsonObject _header;
    private readonly MockOptions _options;
    private ConnectionHost? _host;
    private DatagramHost? _datagrams;
    private int? _key; // a Unix-socket imposter's number, which is no port it binds
    private long _numberOfRequests;

    private Imposter(JsonObject definition, MockOptions options)
    {
        _header = (JsonObject)definition.DeepClone();
        _header.Remove("stubs");
        _options = options;
        Protocol = Js.ToText(definition["protocol"]);
        Path = definition["path"] is JsonNode path ? Js.ToText(path) : null;
        Binary = IsData && definition["mode"] is JsonNode mode && Js.ToText(mode) == "binary";
        RecordRequests = Js.Truthy(definition["recordRequests"]);
        Framing = Protocol is "tcp" or "tls" ? TcpFraming.From(definition["framing"], Binary) : null;
        DefaultResponse = definition["defaultResponse"] as JsonObject;
        foreach (var stub in (definition["stubs"] as JsonArray ?? []).OfType<JsonObject>()) _stubs.Add(new Stub(stub));
    }

    /// <summary>tcp, http, https, tls or udp.</summary>
    public string Protocol { get; }

    /// <summary>tcp, or tls (tcp behind a TLS handshake): raw data, not HTTP.</summary>
    public bool IsTcp => Protocol is "tcp" or "tls";

    /// <summary>udp: each datagram a request, each reply a datagram (beyond mountebank).</summary>
    public bool IsUdp => Protocol == "udp";

    /// <summary>Requests and replies are <c>data</c> (tcp, tls, udp), not HTTP.</summary>
    private bool IsData => IsTcp || IsUdp;

    /// <summary>The Unix socket it listens on, as the definition gave it (a file path, or @name for an abstract socket); null for a port.</summary>
    public string? Path { get; }

    /// <summary>A tcp imposter in binary mode: data is base64.</summary>
    public bool Binary { get; }

    public bool RecordRequests { get; }

    /// <summary>Where a tcp request ends, when the imposter says (beyond mountebank); null for each packet.</summary>
    public TcpFraming? Framing { get; }

    public JsonObject? DefaultResponse { get; }

    /// <summary>
    /// The port it listens on: the imposter's number in the API. A Unix-socket imposter binds no port; its number is the
    /// definition's <c>port</c>, or one the set gave it (<see cref="FirstUnixKey"/> and up).
    /// </summary>
    public int Port => _key ?? LocalEndpoint.Port;

    /// <summary>
    /// The first number a Unix-socket imposter without a <c>port</c> gets, then the lowest free one above it: no TCP or
    /// UDP port is that high, so such a number never meets an imposter's real port.
    /// </summary>
    internal const int FirstUnixKey = 65536;

    // The metrics' tag, made once the port is known: a boxed port per request would allocate on the hot path.
    private KeyValuePair<string, object?> _portTag;

    /// <summary>Where it listens.</summary>
    public Endpoint LocalEndpoint => _host?.LocalEndpoint ?? _datagrams!.LocalEndpoint;

    /// <summary>Validates <paramref name="definition"/> (mountebank's JSON) and starts listening on <paramref name="host"/>, or on its <c>path</c>.</summary>
    /// <param name="definition">The imposter, as mountebank's API takes it.</param>
    /// <param name="host">Where it listens unless it names its own host.</param>
    /// <param name="options">Limits and log.</param>
    /// <param name="unixKey">For a Unix-socket imposter without a <c>port</c>: its number (by default <see cref="FirstUnixKey"/>).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="MockError">The imposter is invalid, or its port (or socket path) is taken.</exception>
    public static async Task<Imposter> StartAsync(JsonObject definition, string host, MockOptions options, int? unixKey, CancellationToken cancellationToken)
    {
        var errors = ImposterValidator.Validate(definition);
        if (errors.Count > 0) throw new MockErrors(errors);
        var imposter = new Imposter(definition, options);
        var port = definition["port"] is JsonNode p && Js.TryInteger(p, out var n) ? (int)n : 0;
        var bindHost = definition["host"] is JsonNode h ? Js.ToText(h) : host;
        var tls = imposter.Protocol is "https" or "tls" ? TlsOptions(definition) : null;
        Endpoint endpoint;
        if (imposter.Path is { } path)
        {
            endpoint = UnixEndpoint(path);
            imposter._key = port > 0 ? port : unixKey ?? FirstUnixKey;
        }
        else
        {
            endpoint = Endpoint.ForHost(imposter.IsUdp ? TransportKind.Udp : TransportKind.Tcp, bindHost, port);
        }
        imposter._portTag = new("sockit.mock.port", imposter._key ?? port); // the asked-for port until the bound one is known
        try
        {
            if (imposter.IsUdp)
            {
                var service = new UdpImposterService(imposter);
                imposter._datagrams = await DatagramHost.StartAsync(endpoint, service, new ServerOptions { Tracer = options.Tracer }, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                IConnectionService service = imposter.IsTcp ? new TcpImposterService(imposter) : new HttpImposterService(imposter);
                // No idle timeout unless asked for: mountebank keeps a quiet connection open as long as the client does.
                imposter._host = await ConnectionHost.StartAsync(endpoint.WithTls(tls is not null), service, new ServerOptions
                {
                    MaxConnections = options.MaxConnections, IdleTimeout = options.IdleTimeout, Drain = TimeSpan.Zero, Tracer = options.Tracer, Tls = tls,
                }, null, cancellationToken).ConfigureAwait(false);
            }
            imposter._portTag = new("sockit.mock.port", imposter.Port);
        }
        catch (SockitException ex) when (ex.Error == SockitError.AddressInUse && imposter.Path is not null)
        {
            throw new MockErrors([new MockError("EADDRINUSE", ex.Message)]);
        }
        catch (SockitException ex) when (ex.Error == SockitError.AddressInUse)
        {
            // mountebank 2.9.1 answers a taken port with node's error object; its fields are kept, with a message added.
            throw new MockErrors([new MockError("EADDRINUSE", $"port {port} is already in use", null)
            {
                Extra = new JsonObject { ["errno"] = -98, ["syscall"] = "listen", ["address"] = bindHost, ["port"] = port },
            }]);
        }
        catch (SockitException ex)
        {
            throw new MockErrors([new MockError("cannot start server", ex.Message)]);
        }
        return imposter;
    }

    /// <summary>
    /// mountebank's https imposter takes its certificate as PEM text in <c>cert</c> and <c>key</c>; without them it has
    /// one of its own, as we do (a certificate for localhost made in memory).
    /// </summary>
    private static Tls.TlsServerOptions TlsOptions(JsonObject definition)
    {
        if (definition["cert"] is not JsonNode cert || definition["key"] is not JsonNode key) return Tls.TlsServerOptions.ForLocalhost();
        try
        {
            return new Tls.TlsServerOptions { Certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(Js.ToText(cert), Js.ToText(key)) };
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new MockErrors([MockError.Validation($"cert and key are not a PEM certificate and its private key: {ex.Message}")]);
        }
    }

    /// <summary>The endpoint of a <c>path</c> the validator accepted: a file path, or @name for a Linux abstract socket.</summary>
    internal static Endpoint UnixEndpoint(string path) => Endpoint.Parse("unix://" + path);

    /// <summary>Stops listening (removing the Unix socket file, if any) and closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_datagrams is not null) await _datagrams.StopAsync().ConfigureAwait(false);
        if (_host is null) return;
        using var now = new CancellationTokenSource();
        await now.CancelAsync().ConfigureAwait(false);
        await _host.StopAsync(now.Token).ConfigureAwait(false);
    }

    /// <summary>The recorded requests (with recordRequests), oldest first.</summary>
    public List<JsonObject> Requests
    {
        get
        {
            lock (_sync) return [.. _requests.Select(r => (JsonObject)JsonNode.Parse(r)!)];
        }
    }

    /// <summary>Requests received since the start or the last reset.</summary>
    public long RequestCount => Interlocked.Read(ref _numberOfRequests);

    public int StubCount
    {
        get
        {
            lock (_sync) return _stubs.Count;
        }
    }

    /// <summary>Replaces every stub.</summary>
    public void ReplaceStubs(JsonArray stubs)
    {
        ThrowIfInvalid(stubs);
        lock (_sync)
        {
            _stubs.Clear();
            _stubs.AddRange(stubs.OfType<JsonObject>().Select(s => new Stub(s)));
        }
    }

    /// <summary>Inserts a stub at <paramref name="index"/> (the end when null).</summary>
    public void AddStub(JsonObject stub, int? index)
    {
        ThrowIfInvalid(new JsonArray(stub.DeepClone()));
        lock (_sync)
        {
            var at = index ?? _stubs.Count;
            if (at < 0 || at > _stubs.Count) throw MockError.Validation("'index' must be between 0 and the length of the stubs array");
            _stubs.Insert(at, new Stub(stub));
        }
    }

    /// <summary>Replaces the stub at <paramref name="index"/>.</summary>
    public void ReplaceStub(int index, JsonObject stub)
    {
        ThrowIfInvalid(new JsonArray(stub.DeepClone()));
        lock (_sync)
        {
            if (index < 0 || index >= _stubs.Count) throw NoStub();
            _stubs[index] = new Stub(stub);
        }
    }

    /// <summary>Deletes the stub at <paramref name="index"/>.</summary>
    public void DeleteStub(int index)
    {
        lock (_sync)
        {
            if (index < 0 || index >= _stubs.Count) throw NoStub();
            _stubs.RemoveAt(index);
        }
    }

    internal static MockError NoStub() =>
        MockError.Validation("'stubIndex' must be a valid integer, representing the array index position of the stub to replace");

    private void ThrowIfInvalid(JsonArray stubs)
    {
        var errors = ImposterValidator.ValidateStubs(stubs, IsData, Binary, IsUdp);
        if (errors.Count > 0) throw new MockErrors(errors);
    }

    /// <summary>
    /// Removes every response a proxy recorded (an <c>is</c> with its <c>_proxyResponseTime</c>) and the stubs left
    /// with none; the rest are made again, their cycles from the start (inMemoryImpostersRepository.js).
    /// </summary>
    public void DeleteSavedProxyResponses()
    {
        lock (_sync)
        {
            var kept = new List<Stub>();
            foreach (var stub in _stubs)
            {
                var definition = (JsonObject)stub.Definition.DeepClone();
                if (definition["responses"] is JsonArray responses)
                {
                    foreach (var recorded in responses.OfType<JsonObject>().Where(IsRecorded).ToList()) responses.Remove(recorded);
                    if (responses.Count == 0) continue;
                }
                kept.Add(new Stub(definition));
            }
            _stubs.Clear();
            _stubs.AddRange(kept);
        }
    }

    private static bool IsRecorded(JsonObject response) =>
        response["is"] is JsonObject answer && answer["_proxyResponseTime"] is JsonValue time && time.GetValueKind() == System.Text.Json.JsonValueKind.Number;

    /// <summary>Forgets the recorded requests and their count.</summary>
    public void ResetRequests()
    {
        lock (_sync)
        {
            _requests.Clear();
            _recordedBytes = 0;
            _numberOfRequests = 0;
        }
    }

    /// <summary>The imposter as mountebank's API prints it (imposterPrinter.js).</summary>
    /// <param name="baseUrl">The API's address, for the links; null leaves them relative.</param>
    /// <param name="list">The short form of GET /imposters.</param>
    /// <param name="replayable">Without requests, counts and links, as <c>mb save</c> writes it.</param>
    /// <param name="removeProxies">Without proxy responses.</param>
    public JsonObject ToJson(string? baseUrl, bool list = false, bool replayable = false, bool removeProxies = false)
    {
        lock (_sync)
        {
            var result = new JsonObject { ["protocol"] = Protocol, ["port"] = Port };
            if (Path is not null) result["path"] = Path;
            if (_header["name"] is JsonNode name) result["name"] = name.DeepClone();
            if (_header["defaultResponse"] is JsonNode defaultResponse) result["defaultResponse"] = defaultResponse.DeepClone();
            if (_header["framing"] is JsonNode framing) result["framing"] = framing.DeepClone();
            if (!replayable) result["numberOfRequests"] = _numberOfRequests;
            var self = $"{baseUrl}/imposters/{Port}";
            if (list)
            {
                result["_links"] = Links(self, true);
                return result;
            }
            result["recordRequests"] = RecordRequests;
            if (IsData) result["mode"] = Binary ? "binary" : "text";
            if (!replayable) result["requests"] = new JsonArray([.. _requests.Select(r => JsonNode.Parse(r))]);
            var stubs = new JsonArray();
            for (var i = 0; i < _stubs.Count; i++)
            {
                var stub = (JsonObject)_stubs[i].Definition.DeepClone();
                if (replayable)
                {
                    foreach (var response in (stub["responses"] as JsonArray ?? []).OfType<JsonObject>()) (response["is"] as JsonObject)?.Remove("_proxyResponseTime");
                }
                if (removeProxies && stub["responses"] is JsonArray responses)
                {
                    foreach (var proxy in responses.OfType<JsonObject>().Where(r => r.ContainsKey("proxy")).ToList()) responses.Remove(proxy);
                    if (responses.Count == 0) continue;
                }
                if (!replayable) stub["_links"] = new JsonObject { ["self"] = new JsonObject { ["href"] = $"{self}/stubs/{i}" } };
                stubs.Add((JsonNode)stub);
            }
            result["stubs"] = stubs;
            if (!replayable) result["_links"] = Links(self, true);
            return result;
        }
    }

    private static JsonObject Links(string self, bool withStubs)
    {
        var links = new JsonObject { ["self"] = new JsonObject { ["href"] = self } };
        if (withStubs) links["stubs"] = new JsonObject { ["href"] = $"{self}/stubs" };
        return links;
    }

    /// <summary>
    /// The response to <paramref name="request"/>: the first stub whose predicates all match gives its next response
    /// (or the default one), resolved (is, proxy, fault) and run through its behaviors; the result is an <c>is</c>
    /// object, or <c>{"fault": ...}</c>, with the response's toxic behaviors. A failure (a broken predicate, a bad
    /// regex, an unreachable proxy) is given back as mountebank's errors for this one request: the imposter goes on serving.
    /// </summary>
    public ValueTask<(JsonObject? Response, List<MockError>? Errors, ResponseToxics? Toxics)> TryRespondAsync(JsonObject request, string? rawUrl, CancellationToken cancellationToken)
    {
        JsonObject config;
        Stub? matched;
        try
        {
            (config, matched) = Match(request);
        }
        catch (Exception ex) when (Failure(ex) is { } errors)
        {
            return new((null, errors, null));
        }
        // The usual answer, a stub's fixed response with no behaviors, is known now: no state machine for it.
        if (config["is"] is JsonObject fixedResponse && config["behaviors"] is not JsonArray) return new((fixedResponse, null, null));
        return CompleteAsync(config, matched, request, rawUrl, cancellationToken);
    }

    private async ValueTask<(JsonObject? Response, List<MockError>? Errors, ResponseToxics? Toxics)> CompleteAsync(JsonObject config, Stub? matched,
        JsonObject request, string? rawUrl, CancellationToken cancellationToken)
    {
        try
        {
            var (response, toxics) = await ResolveAsync(config, matched, request, rawUrl, cancellationToken).ConfigureAwait(false);
            return (response, null, toxics);
        }
        catch (Exception ex) when (Failure(ex) is { } errors)
        {
            return (null, errors, null);
        }
    }

    /// <summary>A failure that is this request's alone, as mountebank's errors; null for any other exception.</summary>
    private static List<MockError>? Failure(Exception exception) => exception switch
    {
        MockError error => [error],
        MockErrors errors => errors.Errors,
        ArgumentException or FormatException or InvalidOperationException or RegexMatchTimeoutException or SockitException => [MockError.Validation(exception.Message)],
        _ => null,
    };

    /// <summary>Counts and records <paramref name="request"/>, and takes the next response of the first stub it matches (or the default one).</summary>
    private (JsonObject Config, Stub? Matched) Match(JsonObject request)
    {
        Stub? matched = null;
        JsonObject config;
        lock (_sync)
        {
            _numberOfRequests++;
            if (RecordRequests)
            {
                var recorded = (JsonObject)request.DeepClone();
                recorded["timestamp"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
                var json = Encoding.UTF8.GetBytes(recorded.ToJsonString());
                _requests.Enqueue(json);
                _recordedBytes += json.Length;
                // Both limits drop the oldest; the newest stays even alone over the byte budget, so the last call can be checked.
                while (_requests.Count > 1 && ((_options.MaxRecordedRequests > 0 && _requests.Count > _options.MaxRecordedRequests)
                    || (_options.MaxRecordedBytes > 0 && _recordedBytes > _options.MaxRecordedBytes)))
                {
                    _recordedBytes -= _requests.Dequeue().Length;
                }
            }
            foreach (var stub in _stubs)
            {
                if (AllMatch(stub.Predicates, request))
                {
                    matched = stub;
                    break;
                }
            }
            config = matched?.NextResponse() ?? new JsonObject { ["is"] = new JsonObject() };
            if (matched is null && _options.OnUnmatched is { } unmatched) unmatched(request, Closest(request));
        }
        (matched is null ? SockitMetrics.MockMisses : SockitMetrics.MockMatches).Add(1, _portTag);
        _options.OnRequest?.Invoke(request);
        return (config, matched);
    }

    /// <summary>The response <paramref name="config"/> gives (is, proxy or fault, through its behaviors) and its toxic behaviors.</summary>
    private async ValueTask<(JsonObject Response, ResponseToxics? Toxics)> ResolveAsync(JsonObject config, Stub? matched, JsonObject request, string? rawUrl,
        CancellationToken cancellationToken)
    {
        if (Js.Truthy(config["is"]))
        {
            // Only a copy behavior changes the response; without one the stub's own object goes out (the services only
            // read it), and a request costs no deep copy of it.
            var stubResponse = (JsonObject)config["is"]!;
            if (config["behaviors"] is not JsonArray) return (stubResponse, null);
            var response = ImposterValidator.HasBehavior(config, "copy") ? (JsonObject)stubResponse.DeepClone() : stubResponse;
            return (await RunBehaviorsAsync(request, response, config, cancellationToken).ConfigureAwait(false), ResponseToxics.From(config));
        }
        if (config["proxy"] is JsonObject proxy) return (await ProxyAsync(proxy, config, matched, request, rawUrl, cancellationToken).ConfigureAwait(false), ResponseToxics.From(config));
        if (Js.Truthy(config["fault"])) return (new JsonObject { ["fault"] = Js.ToText(config["fault"]) }, null);
        if (config.ContainsKey("inject")) throw Predicates.Injection(config);
        throw MockError.Validation("unrecognized response type", config);
    }

    private bool AllMatch(JsonArray predicates, JsonObject request)
    {
        for (var i = 0; i < predicates.Count; i++) // an index, not foreach: JsonArray's enumerator is a boxed one per stub per request
        {
            if (!Predicates.Evaluate(predicates[i], request, Binary)) return false;
        }
        return true;
    }

    /// <summary>For --strict: the stub that came closest (most predicates matched) and the first predicate it failed.</summary>
    private string Closest(JsonObject request)
    {
        if (_stubs.Count == 0) return $"imposter {Port} has no stubs";
        var best = (Index: -1, Matched: -1, Failed: (JsonNode?)null);
        for (var i = 0; i < _stubs.Count; i++)
        {
            var matched = 0;
            JsonNode? failed = null;
            foreach (var predicate in _stubs[i].Predicates)
            {
                bool ok;
                try
                {
                    ok = Predicates.Evaluate(predicate, request, Binary);
                }
                catch (Exception ex) when (ex is MockError or ArgumentException or RegexMatchTimeoutException)
                {
                    ok = false;
                }
                if (ok) matched++;
                else failed ??= predicate;
            }
            if (matched > best.Matched) best = (i, matched, failed);
        }
        return $"closest is stub {best.Index} of imposter {Port}, which wanted {Js.Stringify(best.Failed)}";
    }

    private async Task<JsonObject> ProxyAsync(JsonObject proxy, JsonObject config, Stub? stub, JsonObject request, string? rawUrl, CancellationToken cancellationToken)
    {
        var mode = Js.ToText(proxy["mode"]) is "proxyAlways" or "proxyTransparent" ? Js.ToText(proxy["mode"]) : "proxyOnce";
        var started = Environment.TickCount64;
        var response = IsTcp
            ? await MockProxy.TcpAsync(Js.ToText(proxy["to"]), request, Binary, proxy, cancellationToken).ConfigureAwait(false)
            : await MockProxy.HttpAsync(Js.ToText(proxy["to"]), request, rawUrl, proxy, cancellationToken).ConfigureAwait(false);
        response["_proxyResponseTime"] = Environment.TickCount64 - started;
        response = await RunBehaviorsAsync(request, response, config, cancellationToken).ConfigureAwait(false);
        if (mode == "proxyTransparent" || stub is null) return response;
        var predicates = PredicateGenerators.Generate(request, proxy["predicateGenerators"] as JsonArray ?? []);
        var recorded = new JsonObject { ["is"] = response.DeepClone() };
        if (Js.Truthy(proxy["addWaitBehavior"])) recorded["behaviors"] = new JsonArray(new JsonObject { ["wait"] = response["_proxyResponseTime"]!.DeepClone() });
        lock (_sync)
        {
            var index = Math.Max(0, _stubs.IndexOf(stub));
            var newStub = new JsonObject { ["predicates"] = predicates, ["responses"] = new JsonArray(recorded) };
            if (mode == "proxyOnce")
            {
                _stubs.Insert(index, new Stub(newStub));
            }
            else
            {
                var key = Js.StableStringify(predicates);
                var same = _stubs.Skip(index + 1).FirstOrDefault(s => Js.StableStringify(s.Predicates) == key);
                if (same is not null)
                {
                    // mountebank keeps this response by reference, so the stub shows the headers as they were sent
                    // (Content-Length corrected, Connection added); a new stub is a copy taken before.
                    if (!IsTcp && recorded["is"] is JsonObject sent) sent["headers"] = HttpImposterService.Finish(sent, DefaultResponse).Headers;
                    same.AddResponse(recorded);
                }
                else _stubs.Add(new Stub(newStub));
            }
        }
        return response;
    }

    private static async Task<JsonObject> RunBehaviorsAsync(JsonObject request, JsonObject response, JsonObject config, CancellationToken cancellationToken)
    {
        foreach (var behavior in ImposterValidator.Behaviors(config))
        {
            foreach (var (key, value) in behavior.ToList())
            {
                switch (key)
                {
                    case "wait" when Js.TryInteger(value, out var ms) && ms > 0:
                        // Never shorter than asked: Task.Delay's coarse clock may wake it milliseconds early.
                        await ToxicPacing.PauseUntilAsync(Stopwatch.GetTimestamp() + ms * Stopwatch.Frequency / 1000, cancellationToken).ConfigureAwait(false);
                        break;
                    case "copy" when value is JsonObject copy:
                        Copy(request, response, copy);
                        break;
                }
            }
        }
        return response;
    }

    /// <summary>
    /// The copy behavior: a regex over a request field (its match and groups), or a jsonpath selector over it parsed as
    /// JSON (what it picks), replacing a token everywhere in the response.
    /// </summary>
    private static void Copy(JsonObject request, JsonObject response, JsonObject copy)
    {
        var from = GetFrom(request, copy["from"]);
        var usingConfig = copy["using"] as JsonObject ?? [];
        var values = Js.ToText(usingConfig["method"]) == "jsonpath" ? JsonPathValues(from, Js.ToText(usingConfig["selector"])) : RegexValues(from, usingConfig);
        var token = Js.ToText(copy["into"]);
        string Replace(string field)
        {
            for (var i = 0; i < values.Count; i++) field = field.Replace($"{token}[{i}]", values[i], StringComparison.Ordinal);
            return values.Count > 0 ? field.Replace(token, values[0], StringComparison.Ordinal) : field;
        }
        ReplaceAll(response, Replace);
    }

    private static List<string> RegexValues(JsonNode? from, JsonObject usingConfig)
    {
        var flags = RegexOptions.CultureInvariant;
        if (usingConfig["options"] is JsonObject options)
        {
            if (Js.Truthy(options["ignoreCase"])) flags |= RegexOptions.IgnoreCase;
            if (Js.Truthy(options["multiline"])) flags |= RegexOptions.Multiline;
        }
        var match = Regex.Match(Js.ToText(from), Js.ToText(usingConfig["selector"]), flags, TimeSpan.FromSeconds(1));
        return match.Success ? match.Groups.Cast<Group>().Select(g => g.Success ? g.Value : "undefined").ToList() : [];
    }

    /// <summary>What the selector picks, as text (jsonpath.js select): nothing when the field is not JSON.</summary>
    private static List<string> JsonPathValues(JsonNode? from, string selector)
    {
        var json = Js.IsObject(from) ? from : from is null ? null : Js.TryParse(Js.ToText(from));
        return json is null ? [] : [.. JsonPath.Select(selector, json).Select(v => v is null ? "null" : Js.ToText(v))];
    }

    private static JsonNode? GetFrom(JsonNode? obj, JsonNode? from)
    {
        if (obj is null) return null;
        if (from is JsonObject nested && nested.Count > 0)
        {
            var (key, value) = nested.First();
            return GetFrom(Js.Get(obj, key), value);
        }
        var name = Js.ToText(from);
        var actual = Js.Keys(obj).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) ?? name;
        var result = Js.Get(obj, actual);
        return result is JsonArray array ? array.FirstOrDefault() : result;
    }

    private static void ReplaceAll(JsonNode node, Func<string, string> replace)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    var value = obj[key];
                    if (Js.IsString(value)) obj[key] = replace(Js.ToText(value));
                    else if (Js.IsObject(value)) ReplaceAll(value!, replace);
                    var renamed = replace(key);
                    if (renamed != key)
                    {
                        var moved = obj[key];
                        obj.Remove(key);
                        obj[renamed] = moved;
                    }
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (Js.IsString(array[i])) array[i] = replace(Js.ToText(array[i]));
                    else if (Js.IsObject(array[i])) ReplaceAll(array[i]!, replace);
                }
                break;
        }
    }

    /// <summary>"ip:port" of a peer, as mountebank's requestFrom; a Unix peer as its endpoint (<c>unix://(unnamed)</c> unless it bound a path).</summary>
    internal static string SocketName(Endpoint remote) => remote.IsUnixDomain ? remote.ToString() : $"{remote.Host}:{remote.Port}";

    internal static Encoding Utf8 { get; } = new UTF8Encoding(false);
}

/// <summary>Several errors at once, as the API's <c>errors</c> array.</summary>
internal sealed class MockErrors(List<MockError> errors) : Exception(errors.Count > 0 ? errors[0].Message : "invalid imposter")
{
    public List<MockError> Errors { get; } = errors;
}
