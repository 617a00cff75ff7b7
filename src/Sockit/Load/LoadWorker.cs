using System.Diagnostics;
using Sockit.Endpoints;
using Sockit.Transport;

namespace Sockit.Load;

/// <summary>
/// One connection's share of a run: its own counters (summed at the end, so the hot path takes no lock; latencies go to
/// its thread's histogram in <see cref="LoadRun"/>), its open-loop schedule, and the in-flight mark the generator's
/// watchdog uses to time requests out.
/// </summary>
internal abstract class LoadWorker
{
    /// <summary>Latencies from 1 µs to an hour, to 3 significant digits.</summary>
    public const long HighestLatencyMicros = 3_600_000_000;

    private static readonly TimeSpan ReconnectBackoff = TimeSpan.FromMilliseconds(10);
    private readonly long _interval;
    private long _next;
    private long _inFlightSince;
    private long _virtualDone;
    private long _requests, _bytesSent, _bytesReceived, _errors;
    private long _pendingSent, _pendingReceived; // bytes of the request in flight, counted when it completes
    private volatile bool _timedOut;
    private volatile IDisposable? _socket;

    protected LoadWorker(LoadRun run, int index)
    {
        Run = run;
        // One registration for the worker's life, instead of one per socket call: the run's stop closes the socket in
        // use, which ends any call still waiting on it.
        run.Stop.UnsafeRegister(static worker => ((LoadWorker)worker!)._socket?.Dispose(), this);
        var options = run.Options;
        if (options.Rate is { } rate)
        {
            // Each connection takes an equal share of the rate; their first requests are spread over one interval.
            _interval = (long)(Stopwatch.Frequency * options.Connections / rate);
            _next = run.Start + _interval * index / options.Connections;
        }
    }

    protected LoadRun Run { get; }

    protected LoadOptions Options => Run.Options;

    public Dictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);

    public long[] Statuses { get; } = new long[600];

    /// <summary>Attack modes: how the server met each connection.</summary>
    public Dictionary<string, long> Outcomes { get; } = new(StringComparer.Ordinal);

    public long Requests => Volatile.Read(ref _requests);

    public long BytesSent => Volatile.Read(ref _bytesSent);

    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    public long ErrorCount => Volatile.Read(ref _errors);

    public abstract Task RunAsync();

    /// <summary>Called by the watchdog: aborts the socket of a request that has run past the timeout.</summary>
    public void CheckTimeout(long now)
    {
        var since = Volatile.Read(ref _inFlightSince);
        if (since == 0 || now - since <= Run.TimeoutTicks) return;
        _timedOut = true;
        _socket?.Dispose();
    }

    /// <summary>
    /// Open loop: waits for this connection's next due time and returns it (the schedule is absolute, so a worker that
    /// fell behind sends at once). Closed loop: returns 0 at once, with no state machine and no clock read (latency
    /// counts from the send).
    /// </summary>
    protected ValueTask<long> NextStartAsync() => _interval == 0 ? ValueTask.FromResult(0L) : NextDueAsync();

    private async ValueTask<long> NextDueAsync()
    {
        var due = _next;
        _next += _interval;
        var left = due - Stopwatch.GetTimestamp();
        if (left > Stopwatch.Frequency / 1000) await Task.Delay(TimeSpan.FromSeconds((double)left / Stopwatch.Frequency), Run.Stop).ConfigureAwait(false);
        return due;
    }

    protected void Watch(IDisposable? socket) => _socket = socket;

    /// <summary>Marks the start of a request's work (its connect, if it needs one, or its send).</summary>
    protected void BeginRequest()
    {
        if (Volatile.Read(ref _inFlightSince) == 0) Volatile.Write(ref _inFlightSince, Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// Ends a request that was due at <paramref name="due"/>: counted and its latency recorded if measuring.
    /// <para>
    /// Closed loop, the latency is the time from the send to the reply. Open loop, it is what a client with perfect
    /// timers would have seen: it sends at the due time, or when its previous request is done if that is later, and
    /// the server takes as long as it took here. A server that stalls holds up every request due during the stall, and
    /// each shows the wait (no coordinated omission); a timer of ours that wakes late is not blamed on the server.
    /// </para>
    /// </summary>
    protected void Completed(long due)
    {
        var sent = Volatile.Read(ref _inFlightSince);
        Volatile.Write(ref _inFlightSince, 0);
        var end = Stopwatch.GetTimestamp();
        long latency;
        if (_interval == 0) latency = end - sent;
        else
        {
            _virtualDone = Math.Max(due, _virtualDone) + (end - sent);
            latency = _virtualDone - due;
        }
        var (sentBytes, receivedBytes) = (_pendingSent, _pendingReceived);
        (_pendingSent, _pendingReceived) = (0, 0);
        Record(latency, end, sentBytes, receivedBytes);
    }

    /// <summary>Records one finished request that took <paramref name="latency"/> Stopwatch ticks, if it ended while measuring.</summary>
    protected void Record(long latency, long end, long sentBytes, long receivedBytes)
    {
        if (!Run.Counts(end)) return;
        Run.RecordLatency(Math.Clamp(latency * 1_000_000 / Stopwatch.Frequency, 1, HighestLatencyMicros));
        // One writer per field: plain stores the progress reader sees, no locked instructions on the hot path.
        Volatile.Write(ref _requests, _requests + 1);
        Volatile.Write(ref _bytesSent, _bytesSent + sentBytes);
        Volatile.Write(ref _bytesReceived, _bytesReceived + receivedBytes);
    }

    /// <summary>Bytes sent for the request in flight (counted with it when it completes).</summary>
    protected void Sent(long bytes) => _pendingSent += bytes;

    /// <summary>Bytes received for the request in flight (counted with it when it completes).</summary>
    protected void Received(long bytes) => _pendingReceived += bytes;

    /// <summary>Stream and attack modes, where bytes are not a request's: they count as they move, if the run is measuring.</summary>
    protected void Streamed(long bytes, bool sent)
    {
        if (!Run.Counts(Stopwatch.GetTimestamp())) return;
        Interlocked.Add(ref sent ? ref _bytesSent : ref _bytesReceived, bytes); // the writer and the reader are two tasks
    }

    /// <summary>Counts a failed request by kind (unless the run is stopping) and drops the socket; false when the run is over.</summary>
    protected async ValueTask<bool> FailedAsync(Exception error)
    {
        Volatile.Write(ref _inFlightSince, 0);
        (_pendingSent, _pendingReceived) = (0, 0);
        _virtualDone = Math.Max(_virtualDone, Stopwatch.GetTimestamp());
        _socket?.Dispose();
        _socket = null;
        var timedOut = _timedOut;
        _timedOut = false;
        if (Run.Stop.IsCancellationRequested && !timedOut) return false;
        if (Run.Counts(Stopwatch.GetTimestamp()))
        {
            var kind = Classify(error, timedOut);
            Errors[kind] = Errors.GetValueOrDefault(kind) + 1;
            Interlocked.Increment(ref _errors);
        }
        if (error is SockitException { Error: SockitError.ConnectionRefused or SockitError.Unreachable or SockitError.NoSuchSocketFile })
        {
            try
            {
                await Task.Delay(ReconnectBackoff, Run.Stop).ConfigureAwait(false); // nothing listens: do not spin
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Counts how the server met one attacking connection (answered, closed, reset, timed out, still open).</summary>
    protected void CountOutcome(string outcome) => Outcomes[outcome] = Outcomes.GetValueOrDefault(outcome) + 1;

    protected void CountError(string kind)
    {
        if (!Run.Counts(Stopwatch.GetTimestamp())) return;
        Errors[kind] = Errors.GetValueOrDefault(kind) + 1;
        Interlocked.Increment(ref _errors);
    }

    private static string Classify(Exception error, bool timedOut) => timedOut ? "timeout" : error switch
    {
        SockitException { Error: SockitError.ConnectionRefused } => "refused",
        SockitException { Error: SockitError.ConnectionReset } => "reset",
        SockitException { Error: SockitError.TimedOut } => "timeout",
        ShortReplyException => "short reply",
        UnexpectedReplyException => "unexpected reply",
        _ => "other",
    };

    /// <summary>
    /// The request loop of the connection-based modes: wait for the next start, connect if there is no connection,
    /// run one <paramref name="exchange"/> (true: the connection may be reused), record it; on a failure count it and
    /// start over on a new connection.
    /// </summary>
    protected async Task RunRequestsAsync(Func<Connection, ValueTask<bool>> exchange, Action? connected = null)
    {
        Connection? connection = null;
        while (Run.MayStart())
        {
            try
            {
                var due = await NextStartAsync().ConfigureAwait(false);
                if (connection is null)
                {
                    BeginRequest();
                    connection = await ConnectAsync().ConfigureAwait(false);
                    Watch(connection);
                    connected?.Invoke();
                }
                BeginRequest();
                var reuse = await exchange(connection).ConfigureAwait(false);
                Completed(due);
                if (reuse) continue;
                connection.Dispose();
                connection = null;
            }
            catch (Exception ex) when (IsRequestFailure(ex))
            {
                connection = null;
                if (!await FailedAsync(ex).ConfigureAwait(false)) break;
            }
        }
        connection?.Dispose();
    }

    /// <summary>What ends one request (and its connection) without ending the worker.</summary>
    protected static bool IsRequestFailure(Exception ex) =>
        ex is SockitException or ObjectDisposedException or OperationCanceledException or ShortReplyException or UnexpectedReplyException;

    protected Task<Connection> ConnectAsync(int? receiveBuffer = null) =>
        Dialer.ConnectAsync(Options.Target, new DialOptions
        {
            ConnectTimeout = Options.Timeout,
            NoDelay = Options.Target.Transport == TransportKind.Tcp,
            ReceiveBufferSize = receiveBuffer,
            Tls = Options.Tls,
        }, Run.Stop);

    /// <summary>The peer closed before the whole reply came.</summary>
    protected sealed class ShortReplyException : Exception;

    /// <summary>The reply was not what the protocol allows (a malformed HTTP response).</summary>
    protected sealed class UnexpectedReplyException : Exception;
}
