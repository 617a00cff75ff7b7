using Sockit.Endpoints;

namespace Sockit.Hosting;

/// <summary>What one connection (or, for datagram servers, one datagram) did: the line a server logs for it.</summary>
/// <param name="Peer">Who it was.</param>
/// <param name="Duration">How long it lasted.</param>
/// <param name="BytesReceived">Bytes from the peer.</param>
/// <param name="BytesSent">Bytes to the peer.</param>
/// <param name="Requests">HTTP requests answered (0 for the other servers).</param>
/// <param name="Outcome">"closed", "reset", "rejected: …", or the reason an HTTP exchange was refused.</param>
internal sealed record ConnectionRecord(Endpoint Peer, TimeSpan Duration, long BytesReceived, long BytesSent, int Requests, string Outcome);
