namespace Sockit.Load;

/// <summary>Where a run is, reported about once a second.</summary>
/// <param name="Elapsed">Time since measuring began (negative during the warm-up).</param>
/// <param name="Requests">Requests (or connections) completed so far.</param>
/// <param name="Errors">Errors so far.</param>
/// <param name="BytesSent">Bytes sent so far.</param>
/// <param name="BytesReceived">Bytes received so far.</param>
/// <param name="RecentRequestsPerSecond">Requests per second over the last report interval.</param>
internal readonly record struct LoadProgress(TimeSpan Elapsed, long Requests, long Errors, long BytesSent, long BytesReceived, double RecentRequestsPerSecond);
