using Sockit.Proxies.Faults;
using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Proxies;

/// <summary>
/// Relays two stream connections into each other, byte for byte: EOF one way becomes shutdown(SHUT_WR) on the other
/// (half-close passes through, the other direction goes on), and a reset on one side becomes a reset on the other.
/// Each direction reads only when the previous write is done, so a slow reader slows the writer and memory stays bounded.
/// </summary>
internal static class ConnectionPump
{
    /// <summary>The toxics of a relay without faults: none, ever (nothing may add to it).</summary>
    internal static readonly FaultSet NoFaults = new();

    /// <summary>Runs until both directions have ended, or one side resets (then the other is reset too).</summary>
    /// <param name="client">The side that connected to us.</param>
    /// <param name="upstream">The side we connected to.</param>
    /// <param name="dump">Where to hexdump the traffic ('&gt;' client to upstream, '&lt;' back), or null.</param>
    /// <param name="cancellationToken">Stops both directions.</param>
    /// <returns>True when both directions ended with EOF; false when a reset was passed on.</returns>
    public static Task<bool> RelayAsync(Connection client, Connection upstream, HexDumpWriter? dump = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(upstream);
        return new FaultedLink(client, upstream, NoFaults, dump).RunAsync(cancellationToken);
    }
}
