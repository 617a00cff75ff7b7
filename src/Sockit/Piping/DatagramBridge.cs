using System.Buffers;
using System.Diagnostics;
using System.Net;
using Sockit.Endpoints;
using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Piping;

/// <summary>
/// Pipes a datagram socket (UDP or Unix datagram) to an input and an output: each input read becomes one datagram,
/// each datagram received is written out whole.
/// </summary>
internal static class DatagramBridge
{
    /// <summary>How long a client waits for replies after its input ends, when no idle timeout is given.</summary>
    public static readonly TimeSpan DefaultReplyWait = TimeSpan.FromSeconds(2);

    /// <summary>The largest UDP payload over IPv4; reads are capped to it so one read is always one datagram.</summary>
    public const int MaxDatagram = 65507;

    /// <summary>
    /// Client side: sends the input as datagrams to the connected peer and writes replies out. After input EOF it waits
    /// for replies until none has come for <see cref="BridgeOptions.IdleTimeout"/> (default <see cref="DefaultReplyWait"/>).
    /// </summary>
    public static async Task<BridgeResult> RunClientAsync(DatagramChannel channel, Stream input, Stream output, BridgeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        options ??= new BridgeOptions();
        var started = Stopwatch.GetTimestamp();
        var clock = new ActivityClock();
        long sent = 0, received = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task SendAsync()
        {
            var buffer = ArrayPool<byte>.Shared.Rent(MaxDatagram);
            try
            {
                int read;
                while ((read = await input.ReadAsync(buffer.AsMemory(0, MaxDatagram), stop.Token).ConfigureAwait(false)) > 0)
                {
                    clock.Touch();
                    options.Dump?.Write(DataDirection.Sent, buffer.AsSpan(0, read));
                    await channel.SendAsync(buffer.AsMemory(0, read), stop.Token).ConfigureAwait(false);
                    sent += read;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        async Task ReceiveAsync()
        {
            var buffer = ArrayPool<byte>.Shared.Rent(MaxDatagram + 1);
            try
            {
                while (true)
                {
                    var count = await channel.ReceiveAsync(buffer, stop.Token).ConfigureAwait(false);
                    clock.Touch();
                    options.Dump?.Write(DataDirection.Received, buffer.AsSpan(0, count));
                    await output.WriteAsync(buffer.AsMemory(0, count), stop.Token).ConfigureAwait(false);
                    await output.FlushAsync(stop.Token).ConfigureAwait(false);
                    received += count;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        var sending = options.ReceiveOnly ? null : SendAsync();
        var receiving = options.SendOnly ? null : ReceiveAsync();
        var ending = BridgeEnding.Completed;
        try
        {
            if (sending is not null)
            {
                var idleBeforeEof = clock.WaitForIdleAsync(options.IdleTimeout, stop.Token);
                var first = await Task.WhenAny(new[] { sending, receiving, idleBeforeEof }.OfType<Task>()).ConfigureAwait(false);
                await first.ConfigureAwait(false);
                if (first == idleBeforeEof) ending = BridgeEnding.IdleTimeout;
                else if (first == receiving) receiving = null;
                else sending = null;
            }
            if (receiving is not null && ending == BridgeEnding.Completed)
            {
                // Datagrams have no EOF: after the input ends, replies are awaited until the line goes quiet.
                var quiet = clock.WaitForIdleAsync(options.IdleTimeout ?? DefaultReplyWait, stop.Token);
                var first = await Task.WhenAny(receiving, quiet).ConfigureAwait(false);
                await first.ConfigureAwait(false);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            StreamBridge.Observe(sending);
            StreamBridge.Observe(receiving);
        }
        return new BridgeResult(sent, received, Stopwatch.GetElapsedTime(started), ending);
    }

    /// <summary>
    /// Server side: writes every datagram received to the output and sends the input to the peer that sent last (or, with
    /// <see cref="DatagramServerOptions.KeepOpen"/>, to every peer seen). Runs until cancelled or idle.
    /// </summary>
    public static async Task<BridgeResult> RunServerAsync(DatagramChannel channel, Stream input, Stream output, DatagramServerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        options ??= new DatagramServerOptions();
        var started = Stopwatch.GetTimestamp();
        var clock = new ActivityClock();
        var peers = new List<EndPoint>();
        var firstPeer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long sent = 0, received = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task ReceiveAsync()
        {
            var buffer = ArrayPool<byte>.Shared.Rent(MaxDatagram + 1);
            try
            {
                while (true)
                {
                    var result = await channel.ReceiveFromAddressAsync(buffer, stop.Token).ConfigureAwait(false);
                    var peer = Endpoint.FromEndPoint(result.RemoteEndPoint, channel.LocalEndpoint.Transport);
                    if (!options.Policy.Allows(peer))
                    {
                        options.OnEvent?.Invoke(new PeerEvent(PeerEventKind.Rejected, peer, "denied by --allow/--deny"));
                        continue;
                    }
                    clock.Touch();
                    lock (peers)
                    {
                        peers.Remove(result.RemoteEndPoint);
                        if (peers.Count >= options.MaxPeers) peers.RemoveAt(0); // forget the longest-silent peer
                        peers.Add(result.RemoteEndPoint);
                    }
                    firstPeer.TrySetResult();
                    options.Dump?.Write(DataDirection.Received, buffer.AsSpan(0, result.ReceivedBytes));
                    await output.WriteAsync(buffer.AsMemory(0, result.ReceivedBytes), stop.Token).ConfigureAwait(false);
                    await output.FlushAsync(stop.Token).ConfigureAwait(false);
                    received += result.ReceivedBytes;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        async Task SendAsync()
        {
            // Nobody to answer until someone writes: hold the input until the first datagram arrives.
            await firstPeer.Task.WaitAsync(stop.Token).ConfigureAwait(false);
            var buffer = ArrayPool<byte>.Shared.Rent(MaxDatagram);
            try
            {
                int read;
                while ((read = await input.ReadAsync(buffer.AsMemory(0, MaxDatagram), stop.Token).ConfigureAwait(false)) > 0)
                {
                    clock.Touch();
                    EndPoint[] targets;
                    lock (peers) targets = options.KeepOpen ? peers.ToArray() : [peers[^1]];
                    options.Dump?.Write(DataDirection.Sent, buffer.AsSpan(0, read));
                    foreach (var target in targets)
                    {
                        try
                        {
                            await channel.SendToAsync(buffer.AsMemory(0, read), target, stop.Token).ConfigureAwait(false);
                            sent += read;
                        }
                        catch (SockitException)
                        {
                            lock (peers) peers.Remove(target); // a peer that went away should not stop the others
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        var receiving = ReceiveAsync();
        var sending = SendAsync();
        var idle = clock.WaitForIdleAsync(options.IdleTimeout, stop.Token);
        var ending = BridgeEnding.Completed;
        try
        {
            var first = await Task.WhenAny(receiving, idle).ConfigureAwait(false);
            await first.ConfigureAwait(false);
            if (first == idle) ending = BridgeEnding.IdleTimeout;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C or SIGTERM: a normal way for a datagram server to end.
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            StreamBridge.Observe(sending);
            StreamBridge.Observe(receiving);
            StreamBridge.Observe(idle);
        }
        return new BridgeResult(sent, received, Stopwatch.GetElapsedTime(started), ending);
    }
}
