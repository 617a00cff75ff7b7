namespace Sockit.Tracing;

/// <summary>The socket system calls Sockit reports to a tracer: the seven steps and the calls around them.</summary>
internal enum SocketCall
{
    /// <summary>socket(): a new socket.</summary>
    Socket,
    /// <summary>setsockopt(): an option set on a socket.</summary>
    SetSockOpt,
    /// <summary>bind(): the socket takes a local address.</summary>
    Bind,
    /// <summary>listen(): the socket starts queueing incoming connections.</summary>
    Listen,
    /// <summary>accept(): a queued connection becomes a socket of its own.</summary>
    Accept,
    /// <summary>connect(): a client reaches a listening socket (or fixes a datagram peer).</summary>
    Connect,
    /// <summary>send(): bytes handed to the kernel for the peer.</summary>
    Send,
    /// <summary>recv(): bytes taken from the kernel; 0 means the peer finished sending (EOF).</summary>
    Recv,
    /// <summary>sendto(): one datagram to an address.</summary>
    SendTo,
    /// <summary>recvfrom(): one datagram and who sent it.</summary>
    RecvFrom,
    /// <summary>shutdown(): one or both directions closed, such as SHUT_WR for "no more data from me".</summary>
    Shutdown,
    /// <summary>close(): the socket released.</summary>
    Close,
    /// <summary>unlink(): a Unix socket file removed.</summary>
    Unlink,
    /// <summary>Not a system call: a step of a TLS handshake (a message sent or received), or its end.</summary>
    Tls,
}
