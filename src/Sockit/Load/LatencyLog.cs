using HdrHistogram;

namespace Sockit.Load;

/// <summary>
/// Latency histograms in HdrHistogram's log format (values in microseconds), so runs from many machines can be merged
/// into one report with <see cref="Merge"/>, or read by any HdrHistogram tool.
/// </summary>
internal static class LatencyLog
{
    /// <summary>Writes <paramref name="histogram"/>, covering <paramref name="start"/> to <paramref name="end"/>, to a new file at <paramref name="path"/>.</summary>
    /// <exception cref="SockitException">The file cannot be written.</exception>
    public static void Write(string path, HistogramBase histogram, DateTimeOffset start, DateTimeOffset end, string? tag = null)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        try
        {
            using var file = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false));
            HistogramLogFormat.Write(file, histogram, start, end, tag);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SockitException(SockitError.InvalidArgument, $"cannot write the histogram file {path}: {ex.Message}");
        }
    }

    /// <summary>
    /// Reads every histogram in every file and adds them into one, whose <see cref="HistogramBase.StartTimeStamp"/> and
    /// <see cref="HistogramBase.EndTimeStamp"/> (Unix milliseconds) span all of them.
    /// </summary>
    /// <exception cref="SockitException">A file cannot be read or is not an HdrHistogram log.</exception>
    public static HistogramBase Merge(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var merged = new LongHistogram(1, LoadWorker.HighestLatencyMicros, 3) { StartTimeStamp = long.MaxValue, EndTimeStamp = 0 };
        foreach (var path in paths)
        {
            var found = 0;
            try
            {
                using var reader = new StreamReader(path);
                foreach (var (histogram, startMs, endMs) in HistogramLogFormat.Read(reader))
                {
                    merged.Add(histogram);
                    merged.StartTimeStamp = Math.Min(merged.StartTimeStamp, startMs);
                    merged.EndTimeStamp = Math.Max(merged.EndTimeStamp, endMs);
                    found++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SockitException(SockitError.InvalidArgument, $"cannot read the histogram file {path}: {ex.Message}");
            }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or OverflowException)
            {
                throw new SockitException(SockitError.InvalidArgument, $"{path} is not an HdrHistogram log (as written by sockit bench --hdr-out): {ex.Message}");
            }
            if (found == 0) throw new SockitException(SockitError.InvalidArgument, $"{path} holds no histogram; write one with sockit bench --hdr-out {path}");
        }
        if (merged.StartTimeStamp > merged.EndTimeStamp) merged.StartTimeStamp = merged.EndTimeStamp = 0;
        return merged;
    }
}
