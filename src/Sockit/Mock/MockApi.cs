using System.Text.Json.Nodes;
using Sockit.Endpoints;
using Sockit.Hosting;

namespace Sockit.Mock;

/// <summary>
/// mountebank's REST API (<c>/imposters</c>, <c>/imposters/{port}</c>, <c>/imposters/{port}/stubs</c>, ...) on the
/// connection host, with the imposters it creates: what <c>mb</c> is, without node. Imposters listen on the API's
/// host (loopback unless asked otherwise) unless one names its own.
/// </summary>
internal sealed class MockApi : IAsyncDisposable
{
    private readonly ConnectionHost? _server;
    private readonly ImposterSet _imposters;

    private MockApi(ConnectionHost? server, ImposterSet imposters)
    {
        _server = server;
        _imposters = imposters;
    }

    /// <summary>Where the API listens, with the real port when port 0 was asked for; null without an API.</summary>
    public Endpoint? LocalEndpoint => _server?.LocalEndpoint;

    /// <summary>The ports of the imposters now running.</summary>
    public IReadOnlyList<int> ImposterPorts => [.. _imposters.All.Select(i => i.Port)];

    /// <summary>The imposters now running, each as "port 9000", "udp port 9000" or "unix:///tmp/pay.sock (imposter 65536)", for a log.</summary>
    public IReadOnlyList<string> ImposterAddresses => [.. _imposters.All.Select(i =>
        i.Path is not null ? $"{i.LocalEndpoint} (imposter {i.Port})" : i.IsUdp ? $"udp port {i.Port}" : $"port {i.Port}")];

    /// <summary>Starts the API on <paramref name="endpoint"/> (TCP).</summary>
    /// <param name="endpoint">Where the API listens; null for imposters only (loaded with <see cref="LoadAsync"/>).</param>
    /// <param name="options">Limits, log and more; <see cref="MockOptions.ImposterHost"/> is where imposters listen.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="SockitException">The endpoint cannot be bound.</exception>
    public static async Task<MockApi> StartAsync(Endpoint? endpoint, MockOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new MockOptions();
        if (endpoint is not null && endpoint.Transport != TransportKind.Tcp) throw new SockitException(SockitError.InvalidArgument, $"the mock API speaks HTTP over TCP, not {endpoint}");
        var host = options.ImposterHost ?? (endpoint is null || endpoint.IsAnyAddress ? null : endpoint.Host) ?? "127.0.0.1";
        var imposters = new ImposterSet(host, options);
        var server = endpoint is null ? null
            : await ConnectionHost.StartAsync(endpoint, new MockApiService(new MockRouter(imposters)), options.Server ?? new ServerOptions { Tracer = options.Tracer, MaxConnections = options.MaxConnections }, null, cancellationToken)
                .ConfigureAwait(false);
        return new MockApi(server, imposters);
    }

    /// <summary>Requests every imposter has received.</summary>
    public long RequestCount => _imposters.All.Sum(i => i.RequestCount);

    /// <summary>Creates imposters from mountebank's JSON: one imposter, or <c>{"imposters": [...]}</c> as <c>mb save</c> writes.</summary>
    /// <returns>The ports they listen on.</returns>
    /// <exception cref="MockException">The JSON is not valid or an imposter is invalid (each error named).</exception>
    public async Task<IReadOnlyList<int>> LoadAsync(string json, CancellationToken cancellationToken = default)
    {
        var ports = new List<int>();
        foreach (var definition in MockServer.ParseImposters(json))
        {
            try
            {
                ports.Add((await _imposters.AddAsync(definition, cancellationToken).ConfigureAwait(false)).Port);
            }
            catch (MockErrors errors)
            {
                throw new MockException(errors.Errors);
            }
        }
        return ports;
    }

    /// <summary>The imposters as <c>mb save</c> writes them (replayable: no requests, counts or links).</summary>
    /// <param name="removeProxies">Without proxy responses, so what proxies recorded replays on its own (<c>mb save --removeProxies</c>).</param>
    public string Save(bool removeProxies = false) =>
        new JsonObject { ["imposters"] = new JsonArray([.. _imposters.All.Select(i => (JsonNode)i.ToJson(null, replayable: true, removeProxies: removeProxies))]) }
            .ToJsonString(MockServer.PrettyJson);

    /// <summary>Stops the API and every imposter.</summary>
    public async ValueTask DisposeAsync()
    {
        using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        if (_server is not null) await _server.StopAsync(drain.Token).ConfigureAwait(false);
        await _imposters.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Options of a mock: where imposters listen, how many requests each keeps, and the API's host options.</summary>
internal sealed record MockOptions
{
    /// <summary>Where imposters listen unless one names its own host; by default the API's host.</summary>
    public string? ImposterHost { get; init; }

    /// <summary>The most requests an imposter keeps with recordRequests (the oldest go first); 0 for no limit, as mountebank.</summary>
    public int MaxRecordedRequests { get; init; } = 100_000;

    /// <summary>
    /// The most bytes of recorded requests (their JSON) an imposter keeps, the oldest going first; 0 for no limit. The
    /// count alone does not bound memory: a request body may be 16 MiB.
    /// </summary>
    public long MaxRecordedBytes { get; init; } = 64L << 20;

    /// <summary>Connections each tcp, http or https imposter serves at once, and the API too; more wait in the listen queue.</summary>
    public int MaxConnections { get; init; } = 4096;

    /// <summary>
    /// Closes a connection to an imposter after this long with no data either way; null (the default) never, as
    /// mountebank keeps a quiet connection open as long as its client does.
    /// </summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Called with each request any imposter receives (mountebank's request JSON).</summary>
    public Action<JsonObject>? OnRequest { get; init; }

    /// <summary>
    /// Called with each request no stub matched (it gets the default response), with the stub that came closest and
    /// the predicate it failed: what <c>--strict</c> reports.
    /// </summary>
    public Action<JsonObject, string>? OnUnmatched { get; init; }

    /// <summary>Traces every socket call of the imposters.</summary>
    public Sockit.Tracing.ISocketTracer? Tracer { get; init; }

    /// <summary>The API's host options (limits, access rules).</summary>
    public ServerOptions? Server { get; init; }
}
