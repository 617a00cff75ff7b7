using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Piping;
using Sockit.Proxies.Faults;
using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Proxies;

/// <summary>
/// A UDP proxy: each client address gets a session with its own socket to the upstream (so replies find their way
/// back), ended after a time without traffic. Datagrams stay whole; the toxics that make sense for datagrams (latency,
/// timeout, loss, duplicate, reorder) act on each one.
/// </summary>
internal sealed class DatagramRelay : IProxyRunner
{
    private readonly DatagramChannel _front;
    private readonly Endpoint _upstream;
    private readonly ServerOptions _options;
    private readonly ProxyOptions _proxy;
    private readonly FaultSet _faults;
    private readonly ConcurrentDictionary<EndPoint, Session> _sessions = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Task _receiving;
    private readonly Task _reaping;
    private long _sessionCount, _rejected, _bytesReceived, _bytesSent;
    private long _handledUpstream, _handledDownstream;
    private ServerSummary? _summary;

    private DatagramRelay(DatagramChannel front, Endpoint upstream, ServerOptions options, ProxyOptions proxy)
    {
        _front = front;
        _upstream = upstream;
        _options = options;
        _proxy = proxy;
        _faults = proxy.Faults ?? FaultSet.None;
        _receiving = CallerContext.Detach(ReceiveLoopAsync);
        _reaping = CallerContext.Detach(ReapLoopAsync);
    }

    public Endpoint LocalEndpoint => _front.LocalEndpoint;

    /// <summary>Datagrams the toxics have decided on (passed, dropped or held back), per direction; tests wait on it.</summary>
    internal long Handled(ToxicStream stream) => Interlocked.Read(ref stream == ToxicStream.Upstream ? ref _handledUpstream : ref _handledDownstream);

    public static async Task<DatagramRelay> StartAsync(Endpoint listen, Endpoint upstream, ServerOptions options, ProxyOptions proxy, CancellationToken cancellationToken)
    {
        var front = await DatagramChannel.BindAsync(listen, new ListenerOptions { Tracer = options.Tracer }, cancellationToken).ConfigureAwait(false);
        return new DatagramRelay(front, upstream, options, proxy);
    }

    public async Task<ServerSummary> StopAsync(CancellationToken drainOver)
    {
        if (_summary is not null) return _summary;
        await _stop.CancelAsync().ConfigureAwait(false);
        _front.Dispose();
        await Task.WhenAll(_receiving, _reaping).ConfigureAwait(false);
        foreach (var session in _sessions.Values) End(session, "cut at shutdown");
        _summary = new ServerSummary(Interlocked.Read(ref _sessionCount), Interlocked.Read(ref _rejected), Interlocked.Read(ref _bytesReceived),
            Interlocked.Read(ref _bytesSent), 0, Stopwatch.GetElapsedTime(_started));
        return _summary;
    }

    private async Task ReceiveLoopAsync()
    {
        await Task.Yield();
        var buffer = new byte[DatagramBridge.MaxDatagram + 1];
        while (!_stop.IsCancellationRequested)
        {
            System.Net.Sockets.SocketReceiveFromResult received;
            try
            {
                received = await _front.ReceiveFromAddressAsync(buffer, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || _stop.IsCancellationRequested)
            {
                return;
            }
            catch (SockitException)
            {
                continue; // an ICMP error about an earlier reply: that client is gone, the others are not
            }
            var session = _sessions.GetValueOrDefault(received.RemoteEndPoint) ?? await OpenAsync(received.RemoteEndPoint).ConfigureAwait(false);
            if (session is null) continue;
            session.Touch(received.ReceivedBytes, fromClient: true);
            Interlocked.Add(ref _bytesReceived, received.ReceivedBytes);
            await DeliverAsync(session, buffer.AsMemory(0, received.ReceivedBytes), ToxicStream.Upstream).ConfigureAwait(false);
        }
    }

    /// <summary>A new session for a client seen for the first time, or null if it is refused or the upstream cannot be reached.</summary>
    private async Task<Session?> OpenAsync(EndPoint client)
    {
        var peer = Endpoint.FromEndPoint(client, _front.LocalEndpoint.Transport);
        string? refusal = !_options.Policy.Allows(peer) ? "rejected: denied by the access rules"
            : _sessions.Count >= _options.MaxConnections ? "rejected: the connection limit is reached" : null;
        if (refusal is null)
        {
            try
            {
                var channel = await DatagramChannel.ConnectAsync(_upstream, new DialOptions { Tracer = _options.Tracer }, _stop.Token).ConfigureAwait(false);
                var session = new Session(client, peer, channel, Interlocked.Increment(ref _sessionCount), _proxy.Dump, _stop.Token);
                _sessions[client] = session;
                session.Replies = ReplyLoopAsync(session);
                return session;
            }
            catch (SockitException ex)
            {
                refusal = $"upstream failed: {ex.Message}";
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
        if (refusal.StartsWith("rejected", StringComparison.Ordinal)) Interlocked.Increment(ref _rejected);
        _options.OnConnection?.Invoke(new ConnectionRecord(peer, TimeSpan.Zero, 0, 0, 0, refusal));
        return null;
    }

    private async Task ReplyLoopAsync(Session session)
    {
        await Task.Yield();
        var buffer = new byte[DatagramBridge.MaxDatagram + 1];
        while (!session.Ending.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await session.Channel.ReceiveAsync(buffer, session.Ending.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SockitException)
            {
                continue; // the upstream port answered "unreachable"; it may come up later
            }
            session.Touch(length, fromClient: false);
            Interlocked.Add(ref _bytesSent, length);
            await DeliverAsync(session, buffer.AsMemory(0, length), ToxicStream.Downstream).ConfigureAwait(false);
        }
    }

    /// <summary>Passes one datagram on through the toxics of its direction: dropped, doubled, or held back.</summary>
    private async ValueTask DeliverAsync(Session session, ReadOnlyMemory<byte> datagram, ToxicStream stream)
    {
        try
        {
            await DecideAsync(session, datagram, stream).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Increment(ref stream == ToxicStream.Upstream ? ref _handledUpstream : ref _handledDownstream);
        }
    }

    private async ValueTask DecideAsync(Session session, ReadOnlyMemory<byte> datagram, ToxicStream stream)
    {
        session.Dump?.Write(stream == ToxicStream.Upstream ? DataDirection.Sent : DataDirection.Received, datagram.Span);
        var toxics = _faults.Current.For(stream);
        var copies = 1;
        long delay = 0;
        foreach (var toxic in toxics)
        {
            if (!session.Affects(toxic)) continue;
            switch (toxic.Type)
            {
                case ToxicTypes.Timeout:
                    return; // nothing gets through while it is there
                case ToxicTypes.Loss when Random.Shared.Next(100) < toxic["probability"]:
                    return;
                case ToxicTypes.Duplicate when Random.Shared.Next(100) < toxic["probability"]:
                    copies = 2;
                    break;
                case ToxicTypes.Reorder when Random.Shared.Next(100) < toxic["probability"]:
                    delay += toxic["delay"]; // later datagrams overtake this one
                    break;
                case ToxicTypes.Latency:
                    var jitter = toxic["jitter"];
                    delay += Math.Max(0, toxic["latency"] + (jitter > 0 ? Random.Shared.NextInt64(-jitter, jitter + 1) : 0));
                    break;
            }
        }
        if (delay == 0)
        {
            for (var i = 0; i < copies; i++) await SendAsync(session, datagram, stream).ConfigureAwait(false);
            return;
        }
        // Held back without holding up the datagrams behind it; the session's token owns the wait.
        var copy = datagram.ToArray();
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(delay), session.Ending.Token).ConfigureAwait(false);
                for (var i = 0; i < copies; i++) await SendAsync(session, copy, stream).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    private async ValueTask SendAsync(Session session, ReadOnlyMemory<byte> datagram, ToxicStream stream)
    {
        try
        {
            if (stream == ToxicStream.Upstream) await session.Channel.SendAsync(datagram, session.Ending.Token).ConfigureAwait(false);
            else await _front.SendToAsync(datagram, session.Client, session.Ending.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SockitException or ObjectDisposedException)
        {
            // A datagram the OS would not take (a refused upstream, a closed session) is lost, as UDP loses it.
        }
    }

    /// <summary>Ends sessions that have been silent both ways for longer than the idle timeout.</summary>
    private async Task ReapLoopAsync()
    {
        var idle = _proxy.DatagramIdleTimeout;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(idle.TotalMilliseconds / 4, 10, 1000)));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                foreach (var session in _sessions.Values)
                    if (session.Idle >= idle) End(session, $"ended after {Durations.Format(idle)} idle");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void End(Session session, string outcome)
    {
        if (!_sessions.TryRemove(new KeyValuePair<EndPoint, Session>(session.Client, session))) return;
        session.Ending.Cancel();
        session.Channel.Dispose();
        _options.OnConnection?.Invoke(new ConnectionRecord(session.Peer, session.Age, session.FromClient, session.ToClient, 0, outcome));
    }

    /// <summary>One client address and its own socket to the upstream.</summary>
    private sealed class Session(EndPoint client, Endpoint peer, DatagramChannel channel, long id, ConversationDump? dump, CancellationToken stop)
    {
        private readonly int _seed = Random.Shared.Next();
        private readonly long _opened = Stopwatch.GetTimestamp();
        private long _lastActive = Stopwatch.GetTimestamp();
        private long _fromClient, _toClient;

        public EndPoint Client { get; } = client;
        public Endpoint Peer { get; } = peer;
        public DatagramChannel Channel { get; } = channel;
        public IDataDump? Dump { get; } = dump?.For(id);
        public CancellationTokenSource Ending { get; } = CancellationTokenSource.CreateLinkedTokenSource(stop);
        public Task? Replies { get; set; }
        public long FromClient => Interlocked.Read(ref _fromClient);
        public long ToClient => Interlocked.Read(ref _toClient);
        public TimeSpan Age => Stopwatch.GetElapsedTime(_opened);
        public TimeSpan Idle => Stopwatch.GetElapsedTime(Volatile.Read(ref _lastActive));

        public void Touch(int bytes, bool fromClient)
        {
            Volatile.Write(ref _lastActive, Stopwatch.GetTimestamp());
            Interlocked.Add(ref fromClient ? ref _fromClient : ref _toClient, bytes);
        }

        /// <summary>Toxicity picks sessions as it picks connections: one fixed draw per session and toxic.</summary>
        public bool Affects(Toxic toxic) => toxic.Affects((uint)HashCode.Combine(_seed, toxic.Name) / (double)uint.MaxValue);
    }
}
