using HdrHistogram;
using Sockit.Endpoints;

namespace Sockit.Load;

/// <summary>What a load run measured.</summary>
public sealed record LoadResult
{
    /// <summary>The mode that ran.</summary>
    public required LoadMode Mode { get; init; }

    /// <summary>The server that was loaded.</summary>
    public required Endpoint Target { get; init; }

    /// <summary>Connections used.</summary>
    public required int Connections { get; init; }

    /// <summary>How long the measured part ran (the warm-up excluded).</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Requests (round trips, HTTP requests, or connections in connect mode) completed while measuring.</summary>
    public required long Requests { get; init; }

    /// <summary>Bytes sent while measuring.</summary>
    public required long BytesSent { get; init; }

    /// <summary>Bytes received while measuring.</summary>
    public required long BytesReceived { get; init; }

    /// <summary>Errors by kind: refused, reset, timeout, short reply, closed, unexpected reply, other.</summary>
    public required IReadOnlyDictionary<string, long> Errors { get; init; }

    /// <summary>
    /// The attack modes: how the server met each attacking connection — answered (sent something back), closed,
    /// reset, timed out (no reaction within the timeout), still open (when the run ended).
    /// </summary>
    public IReadOnlyDictionary<string, long> Outcomes { get; init; } = new Dictionary<string, long>();

    /// <summary>HTTP mode: responses by status code.</summary>
    public required IReadOnlyDictionary<int, long> Statuses { get; init; }

    /// <summary>Latency of every measured request in microseconds (open loop: from when it was due).</summary>
    internal HistogramBase Latency { get; init; } = null!;

    /// <summary>Measured requests that have a latency (the count behind the percentiles).</summary>
    public long LatencyCount => Latency.TotalCount;

    /// <summary>The latency at or below which <paramref name="percentile"/> percent of the measured requests completed.</summary>
    /// <param name="percentile">From 0 to 100, for example 99.9.</param>
    public TimeSpan LatencyAt(double percentile) =>
        Latency.TotalCount == 0 ? TimeSpan.Zero : TimeSpan.FromMicroseconds(Latency.GetValueAtPercentile(percentile));

    /// <summary>The slowest measured request.</summary>
    public TimeSpan LatencyMax => TimeSpan.FromMicroseconds(Latency.GetMaxValue());

    /// <summary>The mean latency of the measured requests.</summary>
    public TimeSpan LatencyMean => Latency.TotalCount == 0 ? TimeSpan.Zero : TimeSpan.FromMicroseconds(Latency.GetMean());

    /// <summary>The requested open-loop rate, or null for a closed loop.</summary>
    public double? Rate { get; init; }

    /// <summary>Requests per second.</summary>
    public double RequestsPerSecond => Requests / Math.Max(Elapsed.TotalSeconds, 1e-9);

    /// <summary>Bytes sent per second.</summary>
    public double SentPerSecond => BytesSent / Math.Max(Elapsed.TotalSeconds, 1e-9);

    /// <summary>Bytes received per second.</summary>
    public double ReceivedPerSecond => BytesReceived / Math.Max(Elapsed.TotalSeconds, 1e-9);

    /// <summary>All errors.</summary>
    public long ErrorCount => Errors.Values.Sum();
}
