namespace Sockit;

/// <summary>What went wrong, in terms a user can act on. Each value maps to one clear message and an exit code in the CLI.</summary>
public enum SockitError
{
    /// <summary>Something not covered by a more specific value.</summary>
    Other,
    /// <summary>The text given as an endpoint does not parse; a usage error.</summary>
    InvalidEndpoint,
    /// <summary>Another argument (a CIDR, a mode, a size) is malformed; a usage error.</summary>
    InvalidArgument,
    /// <summary>Nothing is listening at the address (ECONNREFUSED), or a UDP port answered "unreachable".</summary>
    ConnectionRefused,
    /// <summary>An operation did not complete within its time limit.</summary>
    TimedOut,
    /// <summary>No route to the host or its network.</summary>
    Unreachable,
    /// <summary>A host name did not resolve.</summary>
    UnknownHost,
    /// <summary>The OS refused the operation for lack of rights (EACCES/EPERM).</summary>
    PermissionDenied,
    /// <summary>A Unix socket path does not exist.</summary>
    NoSuchSocketFile,
    /// <summary>The address or port is already bound by another socket.</summary>
    AddressInUse,
    /// <summary>The address to bind is not one of this host's addresses.</summary>
    AddressNotAvailable,
    /// <summary>The peer reset the connection (RST).</summary>
    ConnectionReset,
    /// <summary>A path exists but is not a socket, so Sockit will not replace it.</summary>
    NotASocket,
    /// <summary>A named thing (a proxy, a toxic) does not exist.</summary>
    NotFound,
    /// <summary>A named thing (a proxy, a toxic) exists already.</summary>
    AlreadyExists,
    /// <summary>A TLS handshake or record failed: no version or cipher in common, an alert from the peer, not TLS at all.</summary>
    TlsFailed,
    /// <summary>The peer's certificate is not signed by an authority this side trusts (or is self-signed).</summary>
    CertificateUntrusted,
    /// <summary>The peer's certificate has expired or is not yet valid.</summary>
    CertificateExpired,
    /// <summary>The server's certificate does not cover the name or address connected to.</summary>
    CertificateNameMismatch,
    /// <summary>The server asked for a client certificate and none was given, or it refused the one given.</summary>
    ClientCertificateRefused,
    /// <summary>A client spoke plain text to a TLS port.</summary>
    PlainTextOnTlsPort,
}
