using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;

namespace Sockit.Inspection;

/// <summary>
/// Reads socket tables through netlink sock_diag, as ss does: one binary dump per family and protocol, with no text for
/// the kernel to format or for us to parse. Also gives Unix sockets' queues and owner, which /proc/net/unix lacks.
/// Returns null when netlink is unavailable, and <see cref="SocketTable"/> falls back to /proc.
/// </summary>
internal static partial class NetlinkDiag
{
    private const int AfNetlink = 16, SockDgram = 2, SockCloexec = 0x80000, NetlinkSockDiag = 4;
    private const ushort SockDiagByFamily = 20, NlmFRequest = 1, NlmFDump = 0x300;
    private const ushort NlmsgDone = 3, NlmsgError = 2;
    private const int HeaderLength = 16;

    private static readonly string[] TcpStates =
        ["?", "established", "syn-sent", "syn-recv", "fin-wait-1", "fin-wait-2", "time-wait", "close", "close-wait", "last-ack", "listen", "closing", "new-syn-recv"];

    /// <summary>Dumps TCP, UDP or raw sockets of one family ("ipv4"/"ipv6") into <paramref name="entries"/>; false if netlink failed.</summary>
    public static bool TryReadInet(SocketKind kind, string family, List<SocketEntry> entries, Dictionary<(ulong, ulong), string> addresses)
    {
        Span<byte> request = stackalloc byte[HeaderLength + 56];
        request.Clear();
        WriteHeader(request);
        var body = request[HeaderLength..];
        body[0] = (byte)(family == "ipv4" ? 2 : 10); // AF_INET / AF_INET6
        body[1] = (byte)(kind switch { SocketKind.Tcp => 6, SocketKind.Udp => 17, _ => 255 });
        BinaryPrimitives.WriteUInt32LittleEndian(body[4..], 0xFFFFFFFF); // every state
        return Dump(request, message =>
        {
            // struct inet_diag_msg: family, state, timer, retrans; sockid (sport, dport, src[16], dst[16], if, cookie[2]);
            // expires, rqueue, wqueue, uid, inode
            if (message.Length < 72) return;
            var state = message[1];
            var localPort = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
            var remotePort = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
            var local = Address(message.Slice(8, 16), family, addresses);
            var remote = Address(message.Slice(24, 16), family, addresses);
            var stateName = kind == SocketKind.Tcp ? (state < TcpStates.Length ? TcpStates[state] : "?") : state == 1 ? "established" : "unconnected";
            entries.Add(new SocketEntry(kind, family, stateName, local, localPort, remote, remotePort,
                ReceiveQueue: BinaryPrimitives.ReadUInt32LittleEndian(message[56..]),
                SendQueue: BinaryPrimitives.ReadUInt32LittleEndian(message[60..]),
                Uid: (int)BinaryPrimitives.ReadUInt32LittleEndian(message[64..]),
                Inode: BinaryPrimitives.ReadUInt32LittleEndian(message[68..])));
        });
    }

    /// <summary>Dumps Unix sockets of the wanted kinds, with name, queues and uid; false if netlink failed.</summary>
    public static bool TryReadUnix(IReadOnlySet<SocketKind> kinds, List<SocketEntry> entries)
    {
        Span<byte> request = stackalloc byte[HeaderLength + 24];
        request.Clear();
        WriteHeader(request);
        var body = request[HeaderLength..];
        body[0] = 1; // AF_UNIX
        BinaryPrimitives.WriteUInt32LittleEndian(body[4..], 0xFFFFFFFF);
        const uint ShowName = 1, ShowRqlen = 16, ShowUid = 64;
        BinaryPrimitives.WriteUInt32LittleEndian(body[12..], ShowName | ShowRqlen | ShowUid);
        return Dump(request, message =>
        {
            // struct unix_diag_msg: family, type, state, pad, ino, cookie[2]; then attributes
            if (message.Length < 16) return;
            SocketKind? kind = message[1] switch { 1 => SocketKind.UnixStream, 2 => SocketKind.UnixDatagram, 5 => SocketKind.UnixSeqpacket, _ => null };
            if (kind is null || (kinds.Count > 0 && !kinds.Contains(kind.Value))) return;
            var state = message[2] switch { 10 => "listen", 7 => "unconnected", 1 => "established", 2 => "syn-sent", _ => "unconnected" };
            var inode = BinaryPrimitives.ReadUInt32LittleEndian(message[4..]);
            string path = "";
            long? receive = null, send = null;
            int? uid = null;
            for (var at = 16; at + 4 <= message.Length;)
            {
                var length = BinaryPrimitives.ReadUInt16LittleEndian(message[at..]);
                var type = BinaryPrimitives.ReadUInt16LittleEndian(message[(at + 2)..]);
                if (length < 4 || at + length > message.Length) break;
                var value = message.Slice(at + 4, length - 4);
                switch (type)
                {
                    case 0: // UNIX_DIAG_NAME: a path, or NUL then an abstract name
                        path = value.Length > 0 && value[0] == 0
                            ? "@" + System.Text.Encoding.UTF8.GetString(value[1..])
                            : System.Text.Encoding.UTF8.GetString(value.TrimEnd((byte)0));
                        break;
                    case 4 when value.Length >= 8: // UNIX_DIAG_RQLEN
                        receive = BinaryPrimitives.ReadUInt32LittleEndian(value);
                        send = BinaryPrimitives.ReadUInt32LittleEndian(value[4..]);
                        break;
                    case 7 when value.Length >= 4: // UNIX_DIAG_UID
                        uid = (int)BinaryPrimitives.ReadUInt32LittleEndian(value);
                        break;
                }
                at += (length + 3) & ~3;
            }
            entries.Add(new SocketEntry(kind.Value, "unix", state, path, 0, "", 0, receive, send, uid, inode));
        });
    }

    private static void WriteHeader(Span<byte> request)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(request, (uint)request.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(request[4..], SockDiagByFamily);
        BinaryPrimitives.WriteUInt16LittleEndian(request[6..], NlmFRequest | NlmFDump);
        BinaryPrimitives.WriteUInt32LittleEndian(request[8..], 1);
    }

    private delegate void MessageHandler(ReadOnlySpan<byte> message);

    private static bool Dump(ReadOnlySpan<byte> request, MessageHandler handle)
    {
        if (!OperatingSystem.IsLinux()) return false;
        int fd;
        try
        {
            fd = SocketNative(AfNetlink, SockDgram | SockCloexec, NetlinkSockDiag);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
        if (fd < 0) return false;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(256 * 1024);
        try
        {
            if (SendNative(fd, ref MemoryMarshal.GetReference(request), (nuint)request.Length, 0) != request.Length) return false;
            while (true)
            {
                var received = (int)ReceiveNative(fd, ref buffer[0], (nuint)buffer.Length, 0);
                if (received <= 0) return false;
                var data = buffer.AsSpan(0, received);
                while (data.Length >= HeaderLength)
                {
                    var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(data);
                    var type = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
                    if (length < HeaderLength || length > data.Length) return false;
                    if (type == NlmsgDone) return true;
                    if (type == NlmsgError) return false; // this protocol is not supported (no module loaded, say)
                    handle(data[HeaderLength..length]);
                    data = data[((length + 3) & ~3)..];
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            _ = CloseNative(fd);
        }
    }

    private static string Address(ReadOnlySpan<byte> bytes, string family, Dictionary<(ulong, ulong), string> cache)
    {
        var key = (BinaryPrimitives.ReadUInt64LittleEndian(bytes), family == "ipv4" ? 0 : BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]));
        if (family == "ipv4") key.Item1 &= 0xFFFFFFFF;
        if (cache.TryGetValue(key, out var text)) return text;
        text = new IPAddress(family == "ipv4" ? bytes[..4] : bytes).ToString();
        cache[key] = text;
        return text;
    }

    [LibraryImport("libc.so.6", EntryPoint = "socket")]
    private static partial int SocketNative(int domain, int type, int protocol);

    [LibraryImport("libc.so.6", EntryPoint = "send")]
    private static partial nint SendNative(int fd, ref byte buffer, nuint length, int flags);

    [LibraryImport("libc.so.6", EntryPoint = "recv")]
    private static partial nint ReceiveNative(int fd, ref byte buffer, nuint length, int flags);

    [LibraryImport("libc.so.6", EntryPoint = "close")]
    private static partial int CloseNative(int fd);
}
