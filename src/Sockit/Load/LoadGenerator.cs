using System.Diagnostics;
using Sockit.Endpoints;

namespace Sockit.Load;

/// <summary>
/// Loads a server over many connections (pingpong, stream, connect or HTTP), closed loop or at a fixed rate, and
/// reports requests per second, bytes each way, errors by kind and an HdrHistogram of latencies.
/// </summary>
public static class LoadGenerator
{
    // The watchdog looks for requests past the timeout a twentieth of the timeout apart, between 50 and 250 ms: close
    // enough to it, and each tick wakes a pool thread, which then spins on a core the load and the server need.
    private static readonly TimeSpan FastestWatchdogTick = TimeSpan.FromMilliseconds(50), SlowestWatchdogTick = TimeSpan.FromMilliseconds(250);

    /// <summary>Runs the load described by <paramref name="options"/> until its duration or count is done.</summary>
    /// <param name="options">What to run.</param>
    /// <param name="cancellationToken">Stops the run early; the result covers what ran.</param>
    /// <exception cref="SockitException">The options do not make sense together (a usage error).</exception>
    public static Task<LoadResult> RunAsync(LoadOptions options, CancellationToken cancellationToken = default) =>
        RunAsync(options, progress: null, cancellationToken);

    /// <summary>Runs the load as the public overload does, telling <paramref name="progress"/> where the run is about once a second.</summary>
    /// <param name="options">What to run.</param>
    /// <param name="progress">Told where the run is about once a second, or null.</param>
    /// <param name="cancellationToken">Stops the run early; the result covers what ran.</param>
    internal static async Task<LoadResult> RunAsync(LoadOptions options, IProgress<LoadProgress>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var run = new LoadRun(options, stop.Token);
        // The cut comes a little after the deadline: the timer's clock is coarse and may fire a millisecond early, and a
        // worker stops starting requests at the deadline by itself.
        stop.CancelAfter(TimeSpan.FromSeconds((double)(run.Deadline - run.Start) / Stopwatch.Frequency) + TimeSpan.FromMilliseconds(20));
        var workers = CreateWorkers(run);
        var tasks = workers.Select((worker, i) => StartAsync(worker, run, i)).ToArray();
        var all = Task.WhenAll(tasks);

        var tick = TimeSpan.FromTicks(Math.Clamp(options.Timeout.Ticks / 20, FastestWatchdogTick.Ticks, SlowestWatchdogTick.Ticks));
        var lastReport = Stopwatch.GetTimestamp();
        long lastRequests = 0;
        while (!all.IsCompleted)
        {
            await Task.WhenAny(all, Task.Delay(tick, CancellationToken.None)).ConfigureAwait(false);
            var now = Stopwatch.GetTimestamp();
            foreach (var worker in workers) worker.CheckTimeout(now);
            if (progress is null || now - lastReport < Stopwatch.Frequency) continue;
            var requests = workers.Sum(w => w.Requests);
            progress.Report(new LoadProgress(Stopwatch.GetElapsedTime(run.MeasureFrom, now), requests, workers.Sum(w => w.ErrorCount),
                workers.Sum(w => w.BytesSent), workers.Sum(w => w.BytesReceived), (requests - lastRequests) / Stopwatch.GetElapsedTime(lastReport, now).TotalSeconds));
            (lastReport, lastRequests) = (now, requests);
        }
        await all.ConfigureAwait(false);

        var end = Math.Min(Stopwatch.GetTimestamp(), run.Deadline);
        var latency = run.MergedLatency();
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        var statuses = new SortedDictionary<int, long>();
        var outcomes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var worker in workers)
        {
            foreach (var (kind, count) in worker.Errors) errors[kind] = errors.GetValueOrDefault(kind) + count;
            foreach (var (outcome, count) in worker.Outcomes) outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + count;
            for (var status = 0; status < worker.Statuses.Length; status++)
                if (worker.Statuses[status] > 0) statuses[status] = statuses.GetValueOrDefault(status) + worker.Statuses[status];
        }
        return new LoadResult
        {
            Mode = options.Mode,
            Target = options.Target,
            Connections = options.Connections,
            Elapsed = end > run.MeasureFrom ? Stopwatch.GetElapsedTime(run.MeasureFrom, end) : TimeSpan.Zero,
            Requests = workers.Sum(w => w.Requests),
            BytesSent = workers.Sum(w => w.BytesSent),
            BytesReceived = workers.Sum(w => w.BytesReceived),
            Errors = errors,
            Statuses = statuses,
            Outcomes = outcomes,
            Latency = latency,
            Rate = options.Rate,
        };
    }

    /// <summary>Starts a worker, after its turn when connections are opened at a limited rate.</summary>
    private static async Task StartAsync(LoadWorker worker, LoadRun run, int index)
    {
        if (run.Options.ConnectRate is { } perSecond && index > 0)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(index / perSecond), run.Stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        await Task.Run(worker.RunAsync).ConfigureAwait(false);
    }

    /// <summary>One worker per connection (or UDP socket), each one loop on the I/O engine.</summary>
    private static LoadWorker[] CreateWorkers(LoadRun run) => [.. Enumerable.Range(0, run.Options.Connections).Select(i => Create(run, i))];

    private static LoadWorker Create(LoadRun run, int index) => run.Options.Mode switch
    {
        LoadMode.PingPong when !run.Options.Target.IsStream => new DatagramPingPongWorker(run, index),
        LoadMode.PingPong => new PingPongWorker(run, index),
        LoadMode.Stream => new StreamWorker(run, index),
        LoadMode.Connect or LoadMode.Reset => new ConnectWorker(run, index),
        LoadMode.Http => new HttpWorker(run, index),
        _ => new AttackWorker(run, index),
    };

    /// <summary>Checks that the options make sense together, before any traffic (RunAsync checks them too).</summary>
    /// <exception cref="SockitException">They do not; the message says which and why (a usage error).</exception>
    internal static void Validate(LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        static void Fail(string message, string? limit = null) => throw new SockitException(SockitError.InvalidArgument, message) { Limit = limit };
        if (options.Connections < 1) Fail("connections must be 1 or more");
        if (options.Rate is <= 0 or double.NaN) Fail("the rate must be more than 0 requests per second");
        if (options.ConnectRate is <= 0 or double.NaN) Fail("the connect rate must be more than 0 connections per second");
        if (options.Count is <= 0) Fail("the count must be 1 or more");
        if (options.Duration is { } duration && duration <= TimeSpan.Zero) Fail("the duration must be more than 0");
        if (options.Timeout <= TimeSpan.Zero) Fail("the timeout must be more than 0");
        if (!options.Target.IsStream && options.Mode != LoadMode.PingPong)
            Fail($"{options.Mode.ToString().ToLowerInvariant()} needs a stream endpoint (TCP or unix://); over {options.Target.Transport.ToString().ToLowerInvariant()} only pingpong runs");
        if (options.Target.Transport == TransportKind.UnixDatagram) Fail("bench loads TCP, Unix stream and UDP endpoints; unixgram:// is not supported");
        if (options.Mode is LoadMode.PingPong or LoadMode.Stream && options.Message.IsEmpty) Fail("the message is empty", nameof(LoadOptions.Message));
        if (options.Mode == LoadMode.Stream && (options.Count is not null || options.Rate is not null))
            Fail("stream mode runs for a duration at full speed: a count and a rate do not apply", nameof(LoadOptions.Count));
        if (options.Target.IsAnyAddress) Fail($"{options.Target} is every interface, not a server to load; name a host, such as 127.0.0.1:{options.Target.Port}");
    }
}
