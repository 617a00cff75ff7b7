using System.Diagnostics;

namespace Sockit.Load;

/// <summary>The clock and the limits every worker of one run shares.</summary>
internal sealed class LoadRun
{
    private long _tickets;

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

    public static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
