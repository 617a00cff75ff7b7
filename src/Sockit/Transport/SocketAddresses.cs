using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Sockit.Transport.Linux;

namespace Sockit.Transport;

/// <summary>Between .NET's <see cref="EndPoint"/> and the kernel's sockaddr (which is what <see cref="SocketAddress"/> holds on Linux).</summary>
internal static unsafe class SocketAddresses
{
    /// <summary>Room for any sockaddr (sockaddr_storage).</summary>
    public const int MaxSize = 128;

    /// <summary>The address in <paramref name="raw"/> (as accept() or getsockname() wrote it), or null for an unnamed Unix socket.</summary>
    public static EndPoint? Parse(ReadOnlySpan<byte> raw)
    {
        if (raw.Length < 2) return null;
        var family = MemoryMarshal.Read<ushort>(raw);
        switch (family)
        {
            case Libc.AfInet when raw.Length >= 8:
                return new IPEndPoint(new IPAddress(raw.Slice(4, 4)), raw[2] << 8 | raw[3]);
            case Libc.AfInet6 when raw.Length >= 24:
                var scope = MemoryMarshal.Read<uint>(raw[24..]);
                return new IPEndPoint(new IPAddress(raw.Slice(8, 16), scope), raw[2] << 8 | raw[3]);
            case Libc.AfUnix when raw.Length > 2:
                var address = new SocketAddress(AddressFamily.Unix, raw.Length);
                raw.CopyTo(address.Buffer.Span);
                return new UnixDomainSocketEndPoint("x").Create(address);
            default:
                return null;
        }
    }

    /// <summary>The socket's own address (getsockname), or null when the kernel will not say.</summary>
    public static EndPoint? Local(SafeHandle fd) => Query(fd, peer: false);

    /// <summary>The peer's address (getpeername), or null when not connected.</summary>
    public static EndPoint? Peer(SafeHandle fd) => Query(fd, peer: true);

    private static EndPoint? Query(SafeHandle fd, bool peer)
    {
        var buffer = stackalloc byte[MaxSize];
        var length = MaxSize;
        try
        {
            var result = peer ? Libc.GetPeerName(fd, buffer, &length) : Libc.GetSockName(fd, buffer, &length);
            return result == 0 ? Parse(new ReadOnlySpan<byte>(buffer, Math.Min(length, MaxSize))) : null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>The address family constant for socket().</summary>
    public static int FamilyOf(EndPoint address) => address.AddressFamily switch
    {
        AddressFamily.InterNetwork => Libc.AfInet,
        AddressFamily.InterNetworkV6 => Libc.AfInet6,
        _ => Libc.AfUnix,
    };
}
