using System.Globalization;

namespace Sockit.Inspection;

/// <summary>
/// Finds which processes hold a local TCP or UDP port, from the kernel's tables in /proc (Linux only), so that
/// "address in use" can name the culprit. Processes of other users are invisible without privileges; then it finds none.
/// </summary>
internal static class PortOwners
{
    /// <summary>"nginx (pid 812)" style descriptions of the holders of <paramref name="port"/>, possibly empty.</summary>
    public static IReadOnlyList<string> Describe(int port, bool udp)
    {
        if (!OperatingSystem.IsLinux()) return [];
        try
        {
            var inodes = new HashSet<string>();
            foreach (var table in udp ? new[] { "/proc/net/udp", "/proc/net/udp6" } : ["/proc/net/tcp", "/proc/net/tcp6"])
                CollectInodes(table, port, udp, inodes);
            return inodes.Count == 0 ? [] : FindProcesses(inodes);
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static void CollectInodes(string table, int port, bool udp, HashSet<string> inodes)
    {
        if (!File.Exists(table)) return;
        foreach (var line in File.ReadLines(table).Skip(1))
        {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 10) continue;
            var local = fields[1];
            var colon = local.LastIndexOf(':');
            if (colon < 0 || !int.TryParse(local.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var localPort)) continue;
            const string Listen = "0A", UdpBound = "07";
            if (localPort == port && fields[3] == (udp ? UdpBound : Listen) && fields[9] != "0") inodes.Add(fields[9]);
        }
    }

    private static List<string> FindProcesses(HashSet<string> inodes)
    {
        var owners = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var pidText = Path.GetFileName(dir);
            if (!int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(dir, "fd")))
                {
                    var target = new FileInfo(fd).LinkTarget;
                    if (target is null || !target.StartsWith("socket:[", StringComparison.Ordinal)) continue;
                    if (!inodes.Contains(target[8..^1])) continue;
                    var name = File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                    owners.Add($"{name} (pid {pid})");
                    break;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another user's process, or one that exited while we looked.
            }
        }
        return owners;
    }
}
