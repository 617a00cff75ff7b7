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
}
