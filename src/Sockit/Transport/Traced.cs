using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Sockit.Tracing;

namespace Sockit.Transport;

/// <summary>
/// The one place sockets are created and their set-up calls made, so every socket() … close() can be traced.
/// Data calls (send/recv) are traced inline by <see cref="Connection"/> and <see cref="DatagramChannel"/>.
/// </summary>
internal static class Traced
{
    public static Socket Create(AddressFamily family, SocketType type, ProtocolType protocol, ISocketTracer? tracer)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            var socket = new Socket(family, type, protocol);
            tracer?.Record(new SocketCallEvent(SocketCall.Socket, -1, $"{FamilyName(family)}, {TypeName(type)}, {ProtocolName(protocol)}",
                FdOf(socket), SocketError.Success, start, Stopwatch.GetTimestamp()));
            return socket;
        }
        catch (SocketException ex)
        {
            tracer?.Record(new SocketCallEvent(SocketCall.Socket, -1, $"{FamilyName(family)}, {TypeName(type)}, {ProtocolName(protocol)}",
                -1, ex.SocketErrorCode, start, Stopwatch.GetTimestamp()));
            throw;
        }
    }

    public static void SetOption(Socket socket, SocketOptionLevel level, SocketOptionName name, int value, ISocketTracer? tracer)
    {
        var start = Stopwatch.GetTimestamp();
        socket.SetSocketOption(level, name, value);
        tracer?.Record(new SocketCallEvent(SocketCall.SetSockOpt, FdOf(socket), $"{LevelName(level)}, {OptionName(name)}, {value}",
            0, SocketError.Success, start, Stopwatch.GetTimestamp()));
    }

    /// <summary>
    /// Sets SO_REUSEADDR alone, so a server can rebind a port whose old connections linger in TIME_WAIT. Not through
    /// SocketOptionName.ReuseAddress: on Linux .NET maps that to SO_REUSEPORT as well, which would let two servers share
    /// one port silently instead of the second being told "address in use".
    /// </summary>
    public static void SetReuseAddress(Socket socket, ISocketTracer? tracer)
    {
        const int SolSocket = 1, SoReuseAddr = 2;
        var start = Stopwatch.GetTimestamp();
        socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
        tracer?.Record(new SocketCallEvent(SocketCall.SetSockOpt, FdOf(socket), "SOL_SOCKET, SO_REUSEADDR, 1",
            0, SocketError.Success, start, Stopwatch.GetTimestamp()));
    }

    public static void Bind(Socket socket, EndPoint address, ISocketTracer? tracer)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            socket.Bind(address);
            tracer?.Record(new SocketCallEvent(SocketCall.Bind, FdOf(socket), Describe(address), 0, SocketError.Success, start,
                Stopwatch.GetTimestamp(), BoundNote(address, socket.LocalEndPoint)));
        }
        catch (SocketException ex)
        {
            tracer?.Record(new SocketCallEvent(SocketCall.Bind, FdOf(socket), Describe(address), -1, ex.SocketErrorCode, start, Stopwatch.GetTimestamp()));
            throw;
        }
    }

    public static void Listen(Socket socket, int backlog, ISocketTracer? tracer)
    {
        var start = Stopwatch.GetTimestamp();
        socket.Listen(backlog);
        tracer?.Record(new SocketCallEvent(SocketCall.Listen, FdOf(socket), $"backlog {backlog}", 0, SocketError.Success, start, Stopwatch.GetTimestamp()));
    }

    public static async ValueTask<Socket> AcceptAsync(Socket listener, ISocketTracer? tracer, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            var socket = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            tracer?.Record(new SocketCallEvent(SocketCall.Accept, FdOf(listener), null, FdOf(socket), SocketError.Success, start,
                Stopwatch.GetTimestamp(), socket.RemoteEndPoint is { } peer ? $"peer {Describe(peer)}" : null));
            return socket;
        }
        catch (SocketException ex)
        {
            tracer?.Record(new SocketCallEvent(SocketCall.Accept, FdOf(listener), null, -1, ex.SocketErrorCode, start, Stopwatch.GetTimestamp()));
            throw;
        }
    }

    public static async ValueTask ConnectAsync(Socket socket, EndPoint address, ISocketTracer? tracer, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await socket.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
            tracer?.Record(new SocketCallEvent(SocketCall.Connect, FdOf(socket), Describe(address), 0, SocketError.Success, start,
                Stopwatch.GetTimestamp(), socket.LocalEndPoint is { } local ? $"local {Describe(local)}" : null));
        }
        catch (SocketException ex)
        {
            tracer?.Record(new SocketCallEvent(SocketCall.Connect, FdOf(socket), Describe(address), -1, ex.SocketErrorCode, start, Stopwatch.GetTimestamp()));
            throw;
        }
        catch (OperationCanceledException)
        {
            tracer?.Record(new SocketCallEvent(SocketCall.Connect, FdOf(socket), Describe(address), -1, SocketError.OperationAborted, start,
                Stopwatch.GetTimestamp(), "abandoned: timed out or cancelled"));
            throw;
        }
    }

    public static void Shutdown(Socket socket, SocketShutdown how, ISocketTracer? tracer)
    {
        var start = Stopwatch.GetTimestamp();
        var error = SocketError.Success;
        try
        {
            socket.Shutdown(how);
        }
        catch (SocketException ex)
        {
            error = ex.SocketErrorCode; // ENOTCONN when the peer is already gone: nothing left to shut down
        }
        tracer?.Record(new SocketCallEvent(SocketCall.Shutdown, FdOf(socket), how switch
        {
            SocketShutdown.Send => "SHUT_WR",
            SocketShutdown.Receive => "SHUT_RD",
            _ => "SHUT_RDWR",
        }, error == SocketError.Success ? 0 : -1, error, start, Stopwatch.GetTimestamp(), how == SocketShutdown.Send && error == SocketError.Success ? "FIN sent: no more data from this side" : null));
    }

    public static void Close(Socket socket, int fd, ISocketTracer? tracer, bool abortive = false)
    {
        var start = Stopwatch.GetTimestamp();
        // Close(0) is .NET's abortive close (SO_LINGER 0, so the peer sees RST). Dispose() alone, with an operation
        // pending, first shuts the socket down, and the peer would see an orderly FIN instead.
        if (abortive) socket.Close(0);
        else socket.Dispose();
        tracer?.Record(new SocketCallEvent(SocketCall.Close, fd, null, 0, SocketError.Success, start, Stopwatch.GetTimestamp(),
            abortive ? "with SO_LINGER 0: the peer sees RST" : null));
    }

    /// <summary>socket() for the engine: non-blocking and close-on-exec from the start.</summary>
    public static SocketHandle CreateNonBlocking(int family, int type, int protocol, string description, ISocketTracer? tracer)
    {
        var start = Stopwatch.GetTimestamp();
        var fd = Linux.Libc.Socket(family, type | Linux.Libc.SockNonblock | Linux.Libc.SockCloexec, protocol);
        var error = fd < 0 ? Linux.Libc.LastError() : SocketError.Success;
        tracer?.Record(new SocketCallEvent(SocketCall.Socket, -1, description, fd, error, start, Stopwatch.GetTimestamp()));
        return fd >= 0 ? new SocketHandle(fd) : throw new SocketException((int)error);
    }

    /// <summary>setsockopt() with an int value, on an engine socket.</summary>
    public static unsafe void SetOption(SocketHandle socket, int level, int name, int value, string description, ISocketTracer? tracer)
    {
        var start = Stopwatch.GetTimestamp();
        int result;
        try
        {
            result = Linux.Libc.SetSockOpt(socket, level, name, &value, sizeof(int));
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        tracer?.Record(new SocketCallEvent(SocketCall.SetSockOpt, socket.Fd, description, result, result == 0 ? SocketError.Success : Linux.Libc.LastError(),
            start, Stopwatch.GetTimestamp()));
    }

    /// <summary>shutdown(SHUT_WR) on an engine socket; ENOTCONN (the peer is gone) is traced, not thrown.</summary>
    public static void Shutdown(SocketHandle socket, ISocketTracer? tracer)
    {
        var start = Stopwatch.GetTimestamp();
        SocketError error;
        try
        {
            error = Linux.Libc.Shutdown(socket, Linux.Libc.ShutWr) == 0 ? SocketError.Success : Linux.Libc.LastError();
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        tracer?.Record(new SocketCallEvent(SocketCall.Shutdown, socket.Fd, "SHUT_WR", error == SocketError.Success ? 0 : -1, error, start, Stopwatch.GetTimestamp(),
            error == SocketError.Success ? "FIN sent: no more data from this side" : null));
    }

    public static void Unlink(string path, ISocketTracer? tracer)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            File.Delete(path);
            tracer?.Record(new SocketCallEvent(SocketCall.Unlink, -1, $"\"{path}\"", 0, SocketError.Success, start, Stopwatch.GetTimestamp()));
        }
        catch (IOException)
        {
            // The file is gone or cannot be removed; nothing the caller can do at shutdown.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The socket's descriptor, read only when tracing (reading it marks the handle as exposed).</summary>
    public static int FdOf(Socket socket)
    {
        try
        {
            return (int)socket.SafeHandle.DangerousGetHandle();
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
    }

    public static string Describe(EndPoint address) => address switch
    {
        IPEndPoint ip when ip.Address.IsIPv4MappedToIPv6 => new IPEndPoint(ip.Address.MapToIPv4(), ip.Port).ToString(),
        UnixDomainSocketEndPoint unix when string.IsNullOrEmpty(unix.ToString()) => "(unnamed)",
        UnixDomainSocketEndPoint unix when unix.ToString() is { Length: > 0 } path && path[0] == '\0' => $"@{path[1..]}",
        UnixDomainSocketEndPoint unix => $"\"{unix}\"",
        _ => address.ToString() ?? "?",
    };

    private static string? BoundNote(EndPoint requested, EndPoint? bound) =>
        requested is IPEndPoint { Port: 0 } && bound is IPEndPoint actual ? $"the OS chose port {actual.Port}" : null;

    private static string FamilyName(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => "AF_INET",
        AddressFamily.InterNetworkV6 => "AF_INET6",
        AddressFamily.Unix => "AF_UNIX",
        _ => family.ToString(),
    };

    private static string TypeName(SocketType type) => type switch
    {
        SocketType.Stream => "SOCK_STREAM",
        SocketType.Dgram => "SOCK_DGRAM",
        SocketType.Seqpacket => "SOCK_SEQPACKET",
        _ => type.ToString(),
    };

    private static string ProtocolName(ProtocolType protocol) => protocol switch
    {
        ProtocolType.Tcp => "IPPROTO_TCP",
        ProtocolType.Udp => "IPPROTO_UDP",
        _ => "0",
    };

    private static string LevelName(SocketOptionLevel level) => level switch
    {
        SocketOptionLevel.Socket => "SOL_SOCKET",
        SocketOptionLevel.Tcp => "IPPROTO_TCP",
        SocketOptionLevel.IPv6 => "IPPROTO_IPV6",
        SocketOptionLevel.IP => "IPPROTO_IP",
        _ => level.ToString(),
    };

    private static string OptionName(SocketOptionName name) => name switch
    {
        SocketOptionName.IPv6Only => "IPV6_V6ONLY",
        SocketOptionName.NoDelay => "TCP_NODELAY",
        SocketOptionName.Broadcast => "SO_BROADCAST",
        SocketOptionName.KeepAlive => "SO_KEEPALIVE",
        _ => name.ToString(),
    };
}
