using System.Net.Sockets;

namespace Sockit.Tracing;

/// <summary>The POSIX errno name behind a <see cref="SocketError"/>, as strace and man pages spell it.</summary>
internal static class ErrnoNames
{
    /// <summary>The errno name, such as ECONNREFUSED; the enum name where no errno matches.</summary>
    public static string Of(SocketError error) => error switch
    {
        SocketError.Success => "OK",
        SocketError.ConnectionRefused => "ECONNREFUSED",
        SocketError.ConnectionReset => "ECONNRESET",
        SocketError.ConnectionAborted => "ECONNABORTED",
        SocketError.TimedOut => "ETIMEDOUT",
        SocketError.HostUnreachable => "EHOSTUNREACH",
        SocketError.NetworkUnreachable => "ENETUNREACH",
        SocketError.NetworkDown => "ENETDOWN",
        SocketError.AddressAlreadyInUse => "EADDRINUSE",
        SocketError.AddressNotAvailable => "EADDRNOTAVAIL",
        SocketError.AccessDenied => "EACCES",
        SocketError.Shutdown => "EPIPE",
        SocketError.NotConnected => "ENOTCONN",
        SocketError.IsConnected => "EISCONN",
        SocketError.InvalidArgument => "EINVAL",
        SocketError.MessageSize => "EMSGSIZE",
        SocketError.NoBufferSpaceAvailable => "ENOBUFS",
        SocketError.AddressFamilyNotSupported => "EAFNOSUPPORT",
        SocketError.ProtocolType => "EPROTOTYPE",
        SocketError.OperationAborted => "ECANCELED",
        SocketError.WouldBlock => "EAGAIN",
        SocketError.InProgress => "EINPROGRESS",
        SocketError.HostNotFound => "EAI_NONAME",
        SocketError.TryAgain => "EAI_AGAIN",
        SocketError.TooManyOpenSockets => "EMFILE",
        _ => error.ToString(),
    };
}
