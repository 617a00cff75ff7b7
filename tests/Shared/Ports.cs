using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sockit.Testing;

/// <summary>Loopback ports for peers that cannot be told to pick their own, and a readiness check for them.</summary>
internal static class Ports
{
    /// <summary>A port that was free a moment ago (bound with port 0, then released).</summary>
    public static int Free(AddressFamily family = AddressFamily.InterNetwork)
    {
        using var socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>
    /// Waits until the kernel lists a TCP socket listening on <paramref name="port"/>. Reading /proc/net/tcp does not
    /// connect, so a one-shot peer such as nc -l keeps its single accept for the test.
    /// </summary>
    public static async Task WaitForTcpListenerAsync(int port, TimeSpan? timeout = null) =>
        await WaitUntilAsync(() => IsListed(port, tcp: true), $"nothing listened on TCP port {port}", timeout);

    /// <summary>Waits until the kernel lists a UDP socket bound to <paramref name="port"/>.</summary>
    public static async Task WaitForUdpBoundAsync(int port, TimeSpan? timeout = null) =>
        await WaitUntilAsync(() => IsListed(port, tcp: false), $"nothing bound UDP port {port}", timeout);

    /// <summary>Waits until the kernel lists a listening Unix socket at <paramref name="path"/> (bound is not enough: connect() before listen() is refused).</summary>
    public static async Task WaitForUnixListenerAsync(string path, TimeSpan? timeout = null) =>
        await WaitUntilAsync(() => File.ReadLines("/proc/net/unix").Skip(1).Any(line =>
        {
            // Num RefCount Protocol Flags Type St Inode Path; flag 00010000 (__SO_ACCEPTCON) marks a listening socket
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length >= 8 && fields[7] == path && fields[3] == "00010000";
        }), $"nothing listened on {path}", timeout);

    private static async Task WaitUntilAsync(Func<bool> condition, string failure, TimeSpan? timeout)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        var pause = TimeSpan.FromMilliseconds(2);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(failure);
            await Task.Delay(pause); // a poll of kernel state, with back-off: nothing notifies us of another process's bind
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromMilliseconds(50).Ticks));
        }
    }

    /// <summary>True when some process (not necessarily the test's) listens on this TCP port now.</summary>
    public static bool IsTcpListening(int port) => IsListed(port, tcp: true);

    private static bool IsListed(int port, bool tcp)
    {
        var tables = tcp ? new[] { "/proc/net/tcp", "/proc/net/tcp6" } : ["/proc/net/udp", "/proc/net/udp6"];
        var wanted = port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (var table in tables.Where(File.Exists))
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 3 && fields[1].EndsWith(":" + wanted, StringComparison.Ordinal) && fields[3] == (tcp ? "0A" : "07")) return true;
            }
        }
        return false;
    }
}
