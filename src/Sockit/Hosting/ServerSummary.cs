namespace Sockit.Hosting;

/// <summary>A server's totals, reported when it stops.</summary>
/// <param name="Connections">Connections accepted (datagram servers: datagrams received).</param>
/// <param name="Rejected">Clients turned away at once: by the access rules or the per-client limit.</param>
/// <param name="BytesReceived">Bytes from all peers.</param>
/// <param name="BytesSent">Bytes to all peers.</param>
/// <param name="Requests">HTTP requests answered.</param>
/// <param name="Uptime">How long the server ran.</param>
public sealed record ServerSummary(long Connections, long Rejected, long BytesReceived, long BytesSent, long Requests, TimeSpan Uptime)
{
    /// <summary>How often each limit turned a client away or ended a connection; limits that never acted are absent.</summary>
    internal IReadOnlyDictionary<HostLimit, long> Limits { get; init; } = new Dictionary<HostLimit, long>();

    /// <summary>How often the host stopped accepting because it held MaxConnections (clients then waited in the backlog).</summary>
    public long AcceptPauses { get; init; }

    /// <summary>No connections yet: the start of a sum.</summary>
    internal static ServerSummary None { get; } = new(0, 0, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The totals of this and <paramref name="other"/> (several proxies, or one started again), over <paramref name="uptime"/>.</summary>
    internal ServerSummary Plus(ServerSummary other, TimeSpan uptime) =>
        new(Connections + other.Connections, Rejected + other.Rejected, BytesReceived + other.BytesReceived, BytesSent + other.BytesSent,
            Requests + other.Requests, uptime)
        {
            Limits = Limits.Concat(other.Limits).GroupBy(l => l.Key).ToDictionary(g => g.Key, g => g.Sum(l => l.Value)),
            AcceptPauses = AcceptPauses + other.AcceptPauses,
        };
}
