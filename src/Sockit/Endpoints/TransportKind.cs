namespace Sockit.Endpoints;

/// <summary>The socket type and family an endpoint speaks.</summary>
public enum TransportKind
{
    /// <summary>TCP over IPv4 or IPv6 (SOCK_STREAM).</summary>
    Tcp,
    /// <summary>UDP over IPv4 or IPv6 (SOCK_DGRAM).</summary>
    Udp,
    /// <summary>Unix-domain stream socket (AF_UNIX, SOCK_STREAM).</summary>
    Unix,
    /// <summary>Unix-domain datagram socket (AF_UNIX, SOCK_DGRAM).</summary>
    UnixDatagram,
}
