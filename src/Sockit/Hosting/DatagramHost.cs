using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using Sockit.Endpoints;
using Sockit.Transport;

namespace Sockit.Hosting;

/// <summary>
/// The host of a datagram server (UDP or unixgram): one socket, each datagram answered by the service, counted and
/// logged, with the access rules applied to its sender.
/// </summary>
internal sealed class DatagramHost
{
    private readonly DatagramChannel _channel;
    private readonly IDatagramService _service;
    private readonly ServerOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Task _running;
    private long _datagrams, _rejected, _bytesReceived, _bytesSent;
    private ServerSummary? _summary;

    private DatagramHost(DatagramChannel channel, IDatagramService service, ServerOptions options)
    {
        _channel = channel;
        _service = service;
        _options = options;
        _running = ReceiveLoopAsync();
    }

    /// <summary>Where it listens, with the real port when port 0 was asked for.</summary>
    public Endpoint LocalEndpoint => _channel.LocalEndpoint;

    /// <summary>Binds <paramref name="endpoint"/> (a datagram endpoint) and answers every datagram with <paramref name="service"/>.</summary>
    /// <exception cref="SockitException">The endpoint cannot be bound.</exception>
    public static async Task<DatagramHost> StartAsync(Endpoint endpoint, IDatagramService service, ServerOptions options, CancellationToken cancellationToken)
    {
        var channel = await DatagramChannel.BindAsync(endpoint, new ListenerOptions { Tracer = options.Tracer, UnixFileMode = options.UnixFileMode },
            cancellationToken).ConfigureAwait(false);
        return new DatagramHost(channel, service, options);
    }

    /// <summary>Stops receiving, closes the socket (removing a Unix socket file) and returns the totals.</summary>
    public async Task<ServerSummary> StopAsync()
    {
        if (_summary is not null) return _summary;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _channel.Dispose();
        await _running.ConfigureAwait(false);
        _summary = new ServerSummary(Interlocked.Read(ref _datagrams), Interlocked.Read(ref _rejected), Interlocked.Read(ref _bytesReceived),
            Interlocked.Read(ref _bytesSent), 0, Stopwatch.GetElapsedTime(_started));
        return _summary;
    }

    private async Task ReceiveLoopAsync()
    {
        await Task.Yield();
        var request = ArrayPool<byte>.Shared.Rent(65536);
        var reply = ArrayPool<byte>.Shared.Rent(65536);
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
                var length = _service.Reply(request.AsSpan(0, received.ReceivedBytes), reply);
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
            ArrayPool<byte>.Shared.Return(reply);
        }
    }

    /// <summary>A Unix datagram client that did not bind has no address to reply to.</summary>
    private static bool CanAnswer(System.Net.EndPoint peer) => peer is not UnixDomainSocketEndPoint unix || !string.IsNullOrEmpty(unix.ToString());
}
