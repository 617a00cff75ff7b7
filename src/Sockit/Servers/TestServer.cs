using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Proxies;
using Sockit.Servers.Http;
using Sockit.Transport;

namespace Sockit.Servers;

/// <summary>
/// A ready test server (echo, discard, chargen, daytime, http-echo) on any endpoint: many clients at once without a
/// thread each, a connection limit, access rules, a record of every connection, and a stop that drains.
/// </summary>
public sealed class TestServer : IAsyncDisposable, Proxies.IProxyRunner
{
    private static readonly byte[] Busy = Encoding.ASCII.GetBytes(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 45\r\nConnection: close\r\n\r\nserver busy: --max-connections reached; retry\n");

    private readonly ServerOptions _options;
    private readonly Listener? _listener;
    private readonly DatagramChannel? _channel;
    private readonly IStreamService? _streamService;
    private readonly IDatagramService? _datagramService;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly ConcurrentDictionary<Connection, byte> _open = new();
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Task _running;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _connections, _rejected, _bytesReceived, _bytesSent, _requests;
    private ServerSummary? _summary;

    private TestServer(ServerKind kind, ServerOptions options, Listener? listener, DatagramChannel? channel, object? service = null)
    {
        Kind = kind;
        _options = options;
        _listener = listener;
        _channel = channel;
        service ??= kind switch
        {
            ServerKind.Echo => new EchoService(),
            ServerKind.Discard => new DiscardService(),
            ServerKind.Chargen => new ChargenService(),
            ServerKind.Daytime => new DaytimeService(),
            _ => new HttpEchoService(),
        };
        _streamService = service as IStreamService;
        _datagramService = service as IDatagramService;
        LocalEndpoint = listener?.LocalEndpoint ?? channel!.LocalEndpoint;
        _running = listener is not null ? AcceptLoopAsync(listener) : DatagramLoopAsync(channel!);
    }

    /// <summary>Which server this is.</summary>
    public ServerKind Kind { get; }

    /// <summary>Where it listens, with the real port when port 0 was asked for.</summary>
    public Endpoint LocalEndpoint { get; }

    /// <summary>Connections being served now.</summary>
    public int OpenConnections => _open.Count;

    /// <summary>Starts a server of <paramref name="kind"/> on <paramref name="endpoint"/> (stream or datagram).</summary>
    /// <exception cref="SockitException">The endpoint cannot be bound, or http-echo was asked for over datagrams.</exception>
    public static async Task<TestServer> StartAsync(ServerKind kind, Endpoint endpoint, ServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (kind is ServerKind.Proxy or ServerKind.ControlApi) throw new ArgumentException("A proxy needs an upstream (StartProxyAsync); a control API, proxies (ControlApi).", nameof(kind));
        options ??= new ServerOptions();
        var listenerOptions = new ListenerOptions { Tracer = options.Tracer, UnixFileMode = options.UnixFileMode, Backlog = 4096 };
        if (endpoint.IsStream)
            return new TestServer(kind, options, await Listener.StartAsync(endpoint, listenerOptions, cancellationToken).ConfigureAwait(false), null);
        if (kind == ServerKind.HttpEcho)
            throw new SockitException(SockitError.InvalidArgument, $"http-echo needs a stream endpoint (TCP or unix://), not {endpoint}");
        return new TestServer(kind, options, null, await DatagramChannel.BindAsync(endpoint, listenerOptions, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Starts a relay on <paramref name="endpoint"/> to <paramref name="upstream"/> (any stream transport to any other):
    /// the same host as the test servers, with the same limits, access rules, log and drain.
    /// </summary>
    public static async Task<TestServer> StartProxyAsync(Endpoint endpoint, Endpoint upstream, ServerOptions? options = null,
        ProxyOptions? proxy = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(upstream);
        if (!endpoint.IsStream || !upstream.IsStream)
            throw new SockitException(SockitError.InvalidArgument, "TestServer.StartProxyAsync relays stream endpoints (TCP, unix://); Relay.Proxy relays UDP too");
        return await StartServiceAsync(ServerKind.Proxy, endpoint, new ProxyService(upstream, proxy ?? new ProxyOptions()), options ?? new ServerOptions(),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts <paramref name="service"/> on a stream endpoint, with the host's limits, access rules, log and drain.</summary>
    internal static async Task<TestServer> StartServiceAsync(ServerKind kind, Endpoint endpoint, IStreamService service, ServerOptions options, CancellationToken cancellationToken)
    {
        var listener = await Listener.StartAsync(endpoint, new ListenerOptions { Tracer = options.Tracer, UnixFileMode = options.UnixFileMode, Backlog = 4096 },
            cancellationToken).ConfigureAwait(false);
        return new TestServer(kind, options, listener, null, service);
    }

    /// <summary>
    /// Stops accepting, lets open exchanges finish for up to <see cref="ServerOptions.Drain"/>, cuts the rest, closes the
    /// socket (removing a Unix socket file) and returns the totals.
    /// </summary>
    public Task<ServerSummary> StopAsync() => StopAsync(_options.Drain);

    /// <summary>Stops as <see cref="StopAsync()"/> does, with <paramref name="drain"/> instead of the configured drain time.</summary>
    public async Task<ServerSummary> StopAsync(TimeSpan drain)
    {
        if (_summary is not null) return _summary;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        _channel?.Dispose();
        await _running.ConfigureAwait(false);
        if (!_open.IsEmpty && drain > TimeSpan.Zero) await Task.WhenAny(_drained.Task, Task.Delay(drain)).ConfigureAwait(false);
        await _abort.CancelAsync().ConfigureAwait(false);
        // Services stop at the abort and their connections are closed as they return (an epoll loop must let go of a
        // socket before it is closed, or the close is abortive); whatever has not returned in a moment is closed here.
        if (!_open.IsEmpty) await Task.WhenAny(_drained.Task, Task.Delay(TimeSpan.FromMilliseconds(500))).ConfigureAwait(false);
        foreach (var connection in _open.Keys) connection.Dispose(); // the drain time is over
        if (!_open.IsEmpty) await Task.WhenAny(_drained.Task, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        (_streamService as IDisposable)?.Dispose();
        _summary = new ServerSummary(Interlocked.Read(ref _connections), Interlocked.Read(ref _rejected), Interlocked.Read(ref _bytesReceived),
            Interlocked.Read(ref _bytesSent), Interlocked.Read(ref _requests), Stopwatch.GetElapsedTime(_started));
        return _summary;
    }

    /// <inheritdoc cref="StopAsync()"/>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task AcceptLoopAsync(Listener listener)
    {
        var context = new ServiceContext(_stopping.Token, _abort.Token, _options);
        while (!_stopping.IsCancellationRequested)
        {
            Connection connection;
            try
            {
                connection = await listener.AcceptAsync(_options.Policy, Reject, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || _stopping.IsCancellationRequested)
            {
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                continue; // EMFILE and the like: this client is lost, the server goes on
            }
            if (_open.Count >= _options.MaxConnections)
            {
                RejectBusy(connection);
                continue;
            }
            connection.SetNoDelay(); // answers go out at once, not held back to be merged (Nagle)
            _open.TryAdd(connection, 0);
            Interlocked.Increment(ref _connections);
            _ = ServeAsync(connection, context); // owned by _open: StopAsync waits for or cuts every one
        }
    }

    private void Reject(Endpoint peer)
    {
        Interlocked.Increment(ref _rejected);
        _options.OnConnection?.Invoke(new ConnectionRecord(peer, TimeSpan.Zero, 0, 0, 0, "rejected: denied by --allow/--deny"));
    }

    private void RejectBusy(Connection connection)
    {
        Interlocked.Increment(ref _rejected);
        _options.OnConnection?.Invoke(new ConnectionRecord(connection.RemoteEndpoint, TimeSpan.Zero, 0, 0, 0, "rejected: --max-connections reached"));
        if (Kind is not (ServerKind.HttpEcho or ServerKind.ControlApi))
        {
            connection.Reset();
            return;
        }
        // An HTTP client deserves a status it understands; it gets one second to take it.
        _ = Task.Run(async () =>
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                await connection.SendAsync(Busy, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SockitException or OperationCanceledException)
            {
            }
            connection.Dispose();
        });
    }

    private async Task ServeAsync(Connection connection, ServiceContext context)
    {
        await Task.Yield(); // off the accept loop at once
        var started = Stopwatch.GetTimestamp();
        var state = new ConnectionState();
        var outcome = "closed";
        try
        {
            await _streamService!.ServeAsync(connection, state, context).ConfigureAwait(false);
        }
        catch (SockitException ex)
        {
            outcome = ex.Error == SockitError.ConnectionReset ? "reset by peer" : ex.Message;
        }
        catch (OperationCanceledException)
        {
            outcome = "cut at shutdown";
        }
        catch (ObjectDisposedException)
        {
            outcome = "cut at shutdown";
        }
        finally
        {
            connection.Dispose();
            Interlocked.Add(ref _bytesReceived, connection.BytesReceived);
            Interlocked.Add(ref _bytesSent, connection.BytesSent);
            Interlocked.Add(ref _requests, state.Requests);
            _options.OnConnection?.Invoke(new ConnectionRecord(connection.RemoteEndpoint, Stopwatch.GetElapsedTime(started),
                connection.BytesReceived, connection.BytesSent, state.Requests, state.Outcome ?? outcome));
            _open.TryRemove(connection, out _);
            if (_open.IsEmpty && _stopping.IsCancellationRequested) _drained.TrySetResult();
        }
    }

    private async Task DatagramLoopAsync(DatagramChannel channel)
    {
        await Task.Yield();
        var request = ArrayPool<byte>.Shared.Rent(65536);
        var reply = ArrayPool<byte>.Shared.Rent(65536);
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                System.Net.Sockets.SocketReceiveFromResult received;
                try
                {
                    received = await channel.ReceiveFromAsync(request, _stopping.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || _stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (SockitException)
                {
                    continue; // an ICMP error from an earlier reply's peer: not this server's problem
                }
                var peer = Endpoint.FromEndPoint(received.RemoteEndPoint, channel.LocalEndpoint.Transport);
                if (!_options.Policy.Allows(peer))
                {
                    Reject(peer);
                    continue;
                }
                Interlocked.Increment(ref _connections);
                Interlocked.Add(ref _bytesReceived, received.ReceivedBytes);
                var length = _datagramService!.Reply(request.AsSpan(0, received.ReceivedBytes), reply);
                var outcome = "no reply";
                if (length >= 0 && CanAnswer(received.RemoteEndPoint))
                {
                    try
                    {
                        await channel.SendToAsync(reply.AsMemory(0, length), received.RemoteEndPoint, _stopping.Token).ConfigureAwait(false);
                        Interlocked.Add(ref _bytesSent, length);
                        outcome = "replied";
                    }
                    catch (SockitException ex)
                    {
                        outcome = ex.Message;
                    }
                }
                _options.OnConnection?.Invoke(new ConnectionRecord(peer, TimeSpan.Zero, received.ReceivedBytes, length < 0 ? 0 : length, 0, outcome));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(request);
            ArrayPool<byte>.Shared.Return(reply);
        }
    }

    /// <summary>A Unix datagram client that did not bind has no address to reply to.</summary>
    private static bool CanAnswer(System.Net.EndPoint peer) =>
        peer is not System.Net.Sockets.UnixDomainSocketEndPoint unix || !string.IsNullOrEmpty(unix.ToString());
}
