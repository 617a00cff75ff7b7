using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;

namespace Sockit.Inspection;

/// <summary>
/// Every socket on this machine with its state, addresses, queues and owner, read from the kernel's tables in /proc/net
/// (Linux), with owners found through /proc/PID/fd.
/// </summary>
internal static partial class SocketTable
{
    private static readonly string[] TcpStates =
        ["?", "established", "syn-sent", "syn-recv", "fin-wait-1", "fin-wait-2", "time-wait", "close", "close-wait", "last-ack", "listen", "closing", "new-syn-recv"];

    /// <summary>The sockets that match <paramref name="query"/>, and whether owners are missing for lack of rights.</summary>
    /// <exception cref="SockitException">Not on Linux: the kernel tables this reads do not exist.</exception>
    internal static SocketSnapshot Read(SocketQuery? query = null)
    {
        query ??= new SocketQuery();
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/net/unix"))
            throw new SockitException(SockitError.Other, "sockit ls reads the Linux kernel's socket tables (/proc/net), which this system does not have");

        var entries = new List<SocketEntry>(256);
        var cache = new AddressCache();
        var netlinkAddresses = new Dictionary<(ulong, ulong), string>();
        foreach (var (kind, family, path) in IpTables)
        {
            if (!Wants(query, kind) || (query.Families.Count > 0 && !query.Families.Contains(family))) continue;
            var before = entries.Count;
            if (UseNetlink && NetlinkDiag.TryReadInet(kind, family, entries, netlinkAddresses)) continue;
            entries.RemoveRange(before, entries.Count - before); // a half-read dump is discarded; /proc has it all
            ParseIp(path, kind, family, cache, entries);
        }
        foreach (var kind in new[] { SocketKind.UnixStream, SocketKind.UnixDatagram, SocketKind.UnixSeqpacket })
        {
            if (!Wants(query, kind)) continue;
            var before = entries.Count;
            if (UseNetlink && NetlinkDiag.TryReadUnix(query.Kinds, entries)) break;
            entries.RemoveRange(before, entries.Count - before);
            ParseUnix(query, entries);
            break;
        }

        entries.RemoveAll(e => !Matches(query, e));
        var incomplete = false;
        if (query.Processes || query.Pid is not null || query.Process is not null)
        {
            var map = ProcessMap.Read(entries.Select(e => e.Inode).ToHashSet());
            incomplete = map.Incomplete;
            for (var i = 0; i < entries.Count; i++)
                if (map.TryGetOwner(entries[i].Inode, out var pid, out var name))
                    entries[i] = entries[i] with { Pid = pid, Process = name };
            if (query.Pid is { } wantedPid) entries.RemoveAll(e => e.Pid != wantedPid);
            if (query.Process is { } wantedName) entries.RemoveAll(e => !string.Equals(e.Process, wantedName, StringComparison.Ordinal));
        }
        return new SocketSnapshot(entries, incomplete);
    }

    /// <summary>Netlink sock_diag first (as ss); SOCKIT_NO_NETLINK=1 forces the /proc/net text tables (as netstat).</summary>
    private static bool UseNetlink => Environment.GetEnvironmentVariable("SOCKIT_NO_NETLINK") != "1";

    private static readonly (SocketKind, string, string)[] IpTables =
    [
        (SocketKind.Tcp, "ipv4", "/proc/net/tcp"), (SocketKind.Tcp, "ipv6", "/proc/net/tcp6"),
        (SocketKind.Udp, "ipv4", "/proc/net/udp"), (SocketKind.Udp, "ipv6", "/proc/net/udp6"),
        (SocketKind.Raw, "ipv4", "/proc/net/raw"), (SocketKind.Raw, "ipv6", "/proc/net/raw6"),
    ];

    private static bool Wants(SocketQuery query, SocketKind kind) =>
        query.Kinds.Count == 0 ? kind != SocketKind.Raw || query.Listening != false : query.Kinds.Contains(kind);

    private static bool Matches(SocketQuery query, SocketEntry entry)
    {
        if (query.Kinds.Count > 0 && !query.Kinds.Contains(entry.Kind)) return false;
        if (query.Listening is { } listening && IsListening(entry) != listening) return false;
        if (query.Port is { } port && entry.LocalPort != port && entry.RemotePort != port) return false;
        if (query.States.Count > 0 && !query.States.Contains(entry.State)) return false;
        return true;
    }

    /// <summary>What ss -l counts as listening: TCP LISTEN, unconnected UDP and raw, listening or bound-unconnected Unix sockets.</summary>
    internal static bool IsListening(SocketEntry entry) => entry.State switch
    {
        "listen" => true,
        "unconnected" => !entry.IsUnix || entry.LocalAddress.Length > 0,
        _ => false,
    };

    private static void ParseIp(string path, SocketKind kind, string family, AddressCache cache, List<SocketEntry> entries)
    {
        if (!File.Exists(path)) return;
        ForEachLine(path, line =>
        {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            Span<Range> fields = stackalloc Range[12];
            if (SplitFields(line, fields) < 10) return;
            var (localAddress, localPort) = ParseEndpoint(line[fields[1]], family, cache);
            var (remoteAddress, remotePort) = ParseEndpoint(line[fields[2]], family, cache);
            var state = Hex(line[fields[3]]);
            var queues = line[fields[4]];
            var colon = queues.IndexOf((byte)':');
            var stateName = kind == SocketKind.Tcp
                ? (state < TcpStates.Length ? TcpStates[state] : "?")
                : state == 1 ? "established" : "unconnected";
            entries.Add(new SocketEntry(kind, family, stateName, localAddress, localPort, remoteAddress, remotePort,
                ReceiveQueue: Hex(queues[(colon + 1)..]), SendQueue: Hex(queues[..colon]),
                Uid: (int)Decimal(line[fields[7]]), Inode: Decimal(line[fields[9]])));
        });
    }

    private static void ParseUnix(SocketQuery query, List<SocketEntry> entries)
    {
        ForEachLine("/proc/net/unix", line =>
        {
            // Num RefCount Protocol Flags Type St Inode [Path]
            Span<Range> fields = stackalloc Range[12];
            var count = SplitFields(line, fields);
            if (count < 7) return;
            var kind = Hex(line[fields[4]]) switch
            {
                1 => SocketKind.UnixStream,
                2 => SocketKind.UnixDatagram,
                5 => SocketKind.UnixSeqpacket,
                _ => (SocketKind?)null,
            };
            if (kind is null || (query.Kinds.Count > 0 && !query.Kinds.Contains(kind.Value))) return;
            const long AcceptConnections = 0x10000;
            var listening = (Hex(line[fields[3]]) & AcceptConnections) != 0;
            var state = listening ? "listen" : Hex(line[fields[5]]) switch
            {
                1 => "unconnected",
                2 => "connecting",
                3 => "established",
                4 => "disconnecting",
                _ => "?",
            };
            // The path may contain spaces: it is everything after the inode field.
            var path = count > 7 ? System.Text.Encoding.UTF8.GetString(line[fields[7].Start..]).TrimEnd() : "";
            entries.Add(new SocketEntry(kind.Value, "unix", state, path, 0, "", 0, null, null, null, Decimal(line[fields[6]])));
        });
    }

    private delegate void LineHandler(ReadOnlySpan<byte> line);

    /// <summary>
    /// Hands each line after the header of a /proc table to <paramref name="handle"/>, reading with plain read() calls
    /// into one reused buffer. Not FileStream: it would use pread() with an offset, and on the TCP tables an offset makes
    /// the kernel walk the table from the start again for every call, quadratic in the number of sockets. Not one big
    /// array either: /proc files report a length of 0, and growing an array for megabytes costs more than parsing them.
    /// </summary>
    private static void ForEachLine(string path, LineHandler handle)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var fd = (int)file.DangerousGetHandle();
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(256 * 1024);
        try
        {
            var filled = 0;
            var header = true;
            while (true)
            {
                var read = (int)ReadNative(fd, ref buffer[filled], (nuint)(buffer.Length - filled));
                if (read < 0) throw new IOException($"cannot read {path}: errno {Marshal.GetLastPInvokeError()}");
                filled += read;
                var data = buffer.AsSpan(0, filled);
                var consumed = 0;
                int newline;
                while ((newline = data[consumed..].IndexOf((byte)'\n')) >= 0)
                {
                    var line = data.Slice(consumed, newline);
                    consumed += newline + 1;
                    if (header) header = false;
                    else if (!line.IsEmpty) handle(line);
                }
                if (read == 0)
                {
                    if (consumed < filled && !header) handle(data[consumed..]); // a last line without a newline
                    return;
                }
                data[consumed..].CopyTo(buffer); // keep the partial line for the next read
                filled -= consumed;
                if (filled == buffer.Length) throw new IOException($"a line of {path} is longer than {buffer.Length} bytes");
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadNative(int fd, ref byte buffer, nuint count);

    private static int SplitFields(ReadOnlySpan<byte> line, Span<Range> fields)
    {
        var count = 0;
        var i = 0;
        while (i < line.Length && count < fields.Length)
        {
            while (i < line.Length && line[i] == ' ') i++;
            if (i >= line.Length) break;
            var start = i;
            while (i < line.Length && line[i] != ' ') i++;
            fields[count++] = start..i;
        }
        return count;
    }

    private static (string Address, int Port) ParseEndpoint(ReadOnlySpan<byte> text, string family, AddressCache cache)
    {
        var colon = text.IndexOf((byte)':');
        var port = (int)Hex(text[(colon + 1)..]);
        var hex = text[..colon];
        return (family == "ipv4" ? cache.V4((uint)Hex(hex)) : cache.V6(hex), port);
    }

    private static long Hex(ReadOnlySpan<byte> text)
    {
        long value = 0;
        foreach (var b in text)
            value = (value << 4) | (long)(b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10);
        return value;
    }

    private static long Decimal(ReadOnlySpan<byte> text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;

    /// <summary>Addresses repeat (thousands of connections to one server): format each once.</summary>
    private sealed class AddressCache
    {
        private readonly Dictionary<uint, string> _v4 = [];
        private readonly Dictionary<(ulong, ulong), string> _v6 = [];

        // /proc prints each 32-bit word of an address in the host's byte order (little-endian here).
        public string V4(uint word)
        {
            if (_v4.TryGetValue(word, out var text)) return text;
            text = new IPAddress(BitConverter.GetBytes(word)).ToString();
            _v4[word] = text;
            return text;
        }

        public string V6(ReadOnlySpan<byte> hex)
        {
            var key = ((ulong)Hex(hex[..16]), (ulong)Hex(hex[16..]));
            if (_v6.TryGetValue(key, out var text)) return text;
            Span<byte> bytes = stackalloc byte[16];
            for (var word = 0; word < 4; word++)
                BitConverter.TryWriteBytes(bytes[(word * 4)..], (uint)Hex(hex.Slice(word * 8, 8)));
            text = new IPAddress(bytes).ToString(); // ::ffff:127.0.0.1 stays as ss prints it
            _v6[key] = text;
            return text;
        }
    }
}
