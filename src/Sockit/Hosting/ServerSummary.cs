namespace Sockit.Hosting;

/// <summary>A server's totals, reported when it stops.</summary>
/// <param name="Connections">Connections accepted (datagram servers: datagrams received).</param>
/// <param name="Rejected">Clients turned away by the access rules or the connection limit.</param>
/// <param name="BytesReceived">Bytes from all peers.</param>
/// <param name="BytesSent">Bytes to all peers.</param>
/// <param name="Requests">HTTP requests answered.</param>
/// <param name="Uptime">How long the server ran.</param>
public sealed record ServerSummary(long Connections, long Rejected, long BytesReceived, long BytesSent, long Requests, TimeSpan Uptime);
