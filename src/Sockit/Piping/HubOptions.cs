using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Piping;

/// <summary>How <see cref="StreamHub"/> serves many clients at once.</summary>
internal sealed record HubOptions
{
    /// <summary>Clients served at once; more are accepted and closed at once with a reset, so they do not hang.</summary>
    public int MaxClients { get; init; } = 64;

    /// <summary>For a tls:// listener: each client handshakes before it joins; null for plain bytes.</summary>
    public Tls.TlsServerOptions? Tls { get; init; }

    /// <summary>Which clients are accepted.</summary>
    public AccessPolicy Policy { get; init; } = AccessPolicy.AllowAll;

    /// <summary>Where to hexdump the bytes moving each way, or null.</summary>
    public HexDumpWriter? Dump { get; init; }

    /// <summary>Size of each read.</summary>
    public int BufferSize { get; init; } = 64 * 1024;

    /// <summary>Told of clients connecting, leaving and being rejected.</summary>
    public Action<PeerEvent>? OnEvent { get; init; }
}
