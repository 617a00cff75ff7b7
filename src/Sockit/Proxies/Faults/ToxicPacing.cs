using System.Diagnostics;
using Sockit.Transport;

namespace Sockit.Proxies.Faults;

/// <summary>
/// How the timing toxics send: pieces at the slicer's size and the bandwidth's rate, and waits that are never shorter
/// than asked. The proxy's links and the mock's toxic behavior both send through here.
/// </summary>
internal static class ToxicPacing
{
    /// <summary>The delay a latency toxic adds to one chunk, in milliseconds: its latency, give or take up to its jitter.</summary>
    public static long DrawLatency(Toxic latency)
    {
        var jitter = latency["jitter"];
        return Math.Max(0, latency["latency"] + (jitter > 0 ? Random.Shared.NextInt64(-jitter, jitter + 1) : 0));
    }

    /// <summary>Sends <paramref name="data"/> in the pieces and at the pace the slicer and bandwidth toxics ask for.</summary>
    public static async Task SendShapedAsync(Connection target, ReadOnlyMemory<byte> data, Toxic? slicer, Toxic? bandwidth, Pacer pacer, CancellationToken cancellationToken)
    {
        var bytesPerSecond = bandwidth is null ? 0 : bandwidth["rate"] * 1000;
        if (slicer is null && bytesPerSecond == 0)
        {
            await target.SendAsync(data, cancellationToken).ConfigureAwait(false);
            return;
        }
        pacer.StartChunk();
        while (!data.IsEmpty)
        {
            var size = data.Length;
            if (slicer is not null)
            {
                var variation = slicer["size_variation"];
                var wanted = Math.Max(1, slicer["average_size"]) + (variation > 0 ? Random.Shared.NextInt64(-variation, variation + 1) : 0);
                size = (int)Math.Clamp(wanted, 1, size);
            }
            if (bytesPerSecond > 0)
            {
                size = (int)Math.Min(size, Math.Max(1, bytesPerSecond / 50)); // pieces of 20 ms keep the rate smooth
                await pacer.WaitAsync(size, bytesPerSecond, cancellationToken).ConfigureAwait(false);
            }
            await target.SendAsync(data[..size], cancellationToken).ConfigureAwait(false);
            data = data[size..];
            if (slicer is not null && slicer["delay"] > 0 && !data.IsEmpty)
                await PauseUntilAsync(Stopwatch.GetTimestamp() + slicer["delay"] * Stopwatch.Frequency / 1_000_000, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Paces one direction for the bandwidth toxic: each piece is charged before it goes, so the receiver sees the rate asked for.</summary>
    internal sealed class Pacer
    {
        private long _next;

        /// <summary>A link that was idle earns no credit for more than 50 ms, so it cannot burst after a pause.</summary>
        public void StartChunk()
        {
            var now = Stopwatch.GetTimestamp();
            if (_next == 0) _next = now;
            else if (_next < now - Stopwatch.Frequency / 20) _next = now - Stopwatch.Frequency / 20;
        }

        public async ValueTask WaitAsync(int bytes, long bytesPerSecond, CancellationToken cancellationToken)
        {
            _next += bytes * Stopwatch.Frequency / bytesPerSecond;
            await PauseUntilAsync(_next, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until the <see cref="Stopwatch"/> reaches <paramref name="timestamp"/>. Task.Delay alone may wake a few
    /// milliseconds early (its clock ticks coarsely), and a fault that is shorter than asked would be a lie.
    /// </summary>
    public static async ValueTask PauseUntilAsync(long timestamp, CancellationToken cancellationToken)
    {
        while (true)
        {
            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
            if (left <= TimeSpan.Zero) return;
            await Task.Delay(left < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : left, cancellationToken).ConfigureAwait(false);
        }
    }
}
