using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Piping;

/// <summary>How <see cref="DatagramBridge.RunServerAsync"/> treats its peers.</summary>
internal sealed record DatagramServerOptions
{
    /// <summary>Send the input to every peer seen (up to <see cref="MaxPeers"/>), not only to the one that sent last.</summary>
    public bool KeepOpen { get; init; }

    /// <summary>How many peers to remember; beyond it the longest-silent is forgotten.</summary>
    public int MaxPeers { get; init; } = 64;

    /// <summary>Which peers' datagrams are accepted.</summary>
    public AccessPolicy Policy { get; init; } = AccessPolicy.AllowAll;

    /// <summary>End after this long without a datagram either way; null runs until cancelled.</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Where to hexdump the bytes moving each way, or null.</summary>
    public HexDumpWriter? Dump { get; init; }

    /// <summary>Told of rejected peers, for logging.</summary>
    public Action<PeerEvent>? OnEvent { get; init; }
}
