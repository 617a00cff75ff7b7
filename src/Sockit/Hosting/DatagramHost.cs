using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using Sockit.Endpoints;
using Sockit.Transport;

namespace Sockit.Hosting;

/// <summary>
/// The host of a datagram server (UDP or unixgram): one socket, each datagram answered by the service, counted and
/// logged, with the access rules applied to its sender. A synchronous service answers on the receive loop; an
/// asynchronous one answers up to <see cref="MaxInFlight"/> datagrams at once while the loop goes on receiving.
/// </summary>
internal sealed class DatagramHost
{
    /// <summary>
    /// Datagrams an asynchronous service answers at once. At the limit the loop waits for one to finish before it takes
    /// the next, and the kernel's receive buffer holds the rest (or drops them, as UDP may).
    /// </summary>
    internal const int MaxInFlight = 1024;

    private readonly DatagramChannel _channel;
    private readonly IDatagramService? _service;
    private readonly IAsyncDatagramService? _asyncService;
    private readonly SemaphoreSlim? _slots;
    private readonly ServerOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Task _running;
    private long _datagrams, _rejected, _bytesReceived, _bytesSent;
    private Lazy<Task<ServerSummary>>? _stop;

    private DatagramHost(DatagramChannel channel, IDatagramService? service, IAsyncDatagramService? asyncService, ServerOptions options)
    {
        _channel = channel;
        _service = service;
        _asyncService = asyncService;
        _slots = asyncService is null ? null : new SemaphoreSlim(MaxInFlight, MaxInFlight);
        _options = options;
        _running = CallerContext.Detach(ReceiveLoopAsync);
    }

    /// <summary>Where it listens, with the real port when port 0 was asked for.</summary>
    public Endpoint LocalEndpoint => _channel.LocalEndpoint;

    /// <summary>Binds <paramref name="endpoint"/> (a datagram endpoint) and answers every datagram with <paramref name="service"/>.</summary>
    /// <exception cref="SockitException">The endpoint cannot be bound.</exception>
    public static Task<DatagramHost> StartAsync(Endpoint endpoint, IDatagramService service, ServerOptions options, CancellationToken cancellationToken) =>
        StartAsync(endpoint, service, null, options, cancellationToken);

    /// <summary>Binds <paramref name="endpoint"/> (a datagram endpoint) and answers every datagram with <paramref name="service"/>, several at once.</summary>
    /// <exception cref="SockitException">The endpoint cannot be bound.</exception>
    public static Task<DatagramHost> StartAsync(Endpoint endpoint, IAsyncDatagramService service, ServerOptions options, CancellationToken cancellationToken) =>
        StartAsync(endpoint, null, service, options, cancellationToken);

    private static async Task<DatagramHost> StartAsync(Endpoint endpoint, IDatagramService? service, IAsyncDatagramService? asyncService, ServerOptions options,
        CancellationToken cancellationToken)
    {
        var channel = await DatagramChannel.BindAsync(endpoint, new ListenerOptions { Tracer = options.Tracer, UnixFileMode = options.UnixFileMode },
            cancellationToken).ConfigureAwait(false);
        return new DatagramHost(channel, service, asyncService, options);
    }

    /// <summary>Stops receiving, closes the socket (removing a Unix socket file) and returns the totals; a second call gets the same stop.</summary>
    public Task<ServerSummary> StopAsync()
    {
        // One stop: two that both waited for every slot would each take half of them and neither end.
        var stop = new Lazy<Task<ServerSummary>>(StopOnceAsync);
        return (Interlocked.CompareExchange(ref _stop, stop, null) ?? stop).Value;
    }

    private async Task<ServerSummary> StopOnceAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _channel.Dispose();
        await _running.ConfigureAwait(false);
        // Answers under way saw the stop (their token fired); the totals wait until every one has let go of its slot.
        if (_slots is not null)
        {
            for (var i = 0; i < MaxInFlight; i++) await _slots.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        return new ServerSummary(Interlocked.Read(ref _datagrams), Interlocked.Read(ref _rejected), Interlocked.Read(ref _bytesReceived),
            Interlocked.Read(ref _bytesSent), 0, Stopwatch.GetElapsedTime(_started));
    }

    private async Task ReceiveLoopAsync()
    {
        await Task.Yield();
        var request = ArrayPool<byte>.Shared.Rent(65536);
        var reply = _service is null ? null : ArrayPool<byte>.Shared.Rent(65536);
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                SocketReceiveFromResult received;
                try
                {
                    received = await _channel.ReceiveFromAddressAsync(request, _stopping.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || _stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (SockitException)
                {
                    continue; // an ICMP error from an earlier reply's peer: not this server's problem
                }
                var peer = Endpoint.FromEndPoint(received.RemoteEndPoint, _channel.LocalEndpoint.Transport);
                if (!_options.Policy.Allows(peer))
                {
                    Interlocked.Increment(ref _rejected);
                    _options.OnConnection?.Invoke(new ConnectionRecord(peer, TimeSpan.Zero, 0, 0, 0, "rejected: denied by the access rules"));
                    continue;
                }
                Interlocked.Increment(ref _datagrams);
                Interlocked.Add(ref _bytesReceived, received.ReceivedBytes);
                if (_asyncService is not null)
                {
                    try
                    {
                        await _slots!.WaitAsync(_stopping.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                    // The loop's buffer takes the next datagram at once: the answer gets a copy of its own.
                    var copy = ArrayPool<byte>.Shared.Rent(Math.Max(1, received.ReceivedBytes));
                    request.AsSpan(0, received.ReceivedBytes).CopyTo(copy);
                    _ = AnswerAsync(copy, received.ReceivedBytes, received.RemoteEndPoint, peer); // owned by _slots: StopAsync waits for every one
                    continue;
                }
                var length = _service!.Reply(request.AsSpan(0, received.ReceivedBytes), reply!);
                var outcome = "no reply";
                if (length >= 0 && CanAnswer(received.RemoteEndPoint))
                {
                    try
                    {
                        await _channel.SendToAsync(reply.AsMemory(0, length), received.RemoteEndPoint, _stopping.Token).ConfigureAwait(false);
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
            if (reply is not null) ArrayPool<byte>.Shared.Return(reply);
        }
    }

    /// <summary>
    /// One datagram answered by the asynchronous service. It runs on the receive loop until its first real wait, so an
    /// answer that is ready at once costs no thread hop; one that waits lets the loop go on.
    /// </summary>
    private async Task AnswerAsync(byte[] request, int length, System.Net.EndPoint from, Endpoint peer)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "no reply";
        var sent = 0;
        try
        {
            if (await _asyncService!.ReplyAsync(request.AsMemory(0, length), peer, _stopping.Token).ConfigureAwait(false) is { } reply && CanAnswer(from))
            {
                await _channel.SendToAsync(reply, from, _stopping.Token).ConfigureAwait(false);
                Interlocked.Add(ref _bytesSent, reply.Length);
                sent = reply.Length;
                outcome = "replied";
            }
        }
        catch (SockitException ex)
        {
            outcome = ex.Message;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            outcome = "cut at shutdown";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(request);
            try
            {
                _options.OnConnection?.Invoke(new ConnectionRecord(peer, Stopwatch.GetElapsedTime(started), length, sent, 0, outcome));
            }
            finally
            {
                _slots!.Release(); // even if the log throws: StopAsync waits for every slot
            }
        }
    }

    /// <summary>A Unix datagram client that did not bind has no address to reply to.</summary>
    private static bool CanAnswer(System.Net.EndPoint peer) => peer is not UnixDomainSocketEndPoint unix || !string.IsNullOrEmpty(unix.ToString());
}
