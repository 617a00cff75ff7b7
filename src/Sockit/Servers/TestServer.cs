using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Servers.Http;

namespace Sockit.Servers;

/// <summary>
/// A ready test server (echo, discard, chargen, daytime, http-echo) on any endpoint: a service on the one connection
/// host (<see cref="ConnectionHost"/>) for streams, or on the datagram host for UDP and unixgram.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    /// <summary>The idle timeout of the test servers when the options name none.</summary>
    internal static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(5);

    private readonly ServerOptions _options;
    private readonly ConnectionHost? _stream;
    private readonly DatagramHost? _datagram;

    private TestServer(ServerKind kind, ServerOptions options, ConnectionHost? stream, DatagramHost? datagram)
    {
        Kind = kind;
        _options = options;
        _stream = stream;
        _datagram = datagram;
    }

    /// <summary>Which server this is.</summary>
    public ServerKind Kind { get; }

    /// <summary>Where it listens, with the real port when port 0 was asked for.</summary>
    public Endpoint LocalEndpoint => _stream?.LocalEndpoint ?? _datagram!.LocalEndpoint;

    /// <summary>Connections being served now.</summary>
    public int OpenConnections => _stream?.OpenConnections ?? 0;

    /// <summary>Starts a server of <paramref name="kind"/> on <paramref name="endpoint"/> (stream or datagram).</summary>
    /// <exception cref="SockitException">The endpoint cannot be bound, or http-echo was asked for over datagrams.</exception>
    public static async Task<TestServer> StartAsync(ServerKind kind, Endpoint endpoint, ServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        options ??= new ServerOptions();
        object service = kind switch
        {
            ServerKind.Echo => new EchoService(),
            ServerKind.Discard => new DiscardService(),
            ServerKind.Chargen => new ChargenService(),
            ServerKind.Daytime => new DaytimeService(),
            ServerKind.HttpEcho => new HttpEchoService(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a test server"),
        };
        if (endpoint.IsStream)
        {
            var host = await ConnectionHost.StartAsync(endpoint, (IConnectionService)service, options, DefaultIdleTimeout, cancellationToken).ConfigureAwait(false);
            return new TestServer(kind, options, host, null);
        }
        if (service is not IDatagramService datagrams)
            throw new SockitException(SockitError.InvalidArgument, $"http-echo needs a stream endpoint (TCP or unix://), not {endpoint}");
        return new TestServer(kind, options, null, await DatagramHost.StartAsync(endpoint, datagrams, options, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Stops accepting, lets open exchanges finish for up to <see cref="ServerOptions.Drain"/> or until
    /// <paramref name="cancellationToken"/> fires, whichever comes first, cuts the rest, closes the socket (removing a
    /// Unix socket file) and returns the totals.
    /// </summary>
    public async Task<ServerSummary> StopAsync(CancellationToken cancellationToken = default)
    {
        if (_datagram is not null) return await _datagram.StopAsync().ConfigureAwait(false);
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        drain.CancelAfter(_options.Drain);
        return await _stream!.StopAsync(drain.Token).ConfigureAwait(false);
    }

    /// <summary>Stops as <see cref="StopAsync"/> does, with the configured drain.</summary>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);
}
