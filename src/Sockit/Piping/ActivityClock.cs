using System.Diagnostics;

namespace Sockit.Piping;

/// <summary>When bytes last moved, and a watcher that fires when they have not for too long.</summary>
internal sealed class ActivityClock
{
    private long _last = Stopwatch.GetTimestamp();

    public void Touch() => Volatile.Write(ref _last, Stopwatch.GetTimestamp());

    /// <summary>Completes when nothing has moved for <paramref name="limit"/>; runs forever when limit is null.</summary>
    public async Task WaitForIdleAsync(TimeSpan? limit, CancellationToken cancellationToken)
    {
        if (limit is not { } idle)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            return;
        }
        while (true)
        {
            var quiet = Stopwatch.GetElapsedTime(Volatile.Read(ref _last));
            if (quiet >= idle) return;
            await Task.Delay(idle - quiet, cancellationToken).ConfigureAwait(false);
        }
    }
}
