namespace Sockit.Inspection;

/// <summary>The sockets read at one moment.</summary>
/// <param name="Sockets">The sockets that matched the query.</param>
/// <param name="OwnersIncomplete">True when some owners could not be seen (processes of other users, without root).</param>
internal sealed record SocketSnapshot(IReadOnlyList<SocketEntry> Sockets, bool OwnersIncomplete);
