namespace Sockit.Proxies.Faults;

/// <summary>
/// The toxic types Sockit knows, with their attributes and defaults. Names and units follow toxiproxy, so a toxic
/// written for toxiproxy means the same here: milliseconds unless said otherwise, bandwidth in KB/s (1000 bytes).
/// </summary>
internal static class ToxicTypes
{
    public const string Noop = "noop";
    public const string Latency = "latency";
    public const string Bandwidth = "bandwidth";
    public const string SlowClose = "slow_close";
    public const string Timeout = "timeout";
    public const string ResetPeer = "reset_peer";
    public const string Slicer = "slicer";
    public const string LimitData = "limit_data";
    public const string Loss = "loss";
    public const string Duplicate = "duplicate";
    public const string Reorder = "reorder";

    /// <summary>Each type's attributes, in the order they are documented, with their defaults.</summary>
    public static readonly IReadOnlyDictionary<string, (string Name, long Default)[]> Attributes = new Dictionary<string, (string, long)[]>
    {
        [Noop] = [], // toxiproxy's: passes everything on untouched (a placeholder clients create and test against)
        [Latency] = [("latency", 0), ("jitter", 0)],
        [Bandwidth] = [("rate", 0)],
        [SlowClose] = [("delay", 0)],
        [Timeout] = [("timeout", 0)],
        [ResetPeer] = [("timeout", 0)],
        [Slicer] = [("average_size", 0), ("size_variation", 0), ("delay", 0)],
        [LimitData] = [("bytes", 0)],
        [Loss] = [("probability", 0)],
        [Duplicate] = [("probability", 0)],
        [Reorder] = [("probability", 0), ("delay", 10)],
    };

    /// <summary>Toxics that only make sense on a byte stream (TCP, Unix stream).</summary>
    public static readonly IReadOnlySet<string> StreamOnly = new HashSet<string> { Bandwidth, SlowClose, ResetPeer, Slicer, LimitData };

    /// <summary>Toxics that only make sense on datagrams (UDP): Sockit's additions to toxiproxy's set.</summary>
    public static readonly IReadOnlySet<string> DatagramOnly = new HashSet<string> { Loss, Duplicate, Reorder };

    /// <summary>Why <paramref name="toxic"/> cannot act on a proxy of this kind, or null when it can.</summary>
    public static string? Unfit(Toxic toxic, bool datagram) =>
        datagram && StreamOnly.Contains(toxic.Type) ? $"{toxic.Type} acts on byte streams; this proxy relays datagrams (UDP takes latency, timeout, loss, duplicate, reorder)"
        : !datagram && DatagramOnly.Contains(toxic.Type) ? $"{toxic.Type} acts on datagrams; this proxy relays a byte stream (use it on a udp:// proxy)"
        : null;

    public static string Known => string.Join(", ", Attributes.Keys);
}
