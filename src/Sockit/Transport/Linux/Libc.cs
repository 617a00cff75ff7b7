using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Sockit.Transport.Linux;

/// <summary>
/// The Linux calls Sockit's I/O engine makes directly: non-blocking socket calls, epoll and eventfd. A descriptor is
/// passed as its <see cref="SafeHandle"/>, so it cannot be closed (and its number reused) while a call is using it.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Library = "libc.so.6";

    public const int AfUnix = 1, AfInet = 2, AfInet6 = 10;
    public const int SockStream = 1, SockNonblock = 0x800, SockCloexec = 0x80000;
    public const int SolSocket = 1, IpprotoTcp = 6;
    public const int SoError = 4, SoRcvbuf = 8, SoLinger = 13, TcpNodelay = 1;
    public const int MsgNosignal = 0x4000;
    public const int ShutWr = 1;
    public const int Fionread = 0x541B;

    public const int EIntr = 4, EAgain = 11, EInProgress = 115;

    [LibraryImport(Library, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Library, EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(SafeHandle fd, byte* address, int length);

    [LibraryImport(Library, EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(SafeHandle fd, byte* address, int* length, int flags);

    [LibraryImport(Library, EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(SafeHandle fd, byte* buffer, nint length, int flags);

    [LibraryImport(Library, EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(SafeHandle fd, byte* buffer, nint length, int flags);

    [LibraryImport(Library, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(SafeHandle fd, int how);

    [LibraryImport(Library, EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(SafeHandle fd, int level, int name, void* value, int length);

    [LibraryImport(Library, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(SafeHandle fd, int level, int name, void* value, int* length);

    [LibraryImport(Library, EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(SafeHandle fd, byte* address, int* length);

    [LibraryImport(Library, EntryPoint = "getpeername", SetLastError = true)]
    public static partial int GetPeerName(SafeHandle fd, byte* address, int* length);

    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(SafeHandle fd, nuint request, int* value);

    [LibraryImport(Library, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport(Library, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epoll, int operation, int fd, byte* registration);

    [LibraryImport(Library, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epoll, byte* events, int maximum, int timeoutMilliseconds);

    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nint length);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nint length);

    /// <summary>The errno of the call just made, as .NET's portable <see cref="SocketError"/>.</summary>
    public static SocketError LastError() => ToSocketError(Marshal.GetLastPInvokeError());

    public static SocketError ToSocketError(int errno) => errno switch
    {
        0 => SocketError.Success,
        1 or 13 => SocketError.AccessDenied,                 // EPERM, EACCES
        2 => SocketError.AddressNotAvailable,                // ENOENT: no such socket file (as .NET reports it)
        EIntr => SocketError.Interrupted,
        9 => SocketError.OperationAborted,                   // EBADF: closed under the call
        EAgain => SocketError.WouldBlock,
        12 or 105 => SocketError.NoBufferSpaceAvailable,     // ENOMEM, ENOBUFS
        22 => SocketError.InvalidArgument,
        23 or 24 => SocketError.TooManyOpenSockets,          // ENFILE, EMFILE
        32 or 108 => SocketError.Shutdown,                   // EPIPE, ESHUTDOWN
        88 => SocketError.NotSocket,
        90 => SocketError.MessageSize,
        91 => SocketError.ProtocolType,
        97 => SocketError.AddressFamilyNotSupported,
        98 => SocketError.AddressAlreadyInUse,
        99 => SocketError.AddressNotAvailable,
        100 => SocketError.NetworkDown,
        101 => SocketError.NetworkUnreachable,
        103 => SocketError.ConnectionAborted,
        104 => SocketError.ConnectionReset,
        106 => SocketError.IsConnected,
        107 => SocketError.NotConnected,
        110 => SocketError.TimedOut,
        111 => SocketError.ConnectionRefused,
        112 or 113 => SocketError.HostUnreachable,           // EHOSTDOWN, EHOSTUNREACH
        114 => SocketError.AlreadyInProgress,
        EInProgress => SocketError.InProgress,
        _ => SocketError.SocketError,
    };
}
