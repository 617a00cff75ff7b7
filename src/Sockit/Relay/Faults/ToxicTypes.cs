namespace Sockit.Relay.Faults;

/// <summary>
/// The toxic types Sockit knows, with their attributes and defaults. Names and units follow toxiproxy, so a toxic
/// written for toxiproxy means the same here: milliseconds unless said otherwise, bandwidth in KB/s (1000 bytes).
/// </summary>
internal static class ToxicTypes
{
    public const string Latency = "latency";
    public const string Bandwidth = "bandwidth";
    public const string SlowClose = "slow_close";
    public const string Timeout = "timeout";
    public const string ResetPeer = "reset_peer";
    public const string Slicer = "slicer";
    public const string LimitData = "limit_data";

    /// <summary>Each type's attributes, in the order they are documented, with their defaults.</summary>
    public static readonly IReadOnlyDictionary<string, (string Name, long Default)[]> Attributes = new Dictionary<string, (string, long)[]>
    {
        [Latency] = [("latency", 0), ("jitter", 0)],
        [Bandwidth] = [("rate", 0)],
        [SlowClose] = [("delay", 0)],
        [Timeout] = [("timeout", 0)],
        [ResetPeer] = [("timeout", 0)],
        [Slicer] = [("average_size", 0), ("size_variation", 0), ("delay", 0)],
        [LimitData] = [("bytes", 0)],
    };

    public static string Known => string.Join(", ", Attributes.Keys);
}
