using System.Buffers;
using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Relay;

/// <summary>
/// Relays two stream connections into each other, byte for byte: EOF one way becomes shutdown(SHUT_WR) on the other
/// (half-close passes through, the other direction goes on), and a reset on one side becomes a reset on the other.
/// Each direction reads only when the previous write is done, so a slow reader slows the writer and memory stays bounded.
/// </summary>
public static class ConnectionPump
{
    private const int BufferSize = 64 * 1024;

    /// <summary>Runs until both directions have ended, or one side resets (then the other is reset too).</summary>
    /// <param name="client">The side that connected to us.</param>
    /// <param name="upstream">The side we connected to.</param>
    /// <param name="dump">Where to hexdump the traffic ('&gt;' client to upstream, '&lt;' back), or null.</param>
    /// <param name="cancellationToken">Stops both directions.</param>
    /// <returns>True when both directions ended with EOF; false when a reset was passed on.</returns>
    public static async Task<bool> RelayAsync(Connection client, Connection upstream, HexDumpWriter? dump = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(upstream);
        var forward = PumpAsync(client, upstream, dump, DataDirection.Sent, cancellationToken);
        var backward = PumpAsync(upstream, client, dump, DataDirection.Received, cancellationToken);
        var first = await Task.WhenAny(forward, backward).ConfigureAwait(false);
        if (!await first.ConfigureAwait(false))
        {
            // A reset: pass it on to both ends (the one that reset is gone already) and stop the other direction.
            client.Reset();
            upstream.Reset();
            StreamBridge.Observe(first == forward ? backward : forward);
            return false;
        }
        if (await (first == forward ? backward : forward).ConfigureAwait(false)) return true;
        client.Reset();
        upstream.Reset();
        return false;
    }

    /// <summary>Copies one direction; true at EOF (after passing it on), false when the source reset.</summary>
    private static async Task<bool> PumpAsync(Connection source, Connection target, HexDumpWriter? dump, DataDirection direction, CancellationToken cancellationToken)
    {
        var mayHaveMore = false;
        try
        {
            while (true)
            {
                // Idle relays hold no buffer: wait for data first, then borrow one.
                if (!mayHaveMore) await source.WaitReadableAsync(cancellationToken).ConfigureAwait(false);
                var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                try
                {
                    var read = await source.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        target.ShutdownSend();
                        return true;
                    }
                    dump?.Write(direction, buffer.AsSpan(0, read));
                    await target.SendAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    mayHaveMore = read == buffer.Length;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (SockitException)
        {
            return false; // reset (or failed) on either side of this direction
        }
        catch (ObjectDisposedException)
        {
            return false; // the other direction reset both ends
        }
    }
}
