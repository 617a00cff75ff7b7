namespace Sockit.Inspection;

/// <summary>The kind of a socket in the machine's tables.</summary>
internal enum SocketKind
{
    /// <summary>TCP over IPv4 or IPv6.</summary>
    Tcp,
    /// <summary>UDP over IPv4 or IPv6.</summary>
    Udp,
    /// <summary>Raw IP socket.</summary>
    Raw,
    /// <summary>Unix-domain stream socket.</summary>
    UnixStream,
    /// <summary>Unix-domain datagram socket.</summary>
    UnixDatagram,
    /// <summary>Unix-domain sequenced-packet socket.</summary>
    UnixSeqpacket,
}
