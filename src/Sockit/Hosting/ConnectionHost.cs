using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Sockit.Endpoints;
using Sockit.Observability;
using Sockit.Transport;

namespace Sockit.Hosting;

/// <summary>
/// The one connection host under every stream server (the test servers, the proxy, the control API): the accept loop,
/// the limits and access rules, a record of every connection, the idle sweep, and a stop that drains. What varies is
/// the <see cref="IConnectionService"/> each connection is handed to.
/// </summary>
/// <remarks>
/// Limits protect the clients that behave. Over <see cref="ServerOptions.MaxConnections"/> the host stops accepting
/// and lets the kernel's backlog hold new clients, as haproxy does, instead of resetting them. It accepts in bursts of
/// at most <see cref="AcceptBurst"/> before it lets the loop serve other sockets, so a storm of connects cannot starve
/// the connections already open. A client whose address is over its share is reset; a connection idle past the
/// timeout is closed; each counts.
/// </remarks>
internal sealed class ConnectionHost : Proxies.IProxyRunner
{
    /// <summary>Connections accepted in one go before the loop's other sockets get their turn.</summary>
    private const int AcceptBurst = 16;

    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan OutOfDescriptorsPause = TimeSpan.FromMilliseconds(100);

    private readonly Listener _listener;
    private readonly IConnectionService _service;
    private readonly ServerOptions _options;
    private readonly TimeSpan? _idleTimeout;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly ConcurrentDictionary<Connection, ConnectionContext> _open = new();
    private readonly ConcurrentDictionary<System.Net.IPAddress, int> _perClient = new();
    private readonly long[] _limits = new long[Enum.GetValues<HostLimit>().Length];
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly KeyValuePair<string, object?> _endpointTag; // the metrics' tag: which server
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _accepting;
    private readonly Task _sweeping;
    private TaskCompletionSource? _slotFreed;
    private int _openCount; // ConcurrentDictionary.Count takes every lock of the table: not for each accept
    private int _slots; // connections open plus accepts under way: every loop's accept together stays within the limit
    private long _connections, _rejected, _bytesReceived, _bytesSent, _requests, _acceptPauses;
    private ServerSummary? _summary;

    private ConnectionHost(Listener listener, IConnectionService service, ServerOptions options, TimeSpan? defaultIdleTimeout)
    {
        _listener = listener;
        _service = service;
        _options = options;
        _endpointTag = new("sockit.endpoint", listener.LocalEndpoint.ToString());
        _idleTimeout = options.IdleTimeout ?? defaultIdleTimeout;
        if (_idleTimeout <= TimeSpan.Zero) _idleTimeout = null;
        _accepting = CallerContext.Detach(() => listener.Ports == 1 ? AcceptLoopAsync(0) : Task.WhenAll(Enumerable.Range(0, listener.Ports).Select(AcceptLoopAsync)));
        _sweeping = _idleTimeout is null ? Task.CompletedTask : CallerContext.Detach(() => SweepLoopAsync(_idleTimeout.Value));
    }

    /// <summary>Where it listens, with the real port when port 0 was asked for.</summary>
    public Endpoint LocalEndpoint => _listener.LocalEndpoint.WithTls(_options.Tls is not null);

    /// <summary>Connections being served now.</summary>
    public int OpenConnections => Volatile.Read(ref _openCount);

    /// <summary>Listens on <paramref name="endpoint"/> (a stream endpoint) and serves every client with <paramref name="service"/>.</summary>
    /// <param name="endpoint">Where to listen.</param>
    /// <param name="service">What each connection gets.</param>
    /// <param name="options">Limits, access rules, log and drain.</param>
    /// <param name="defaultIdleTimeout">The service's idle timeout when the options name none; null for none.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <param name="defaultBacklog">The listen backlog when the options name none (<see cref="ServerOptions.DefaultBacklog"/> if null).</param>
    /// <exception cref="SockitException">The endpoint cannot be bound.</exception>
    public static async Task<ConnectionHost> StartAsync(Endpoint endpoint, IConnectionService service, ServerOptions options, TimeSpan? defaultIdleTimeout,
        CancellationToken cancellationToken, int? defaultBacklog = null)
    {
        // TLS is the endpoint's property: a tls:// host without a certificate gets one for localhost; a plain one never handshakes.
        if (endpoint.IsTls != options.Tls is not null) options = options with { Tls = endpoint.IsTls ? Tls.TlsServerOptions.ForLocalhost() : null };
        var listener = await Listener.StartAsync(endpoint, new ListenerOptions { Tracer = options.Tracer, UnixFileMode = options.UnixFileMode, Backlog = options.Backlog ?? defaultBacklog ?? ServerOptions.DefaultBacklog, NoDelay = true },
            cancellationToken).ConfigureAwait(false);
        return new ConnectionHost(listener, service, options, defaultIdleTimeout);
    }

    /// <summary>
    /// Stops accepting (closing the listener, and removing a Unix socket file), lets open exchanges finish until
    /// <paramref name="cancellationToken"/> fires, then cuts the rest, and returns the totals.
    /// </summary>
    public async Task<ServerSummary> StopAsync(CancellationToken cancellationToken)
    {
        if (_summary is not null) return _summary;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await Task.WhenAll(_accepting, _sweeping).ConfigureAwait(false);
        if (!_open.IsEmpty) await Task.WhenAny(_drained.Task, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
        await _abort.CancelAsync().ConfigureAwait(false);
        // Services stop at the abort, and their connections are closed as they return; whatever has not returned in a
        // moment is closed here (the service then ends on the closed socket).
        if (!_open.IsEmpty) await Task.WhenAny(_drained.Task, Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None)).ConfigureAwait(false);
        foreach (var connection in _open.Keys) connection.Dispose();
        if (!_open.IsEmpty) await Task.WhenAny(_drained.Task, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
        (_service as IDisposable)?.Dispose();
        var limits = new Dictionary<HostLimit, long>();
        for (var i = 0; i < _limits.Length; i++)
            if (Interlocked.Read(ref _limits[i]) is > 0 and var count) limits[(HostLimit)i] = count;
        _summary = new ServerSummary(Interlocked.Read(ref _connections), Interlocked.Read(ref _rejected), Interlocked.Read(ref _bytesReceived),
            Interlocked.Read(ref _bytesSent), Interlocked.Read(ref _requests), Stopwatch.GetElapsedTime(_started))
        {
            Limits = limits,
            AcceptPauses = Interlocked.Read(ref _acceptPauses),
        };
        return _summary;
    }

    /// <summary>Accepts on loop <paramref name="port"/> (every loop runs one), which then owns the connections it takes.</summary>
    private async Task AcceptLoopAsync(int port)
    {
        await _listener.YieldTurn(port); // the caller of StartAsync goes on at once, and this loop runs on its own thread
        var stopping = _stopping.Token;
        var burst = 0;
        while (!stopping.IsCancellationRequested)
        {
            if (!TryTakeSlot() && !await WaitForSlotAsync(stopping).ConfigureAwait(false)) return;
            Connection connection;
            try
            {
                var pending = _listener.AcceptConnectionAsync(port, stopping);
                if (pending.IsCompletedSuccessfully)
                {
                    connection = pending.Result;
                    if (++burst == AcceptBurst)
                    {
                        burst = 0;
                        // The loop's other sockets get their turn between bursts; the accept loop stays on the loop's thread
                        // (Task.Yield would send it to the thread pool, which a loaded machine may not run for a while).
                        await _listener.YieldTurn(port);
                    }
                }
                else
                {
                    burst = 0;
                    connection = await pending.ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || stopping.IsCancellationRequested)
            {
                ReleaseSlot();
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                // Out of descriptors or memory: the clients stay queued while the open ones finish.
                ReleaseSlot();
                await PauseAsync(OutOfDescriptorsPause, stopping).ConfigureAwait(false);
                continue;
            }
            catch (SocketException)
            {
                ReleaseSlot();
                continue; // this client is lost; the server goes on
            }
            Admit(connection);
        }
    }

    /// <summary>Applies the access rules and the per-client limit, then starts the service on the connection.</summary>
    private void Admit(Connection connection)
    {
        // The raw address, not the formatted endpoint: under a connect storm this runs tens of thousands of times a second.
        var address = connection.PeerAddress;
        if (address is not null && _options.Policy.HasRules && !_options.Policy.Allows(address))
        {
            Turn(connection, HostLimit.Denied, "rejected: denied by the access rules");
            return;
        }
        var counted = address is not null && _options.MaxConnectionsPerClient > 0 ? address : null;
        if (counted is not null && _perClient.AddOrUpdate(counted, 1, static (_, count) => count + 1) > _options.MaxConnectionsPerClient)
        {
            Release(counted);
            Turn(connection, HostLimit.PerClient, $"rejected: more than {_options.MaxConnectionsPerClient} connections from {counted}");
            return;
        }
        var context = new ConnectionContext(_stopping.Token, _abort.Token, _options);
        _open.TryAdd(connection, context);
        Interlocked.Increment(ref _openCount);
        Interlocked.Increment(ref _connections);
        SockitMetrics.Accepted.Add(1, _endpointTag);
        SockitMetrics.Open.Add(1, _endpointTag);
        // Owned by _open: StopAsync waits for or cuts every one. With several loops the service starts on the loop that
        // owns the connection, so the sockets it opens (a proxy's upstream) share that owner and no continuation hops.
        if (connection.Loop == IoLoop.Current) _ = ServeAsync(connection, context, counted);
        else connection.Loop.Post(static state =>
        {
            var (host, connection, context, counted) = ((ConnectionHost, Connection, ConnectionContext, System.Net.IPAddress?))state!;
            _ = host.ServeAsync(connection, context, counted);
        }, (this, connection, context, counted));
    }

    private void Turn(Connection connection, HostLimit limit, string outcome)
    {
        ReleaseSlot();
        Interlocked.Increment(ref _rejected);
        Count(limit);
        SockitMetrics.Rejected.Add(1, _endpointTag, new("reason", LimitNames[(int)limit]));
        _options.OnConnection?.Invoke(new ConnectionRecord(connection.RemoteEndpoint, TimeSpan.Zero, 0, 0, 0, outcome));
        connection.Reset();
    }

    // The metrics' reason tags, by HostLimit.
    private static readonly string[] LimitNames = [.. Enum.GetValues<HostLimit>().Select(limit => limit switch
    {
        HostLimit.PerClient => "per-client",
        HostLimit.HeadTimeout => "head-timeout",
        HostLimit.TooLarge => "too-large",
        HostLimit.HandshakeTimeout => "handshake-timeout",
        HostLimit.TlsRefused => "tls-refused",
        _ => limit.ToString().ToLowerInvariant(),
    })];

    private void Count(HostLimit limit) => Interlocked.Increment(ref _limits[(int)limit]);

    private void Release(System.Net.IPAddress address)
    {
        if (_perClient.AddOrUpdate(address, 0, static (_, count) => count - 1) <= 0) _perClient.TryRemove(new(address, 0));
    }

    private async Task ServeAsync(Connection connection, ConnectionContext context, System.Net.IPAddress? counted)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "closed";
        try
        {
            if (_options.Tls is { } tls && !await HandshakeAsync(connection, tls, context).ConfigureAwait(false)) return;
            await _service.ServeAsync(connection, context).ConfigureAwait(false);
        }
        catch (SockitException ex)
        {
            outcome = ex.Error == SockitError.ConnectionReset ? "reset by peer" : ex.Message;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            outcome = "cut at shutdown"; // or by the idle sweep, which said so in the context
        }
        finally
        {
            connection.Dispose();
            if (counted is not null) Release(counted);
            if (context.LimitHit is { } limit)
            {
                Count(limit);
                SockitMetrics.Cut.Add(1, _endpointTag, new("reason", LimitNames[(int)limit]));
            }
            SockitMetrics.Open.Add(-1, _endpointTag);
            SockitMetrics.Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, _endpointTag);
            SockitMetrics.BytesReceived.Add(connection.BytesReceived, _endpointTag);
            SockitMetrics.BytesSent.Add(connection.BytesSent, _endpointTag);
            Interlocked.Add(ref _bytesReceived, connection.BytesReceived);
            Interlocked.Add(ref _bytesSent, connection.BytesSent);
            Interlocked.Add(ref _requests, context.Requests);
            _options.OnConnection?.Invoke(new ConnectionRecord(connection.RemoteEndpoint, Stopwatch.GetElapsedTime(started),
                connection.BytesReceived, connection.BytesSent, context.Requests, context.Outcome ?? outcome));
            _open.TryRemove(connection, out _);
            Interlocked.Decrement(ref _openCount);
            ReleaseSlot();
            if (_open.IsEmpty && _stopping.IsCancellationRequested) _drained.TrySetResult();
        }
    }

    /// <summary>
    /// The server's TLS handshake, before the service sees the connection. It waits on the I/O engine within its own
    /// timeout, so a client that never finishes holds one slot for that long and costs the others nothing.
    /// </summary>
    private static async Task<bool> HandshakeAsync(Connection connection, Tls.TlsServerOptions tls, ConnectionContext context)
    {
        try
        {
            await Tls.TlsHandshake.AcceptAsync(connection, tls, context.Abort).ConfigureAwait(false);
            return true;
        }
        catch (SockitException ex) when (ex.Error != SockitError.ConnectionReset)
        {
            context.LimitHit = ex.Error == SockitError.TimedOut ? HostLimit.HandshakeTimeout : HostLimit.TlsRefused;
            context.Outcome = ex.Error == SockitError.PlainTextOnTlsPort ? ex.Message : $"TLS handshake failed: {ex.Message}";
            return false;
        }
    }

    /// <summary>Takes one of the <see cref="ServerOptions.MaxConnections"/> slots for the next accept, if one is free.</summary>
    private bool TryTakeSlot()
    {
        var taken = Volatile.Read(ref _slots);
        while (taken < _options.MaxConnections)
        {
            var seen = Interlocked.CompareExchange(ref _slots, taken + 1, taken);
            if (seen == taken) return true;
            taken = seen;
        }
        return false;
    }

    /// <summary>Gives a slot back (its connection ended, or its accept came to nothing) and wakes an accept that waits for one.</summary>
    private void ReleaseSlot()
    {
        Interlocked.Decrement(ref _slots);
        Interlocked.Exchange(ref _slotFreed, null)?.TrySetResult();
    }

    /// <summary>Waits until a slot is free and takes it, while the host holds its limit; false when the host is stopping.</summary>
    private async Task<bool> WaitForSlotAsync(CancellationToken stopping)
    {
        Interlocked.Increment(ref _acceptPauses);
        while (true)
        {
            // One signal for every loop's accept that waits: the first to wait makes it, the others share it.
            var made = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var freed = Interlocked.CompareExchange(ref _slotFreed, made, null) ?? made;
            if (TryTakeSlot()) return true; // one ended before the wait was set up
            try
            {
                await freed.Task.WaitAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    private static async Task PauseAsync(TimeSpan pause, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(pause, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Once a second, closes every connection with no data either way for longer than the idle timeout.</summary>
    private async Task SweepLoopAsync(TimeSpan idleTimeout)
    {
        using var timer = new PeriodicTimer(idleTimeout < SweepInterval * 4 ? idleTimeout / 4 : SweepInterval);
        var limit = (long)idleTimeout.TotalMilliseconds;
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                var now = Environment.TickCount64;
                foreach (var (connection, context) in _open)
                {
                    if (now - connection.LastActivity <= limit || context.LimitHit is not null) continue;
                    context.LimitHit = HostLimit.Idle;
                    context.Outcome = $"closed idle after {Durations.Format(idleTimeout)} with no data either way";
                    connection.Dispose();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
