using System.Buffers;
using System.Diagnostics;
using Sockit.Observability;
using Sockit.Piping;
using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Proxies.Faults;

/// <summary>
/// Relays one client and its upstream connection, byte for byte, through the proxy's toxics: EOF one way becomes
/// shutdown(SHUT_WR) on the other (half-close passes through, the other direction goes on), a reset on one side becomes a
/// reset on the other, and each direction reads only when its previous write is done, so memory stays bounded. The
/// caller closes both connections when <see cref="RunAsync"/> returns (the last EOF's FIN is that close's).
/// Data toxics (latency, bandwidth, slicer, limit_data, timeout, slow_close) act on each chunk as it passes; timed
/// toxics (reset_peer, timeout) are kept by a watcher that ends the link when they fall due, even on a silent link.
/// The toxics are re-read on every chunk, so a change through the control API reaches open connections at once.
/// </summary>
internal sealed class FaultedLink(Connection client, Connection upstream, FaultSet faults, IDataDump? dump)
{
    /// <summary>The size of a first read, and of every read until one fills its buffer.</summary>
    internal const int FirstChunk = SmallChunk;

    // Reads start at 64 KiB; each read that fills its buffer doubles the next, up to 2 MiB, and a short one goes back.
    // A bulk stream then moves two megabytes per read and write, while a chatty or idle connection never holds more
    // than 64 KiB. Each system call costs much on a virtual machine: iperf3 one way through the proxy, 8 interleaved
    // rounds, gave a median of 0.93× the direct path with 1 MiB and 1.02× with 2 MiB (4 MiB was no better).
    private const int SmallChunk = 64 * 1024;
    private const int LargeChunk = 2 * 1024 * 1024;

    private readonly int _seed = Random.Shared.Next();
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Lock _watchLock = new();
    private CancellationTokenSource? _stop;
    private TaskCompletionSource? _faultsChanged;
    private Task? _watch;
    private int _ended;
    private int _finished;
    private LinkEnd _end;

    private enum LinkEnd
    {
        Eof,
        Reset,
        Closed,
    }

    /// <summary>What ended the link, for the log: null when both sides finished by themselves.</summary>
    public string? Cause { get; private set; }

    /// <summary>Runs until both directions end, a side resets, or a toxic ends the link; false when a reset was passed on.</summary>
    /// <remarks>
    /// A link ends by its sockets: a reset or a toxic's close resets or closes both connections, which ends whatever
    /// either direction was waiting for. So a plain relay needs no task, token or timer of its own beyond its two
    /// directions, and nothing it registers is shared with the other links of the proxy.
    /// </remarks>
    /// <param name="early">What the client's first receive already gave before the upstream was dialled (a pooled buffer
    /// this link returns, and its count: bytes, or 0 for EOF), or null.</param>
    /// <param name="cancellationToken">The host's abort.</param>
    public async Task<bool> RunAsync((byte[] Buffer, int Read)? early, CancellationToken cancellationToken)
    {
        var faulted = faults != FaultSet.None;
        if (faulted)
        {
            // Toxics wait (latency, pacing): those waits end with the link, or with the host's abort.
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            faults.Attach(this);
            OnFaultsChanged();
        }
        var token = _stop?.Token ?? cancellationToken;
        var forward = PumpAsync(client, upstream, ToxicStream.Upstream, DataDirection.Sent, token, early);
        var backward = PumpAsync(upstream, client, ToxicStream.Downstream, DataDirection.Received, token, null);
        try
        {
            await forward.ConfigureAwait(false);
            await backward.ConfigureAwait(false);
        }
        finally
        {
            if (faulted)
            {
                faults.Detach(this);
                _stop!.Cancel(); // ends the watcher and any toxic's wait
                if (_watch is { } watch) StreamBridge.Observe(watch);
                _stop.Dispose();
            }
        }
        return _end != LinkEnd.Reset;
    }

    /// <summary>
    /// The proxy's toxics changed (or the link starts): a timed toxic (reset_peer, timeout) needs a watcher, which
    /// starts if none runs and otherwise looks again.
    /// </summary>
    internal void OnFaultsChanged()
    {
        lock (_watchLock)
        {
            if (_stop is null || _stop.IsCancellationRequested) return;
            if (_watch is not null)
            {
                _faultsChanged?.TrySetResult();
                return;
            }
            if (!faults.Current.All.Any(t => t.Type is ToxicTypes.ResetPeer or ToxicTypes.Timeout)) return;
            _watch = WatchAsync(_stop.Token);
        }
    }

    private async Task PumpAsync(Connection source, Connection target, ToxicStream stream, DataDirection direction, CancellationToken cancellationToken,
        (byte[] Buffer, int Read)? early)
    {
        var pacer = new ToxicPacing.Pacer();
        long passed = 0;
        var mayHaveMore = false;
        var chunk = SmallChunk;
        try
        {
            while (true)
            {
                byte[] buffer;
                int read;
                if (early is { } first)
                {
                    (buffer, read) = first; // read before the upstream was there: it goes through as any read does
                    early = null;
                }
                else
                {
                    if (!mayHaveMore) await source.WaitReadableOrFailAsync(cancellationToken).ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(chunk);
                    read = int.MinValue;
                }
                try
                {
                    // A reset is routine for a relay: a result, not an exception (which costs more than relaying did).
                    if (read == int.MinValue) read = await source.ReceiveOrFailAsync(buffer.AsMemory(0, chunk), cancellationToken).ConfigureAwait(false);
                    if (read < 0)
                    {
                        // The peer reset (passed on as a reset), or our own side was closed under us (the host's cut).
                        End(source.Aborted ? LinkEnd.Closed : LinkEnd.Reset, source.Aborted ? "cut at shutdown" : null);
                        return;
                    }
                    var readAt = Stopwatch.GetTimestamp();
                    var toxics = faults.Current.For(stream);
                    if (read == 0)
                    {
                        var closeDelay = Sum(toxics, ToxicTypes.SlowClose, "delay");
                        if (closeDelay > 0) await ToxicPacing.PauseUntilAsync(readAt + closeDelay * Stopwatch.Frequency / 1000, cancellationToken).ConfigureAwait(false);
                        // Half-close passes through and the other direction goes on. The second direction to finish
                        // skips it: the link returns now, both sockets are closed, and close() sends that FIN itself.
                        if (Interlocked.Increment(ref _finished) == 1) target.ShutdownSend();
                        return;
                    }
                    mayHaveMore = read == chunk;
                    chunk = mayHaveMore ? Math.Min(chunk * 2, LargeChunk) : SmallChunk;
                    dump?.Write(direction, buffer.AsSpan(0, read));
                    var data = buffer.AsMemory(0, read);
                    if (toxics.Length == 0)
                    {
                        if (await target.SendOrFailAsync(data, cancellationToken).ConfigureAwait(false) < 0)
                        {
                            End(target.Aborted ? LinkEnd.Closed : LinkEnd.Reset, target.Aborted ? "cut at shutdown" : null);
                            return;
                        }
                        continue;
                    }

                    Toxic? slicer = null, bandwidth = null, limit = null;
                    long latency = 0;
                    var drop = false;
                    foreach (var toxic in toxics)
                    {
                        if (!Affects(toxic)) continue;
                        SockitMetrics.ToxicsFired.Add(1, new KeyValuePair<string, object?>("type", toxic.Type));
                        switch (toxic.Type)
                        {
                            case ToxicTypes.Latency:
                                latency += ToxicPacing.DrawLatency(toxic);
                                break;
                            case ToxicTypes.Timeout:
                                drop = true; // data goes nowhere until the toxic is removed; the watcher closes the link when due
                                break;
                            case ToxicTypes.Bandwidth:
                                bandwidth = toxic;
                                break;
                            case ToxicTypes.Slicer:
                                slicer = toxic;
                                break;
                            case ToxicTypes.LimitData:
                                if (limit is null || toxic["bytes"] < limit["bytes"]) limit = toxic;
                                break;
                        }
                    }
                    if (drop) continue;
                    // Latency counts from when the chunk was read, so time spent in earlier toxics is not added twice.
                    if (latency > 0) await ToxicPacing.PauseUntilAsync(readAt + latency * Stopwatch.Frequency / 1000, cancellationToken).ConfigureAwait(false);
                    var closeAfter = false;
                    if (limit is not null && passed + read >= limit["bytes"])
                    {
                        data = data[..(int)Math.Max(0, limit["bytes"] - passed)];
                        closeAfter = true;
                    }
                    await ToxicPacing.SendShapedAsync(target, data, slicer, bandwidth, pacer, cancellationToken).ConfigureAwait(false);
                    passed += data.Length;
                    if (closeAfter)
                    {
                        End(LinkEnd.Closed, $"closed by {limit!.Name} after {limit["bytes"]} bytes");
                        return;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (SockitException)
        {
            End(LinkEnd.Reset, null); // reset (or failed) on either side of this direction
        }
        catch (ObjectDisposedException)
        {
            End(LinkEnd.Reset, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            End(LinkEnd.Closed, "cut at shutdown"); // the server is cutting connections, or the link already ended
        }
    }

    /// <summary>Ends the link when a reset_peer or timeout toxic falls due: each counts from when it began to act on this link.</summary>
    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        await Task.Yield(); // off the caller, which may hold the watch lock
        var since = new Dictionary<string, long>(StringComparer.Ordinal);
        while (true)
        {
            TaskCompletionSource changed;
            lock (_watchLock) changed = _faultsChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var snapshot = faults.Current; // read after the signal was set up, so no change slips between them
            var now = Stopwatch.GetTimestamp();
            var due = long.MaxValue;
            Toxic? next = null;
            foreach (var toxic in snapshot.All)
            {
                if (toxic.Type is not (ToxicTypes.ResetPeer or ToxicTypes.Timeout) || !Affects(toxic)) continue;
                if (toxic.Type == ToxicTypes.Timeout && toxic["timeout"] == 0) continue; // holds data back forever, closes nothing
                if (!since.TryGetValue(toxic.Name, out var start)) since[toxic.Name] = start = Math.Max(now, _started);
                var at = start + toxic["timeout"] * Stopwatch.Frequency / 1000;
                if (at < due) (due, next) = (at, toxic);
            }
            foreach (var name in since.Keys.Where(name => snapshot.All.All(t => t.Name != name)).ToList()) since.Remove(name);
            if (next is not null && due <= now)
            {
                SockitMetrics.ToxicsFired.Add(1, new KeyValuePair<string, object?>("type", next.Type));
                End(next.Type == ToxicTypes.ResetPeer ? LinkEnd.Reset : LinkEnd.Closed,
                    next.Type == ToxicTypes.ResetPeer ? $"reset by {next.Name}" : $"closed by {next.Name}");
                return;
            }
            var delay = next is null ? Timeout.InfiniteTimeSpan : Stopwatch.GetElapsedTime(now, due);
            await Task.WhenAny(changed.Task, Task.Delay(delay, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Ends the link once: a reset resets both sides; a toxic's close shuts both down (FIN) and closes them; either way
    /// the directions still waiting find their sockets gone and return.
    /// </summary>
    private void End(LinkEnd end, string? cause)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        Cause ??= cause;
        _end = end;
        switch (end)
        {
            case LinkEnd.Reset:
                Cause ??= "reset passed on";
                client.Reset();
                upstream.Reset();
                break;
            case LinkEnd.Closed:
                client.ShutdownSend();
                upstream.ShutdownSend();
                client.Dispose();
                upstream.Dispose();
                break;
        }
    }

    /// <summary>Whether <paramref name="toxic"/> acts on this link: a fixed draw per link and toxic, so toxicity 0.3 means 30 % of links.</summary>
    private bool Affects(Toxic toxic) => toxic.Affects((uint)HashCode.Combine(_seed, toxic.Name) / (double)uint.MaxValue);

    private long Sum(Toxic[] toxics, string type, string attribute)
    {
        long total = 0;
        foreach (var toxic in toxics)
            if (toxic.Type == type && Affects(toxic)) total += toxic[attribute];
        return total;
    }
}
