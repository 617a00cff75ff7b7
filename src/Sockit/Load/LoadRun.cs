using System.Diagnostics;
using HdrHistogram;

namespace Sockit.Load;

/// <summary>The clock, the limits and the latency histograms every worker of one run shares.</summary>
internal sealed class LoadRun : IDisposable
{
    private long _tickets;

    // One histogram per thread that records, not per connection: a worker's continuations run on its I/O loop's thread,
    // so 50 connections on one loop record into one histogram whose hot counts stay in cache. One per connection
    // (184 KB each) made every record a cache miss: 8% of the client's user time in bench pingpong over 50
    // connections, and 184 MB of histograms for -c 1000. A thread never records into another's, so no lock.
    // The histogram is wrapped in a struct so ThreadLocal's code is made for this type: shared generic code would look
    // its thread-static slot up on every record.
    private readonly ThreadLocal<Histogram> _latency = new(() => new(new LongHistogram(1, LoadWorker.HighestLatencyMicros, 3)), trackAllValues: true);

    public LoadRun(LoadOptions options, CancellationToken stop)
    {
        Options = options;
        Stop = stop;
        Start = Stopwatch.GetTimestamp();
        MeasureFrom = Start + Ticks(options.Warmup);
        var duration = options.Duration ?? (options.Count is null ? TimeSpan.FromSeconds(10) : options.MaxDuration);
        Deadline = MeasureFrom + Ticks(duration < options.MaxDuration ? duration : options.MaxDuration);
        _tickets = options.Count ?? long.MaxValue;
        TimeoutTicks = Ticks(options.Timeout);
    }

    public LoadOptions Options { get; }

    /// <summary>Cancelled at Ctrl-C or a little after the deadline, to cut operations still waiting then.</summary>
    public CancellationToken Stop { get; }

    public long Start { get; }

    public long MeasureFrom { get; }

    public long Deadline { get; }

    public long TimeoutTicks { get; }

    /// <summary>Whether something that happened at <paramref name="timestamp"/> counts (after the warm-up, before the deadline).</summary>
    public bool Counts(long timestamp) => timestamp >= MeasureFrom && timestamp <= Deadline;

    /// <summary>Whether another request may start: before the deadline, and while the <see cref="LoadOptions.Count"/> lasts.</summary>
    public bool MayStart()
    {
        if (Stop.IsCancellationRequested) return false;
        var now = Stopwatch.GetTimestamp();
        if (now >= Deadline) return false;
        return now < MeasureFrom || Options.Count is null || Interlocked.Decrement(ref _tickets) >= 0;
    }

    /// <summary>Records one latency, in microseconds, into this thread's histogram.</summary>
    public void RecordLatency(long micros) => _latency.Value.Counts.RecordValue(micros);

    /// <summary>Every thread's latencies added into one histogram; once every worker has finished.</summary>
    public LongHistogram MergedLatency()
    {
        var merged = new LongHistogram(1, LoadWorker.HighestLatencyMicros, 3);
        foreach (var histogram in _latency.Values) merged.Add(histogram.Counts);
        return merged;
    }

    public void Dispose() => _latency.Dispose();

    public static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private readonly record struct Histogram(LongHistogram Counts);
}
