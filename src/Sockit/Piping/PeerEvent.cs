using Sockit.Endpoints;

namespace Sockit.Piping;

/// <summary>What happened with a peer of a server.</summary>
internal enum PeerEventKind
{
    /// <summary>A client connected and was accepted.</summary>
    Connected,
    /// <summary>A client's conversation ended.</summary>
    Disconnected,
    /// <summary>A client was turned away (access rules or the client limit).</summary>
    Rejected,
}

/// <summary>A peer's arrival, departure or rejection, for logs and -v output.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Peer">Who it happened to.</param>
/// <param name="Detail">Why, or the counts at the end of a conversation.</param>
internal sealed record PeerEvent(PeerEventKind Kind, Endpoint Peer, string? Detail = null);
