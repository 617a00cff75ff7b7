using System.Diagnostics;
using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Proxies.Faults;
using Sockit.Servers;

namespace Sockit.Proxies;

/// <summary>
/// A named relay from <see cref="Listen"/> to <see cref="Upstream"/> (stream to stream, or UDP to UDP with a session per
/// client address) with its own toxics, that can be taken down and
/// brought back (toxiproxy's "enabled"): down, its port refuses connections and open ones are cut.
/// </summary>
public sealed class Proxy : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ServerOptions _serverOptions;
    private readonly ProxyOptions _proxyOptions;
    private readonly long _created = Stopwatch.GetTimestamp();
    private IProxyRunner? _running;
    private ServerSummary _before = ServerSummary.None;

    private Proxy(string name, Endpoint listen, Endpoint upstream, ServerOptions serverOptions, ProxyOptions proxyOptions)
    {
        Name = name;
        Listen = listen;
        Upstream = upstream;
        _serverOptions = serverOptions;
        _proxyOptions = proxyOptions;
        Faults = proxyOptions.Faults!;
    }

    /// <summary>The proxy's name, unique in its <see cref="ProxyCollection"/>.</summary>
    public string Name { get; }

    /// <summary>Where it listens; once started, with the real port when port 0 was asked for (kept across down and up).</summary>
    public Endpoint Listen { get; private set; }

    /// <summary>Where each client is relayed to.</summary>
    public Endpoint Upstream { get; private set; }

    /// <summary>Whether it accepts connections now.</summary>
    public bool Enabled => Volatile.Read(ref _running) is not null;

    /// <summary>The relay running now, or null when the proxy is down.</summary>
    internal IProxyRunner? Runner => Volatile.Read(ref _running);

    /// <summary>Its toxics; changes reach open connections at once.</summary>
    public FaultSet Faults { get; }

    /// <summary>Creates a proxy, listening at once when <paramref name="enabled"/>.</summary>
    /// <exception cref="SockitException">The name is invalid, or the listen endpoint cannot be bound.</exception>
    public static async Task<Proxy> StartAsync(string name, Endpoint listen, Endpoint upstream, bool enabled = true,
        ServerOptions? serverOptions = null, ProxyOptions? proxyOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(upstream);
        if (string.IsNullOrWhiteSpace(name) || name.AsSpan().IndexOfAny('/', '?', '#') >= 0)
            throw new SockitException(SockitError.InvalidArgument, $"proxy name '{name}' must be non-empty, without '/', '?' or '#'");
        CheckPair(listen, upstream);
        proxyOptions ??= new ProxyOptions();
        var faults = proxyOptions.Faults ?? new FaultSet();
        faults.RestrictTo(datagram: !listen.IsStream);
        var proxy = new Proxy(name, listen, upstream, serverOptions ?? new ServerOptions(), proxyOptions with { Faults = faults });
        if (enabled) await proxy.EnableAsync(cancellationToken).ConfigureAwait(false);
        return proxy;
    }

    /// <summary>Starts listening again (nothing happens if it is up).</summary>
    /// <exception cref="SockitException">The listen endpoint cannot be bound.</exception>
    public async Task EnableAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await StartLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Takes the proxy down: its port refuses new connections and open ones are cut.</summary>
    public async Task DisableAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await StopLockedAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Changes where it listens, where it relays to, and whether it is up; a new address restarts it.</summary>
    /// <exception cref="SockitException">The new listen endpoint cannot be bound (the proxy is then down).</exception>
    public async Task UpdateAsync(Endpoint? listen = null, Endpoint? upstream = null, bool? enabled = null, CancellationToken cancellationToken = default)
    {
        CheckPair(listen ?? Listen, upstream ?? Upstream);
        if ((listen ?? Listen).IsStream != Listen.IsStream)
            throw new SockitException(SockitError.InvalidArgument, $"proxy {Name} relays {(Listen.IsStream ? "a stream" : "datagrams")}; create a new proxy to relay {(Listen.IsStream ? "datagrams" : "a stream")}");
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var wasEnabled = _running is not null;
            var moved = (listen is not null && listen != Listen) || (upstream is not null && upstream != Upstream);
            if (moved || enabled == false) await StopLockedAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
            Listen = listen ?? Listen;
            Upstream = upstream ?? Upstream;
            if (enabled ?? wasEnabled) await StartLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Whether the proxy already listens where <paramref name="wanted"/> would, as toxiproxy decides it: the address a
    /// name resolves to counts (<c>localhost:P</c> is <c>127.0.0.1:P</c>), and port 0 (Sockit's) matches the port given.
    /// </summary>
    internal async Task<bool> ListensAtAsync(Endpoint wanted, CancellationToken cancellationToken = default)
    {
        var running = Listen;
        if (running == wanted) return true;
        if (running.Transport != wanted.Transport || running.IsUnixDomain || wanted.IsAnyAddress) return false;
        if (wanted.Port == 0) return running.Host == wanted.Host;
        if (wanted.Port != running.Port || !System.Net.IPAddress.TryParse(running.Host, out var address)) return false;
        try
        {
            var resolved = await Transport.Resolver.ResolveAsync(wanted, cancellationToken).ConfigureAwait(false);
            return resolved.OfType<System.Net.IPEndPoint>().Any(r => r.Address.Equals(address));
        }
        catch (SockitException)
        {
            return false; // a name that no longer resolves cannot be where the proxy is
        }
    }

    /// <summary>
    /// Stops for good, letting open exchanges drain for the server options' drain time or until
    /// <paramref name="cancellationToken"/> fires, whichever comes first, and returns the totals.
    /// </summary>
    public async Task<ServerSummary> StopAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await StopLockedAsync(_serverOptions.Drain, cancellationToken).ConfigureAwait(false);
            return _before with { Uptime = Stopwatch.GetElapsedTime(_created) };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops as <see cref="StopAsync"/> does, with the configured drain.</summary>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private async Task StartLockedAsync(CancellationToken cancellationToken)
    {
        if (_running is not null) return;
        IProxyRunner server = Listen.IsStream
            ? await ConnectionHost.StartAsync(Listen, new ProxyService(Upstream, _proxyOptions), _serverOptions, null, cancellationToken,
                defaultBacklog: Math.Max(_serverOptions.MaxConnections, ServerOptions.DefaultBacklog)).ConfigureAwait(false) // haproxy's is its maxconn
            : await DatagramRelay.StartAsync(Listen, Upstream, _serverOptions, _proxyOptions, cancellationToken).ConfigureAwait(false);
        Listen = server.LocalEndpoint.WithTls(Listen.IsTls);
        Volatile.Write(ref _running, server);
    }

    /// <summary>Streams relay to streams (TCP and Unix, any mix) and UDP to UDP: a byte stream has no datagram boundaries to keep.</summary>
    private static void CheckPair(Endpoint listen, Endpoint upstream)
    {
        if (listen.IsStream != upstream.IsStream)
            throw new SockitException(SockitError.InvalidArgument,
                $"cannot relay {listen} to {upstream}: a proxy relays a stream to a stream (TCP, unix://) or UDP to UDP, not one to the other");
        if (listen.Transport == TransportKind.UnixDatagram || upstream.Transport == TransportKind.UnixDatagram)
            throw new SockitException(SockitError.InvalidArgument, "a datagram proxy relays UDP (udp://host:port); unixgram:// is not supported");
    }

    private async Task StopLockedAsync(TimeSpan drain, CancellationToken cancellationToken)
    {
        var server = _running;
        if (server is null) return;
        Volatile.Write(ref _running, null);
        using var drainOver = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        drainOver.CancelAfter(drain);
        var summary = await server.StopAsync(drainOver.Token).ConfigureAwait(false);
        _before = _before.Plus(summary, TimeSpan.Zero);
    }
}
