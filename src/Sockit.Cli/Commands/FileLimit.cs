using System.Globalization;
using System.Runtime.InteropServices;

namespace Sockit.Cli.Commands;

/// <summary>
/// The process's open-file limit (ulimit -n) against the connections asked for: above it every connect beyond the limit
/// fails with EMFILE, and a run reports nothing useful. Checked before the first connection, not discovered after.
/// </summary>
internal static partial class FileLimit
{
    private const int RlimitNoFile = 7;

    /// <summary>Descriptors the runtime and the command hold besides the connections (stdio, epoll, the runtime's own).</summary>
    private const int Headroom = 64;

    /// <summary>The line to stop with when <paramref name="connections"/> do not fit under the limit; null when they do.</summary>
    public static string? Shortfall(int connections)
    {
        if (!OperatingSystem.IsLinux() || GetLimit(RlimitNoFile, out var limit) != 0) return null;
        var needed = (ulong)connections + Headroom;
        if (needed <= limit.Current) return null;
        var raise = limit.Maximum >= needed
            ? string.Create(CultureInfo.InvariantCulture, $"raise it with 'ulimit -n {needed}' in this shell")
            : string.Create(CultureInfo.InvariantCulture, $"the hard limit is {limit.Maximum}, so raise it as root (ulimit -Hn, or LimitNOFILE for a service)");
        return string.Create(CultureInfo.InvariantCulture,
            $"-c {connections} needs about {needed} open files, but the limit (ulimit -n) is {limit.Current}; {raise}, or lower -c");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc.so.6", EntryPoint = "getrlimit")]
    private static partial int GetLimit(int resource, out ResourceLimit limit);
}
