using System.Globalization;
using System.Text.Json;
using HdrHistogram;
using Sockit.Load;
using Spectre.Console;

namespace Sockit.Cli.Rendering;

/// <summary>What sockit bench shows: a live line while it runs, then the result as text or JSON on stdout.</summary>
internal static class BenchReport
{
    private static readonly (string Name, double Percentile)[] Percentiles = [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)];

    /// <summary>Runs the load with a live progress line: redrawn on a terminal (Spectre.Console), a plain line a second when stderr is piped.</summary>
    public static async Task<LoadResult> RunWithProgressAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        LoadGenerator.Validate(options); // a usage error is the only line, not one after the announcement
        Reporter.Info(Describe(options));
        if (Console.IsErrorRedirected) return await LoadGenerator.RunAsync(options, new Sink(p => Reporter.Info(ProgressLine(p))), cancellationToken);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        LoadResult? result = null;
        await console.Live(new Text("starting…")).AutoClear(true).StartAsync(async live =>
        {
            result = await LoadGenerator.RunAsync(options, new Sink(p =>
            {
                // One line, never wrapped: a wrapped live line leaves its first half behind at every redraw.
                live.UpdateTarget(new Text(TextTable.Elide(ProgressLine(p), Math.Max(20, console.Profile.Width - 1))) { Overflow = Overflow.Ellipsis });
                live.Refresh();
            }), cancellationToken);
        });
        return result!;
    }

    /// <param name="result">The run's figures.</param>
    /// <param name="json">One JSON document instead of lines.</param>
    /// <param name="tls">The target speaks TLS: a connect's latency then includes the handshake, and says so.</param>
    public static void Print(LoadResult result, bool json, bool tls = false)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(ToJson(result), CliJsonContext.Output.BenchJson));
            return;
        }
        var seconds = result.Elapsed.TotalSeconds;
        var what = result.Mode is LoadMode.PingPong or LoadMode.Http or LoadMode.Stream ? "requests" : "connections";
        var lines = new List<string>();
        if (result.Mode != LoadMode.Stream)
            lines.Add(Invariant($"{what,-11} {result.Requests:N0} in {seconds:F2}s = {result.RequestsPerSecond:N1}/s"));
        if (result.BytesSent + result.BytesReceived > 0)
            lines.Add(Invariant($"{"transfer",-11} sent {Sizes.Format((long)result.SentPerSecond)}/s, received {Sizes.Format((long)result.ReceivedPerSecond)}/s ({Sizes.Format(result.BytesSent)}, {Sizes.Format(result.BytesReceived)})"));
        if (result.Latency.TotalCount > 0) lines.Add($"{(what == "connections" ? tls ? "connect+tls" : "connect" : "latency"),-11} {LatencyLine(result.Latency)}");
        if (result.Outcomes.Count > 0)
            lines.Add($"{"server",-11} {string.Join(", ", result.Outcomes.OrderByDescending(o => o.Value).Select(o => Invariant($"{o.Key} {o.Value:N0}")))}");
        lines.Add($"{"errors",-11} {(result.ErrorCount == 0 ? "none" : ErrorSummary(result.Errors))}");
        if (result.Statuses.Count > 0)
            lines.Add($"{"statuses",-11} {string.Join(", ", result.Statuses.Select(s => Invariant($"{s.Key}: {s.Value:N0}")))}");
        foreach (var line in lines) Console.Out.WriteLine(line);
    }

    public static void PrintMerged(int files, HistogramBase merged, bool json)
    {
        var span = merged.EndTimeStamp > merged.StartTimeStamp ? (merged.EndTimeStamp - merged.StartTimeStamp) / 1000.0 : 0;
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new BenchMergeJson(files, merged.TotalCount, Math.Round(span, 3),
                span > 0 ? Math.Round(merged.TotalCount / span, 1) : null, LatencyJson(merged)), CliJsonContext.Output.BenchMergeJson));
            return;
        }
        Console.Out.WriteLine(Invariant($"{"requests",-11} {merged.TotalCount:N0} from {Words.Plural(files, "file")}") +
                              (span > 0 ? Invariant($" over {span:F2}s = {merged.TotalCount / span:N1}/s") : ""));
        if (merged.TotalCount > 0) Console.Out.WriteLine($"{"latency",-11} {LatencyLine(merged)}");
    }

    public static string ErrorSummary(IReadOnlyDictionary<string, long> errors) =>
        string.Join(", ", errors.OrderByDescending(e => e.Value).Select(e => Invariant($"{e.Key} {e.Value:N0}")));

    private static string Describe(LoadOptions options)
    {
        var length = options.Duration is { } d ? $"for {Durations.Format(d)}" : options.Count is { } n ? Invariant($"for {n:N0} request{(n == 1 ? "" : "s")}") : "for 10s";
        var loop = options.Rate is { } rate ? Invariant($"open loop at {rate:N0} requests/s") : "closed loop";
        var warmup = options.Warmup > TimeSpan.Zero ? $" after a {Durations.Format(options.Warmup)} warm-up" : "";
        return Invariant($"bench {ModeName(options.Mode)} {options.Target} over {options.Connections} connection{(options.Connections == 1 ? "" : "s")} {length}, {loop}{warmup}");
    }

    public static string ModeName(LoadMode mode) => mode == LoadMode.SlowRead ? "slow-read" : mode.ToString().ToLowerInvariant();

    private static string ProgressLine(LoadProgress p) => p.Elapsed < TimeSpan.Zero
        ? Invariant($"warming up, {-p.Elapsed.TotalSeconds:F0}s left")
        : p.Requests == 0 && p.BytesSent > 0
            ? Invariant($"{p.Elapsed.TotalSeconds:F0}s: sent {Sizes.Format(p.BytesSent)}, received {Sizes.Format(p.BytesReceived)}, {p.Errors:N0} error{(p.Errors == 1 ? "" : "s")}")
            : Invariant($"{p.Elapsed.TotalSeconds:F0}s: {p.Requests:N0} request{(p.Requests == 1 ? "" : "s")}, {p.RecentRequestsPerSecond:N0}/s now, {p.Errors:N0} error{(p.Errors == 1 ? "" : "s")}");

    private static string LatencyLine(HistogramBase latency) =>
        string.Join("  ", Percentiles.Select(p => $"{p.Name} {Micros(latency.GetValueAtPercentile(p.Percentile))}")) + $"  max {Micros(latency.GetMaxValue())}";

    /// <summary>Microseconds as a person reads them: 45 µs, 1.23 ms, 2.5 s.</summary>
    private static string Micros(long micros) => micros switch
    {
        < 1000 => Invariant($"{micros} µs"),
        < 1_000_000 => Invariant($"{micros / 1000.0:0.##} ms"),
        _ => Invariant($"{micros / 1_000_000.0:0.##} s"),
    };

    private static BenchJson ToJson(LoadResult result) => new(
        ModeName(result.Mode), result.Target.ToString(), result.Connections, result.Rate, Math.Round(result.Elapsed.TotalSeconds, 3),
        result.Requests, Math.Round(result.RequestsPerSecond, 1), result.BytesSent, result.BytesReceived, Math.Round(result.SentPerSecond), Math.Round(result.ReceivedPerSecond),
        LatencyJson(result.Latency), new Dictionary<string, long>(result.Errors),
        result.Statuses.ToDictionary(s => s.Key.ToString(CultureInfo.InvariantCulture), s => s.Value), new Dictionary<string, long>(result.Outcomes));

    private static LatencyJson? LatencyJson(HistogramBase latency) => latency.TotalCount == 0 ? null : new(
        latency.GetValueAtPercentile(50), latency.GetValueAtPercentile(90), latency.GetValueAtPercentile(99), latency.GetValueAtPercentile(99.9),
        latency.GetMaxValue(), Math.Round(latency.GetMean(), 1));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Reports progress on the generator's thread at once (Progress&lt;T&gt; would post it to the thread pool, out of order).</summary>
    private sealed class Sink(Action<LoadProgress> report) : IProgress<LoadProgress>
    {
        public void Report(LoadProgress value) => report(value);
    }
}
