using System.Globalization;
using System.Runtime.InteropServices;

namespace Sockit.Inspection;

/// <summary>
/// Which process holds which socket: every /proc/PID/fd link of the form socket:[INODE]. Processes of other users are
/// invisible without privileges; <see cref="Incomplete"/> says when some could not be read.
/// </summary>
internal sealed unsafe partial class ProcessMap
{
    private readonly Dictionary<long, (int Pid, string Name)> _owners = [];

    /// <summary>True when some processes' descriptors could not be read (not root), so some owners are unknown.</summary>
    public bool Incomplete { get; private set; }

    public bool TryGetOwner(long inode, out int pid, out string name)
    {
        if (_owners.TryGetValue(inode, out var owner))
        {
            (pid, name) = owner;
            return true;
        }
        (pid, name) = (0, "");
        return false;
    }

    /// <summary>Scans /proc; <paramref name="wanted"/>, when given, limits the map to those inodes (it still reads every link).</summary>
    public static ProcessMap Read(IReadOnlySet<long>? wanted = null)
    {
        var map = new ProcessMap();
        if (!Directory.Exists("/proc")) return map;
        Span<byte> path = stackalloc byte[64];
        Span<byte> target = stackalloc byte[64];
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(dir.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            string? name = null;
            // readdir() by hand: .NET's enumerator stat()s and lstat()s every entry that is a symlink (every fd is one),
            // which tripled the system calls of ls -p next to ss -p.
            if (!System.Text.Unicode.Utf8.TryWrite(path, CultureInfo.InvariantCulture, $"/proc/{pid}/fd\0", out _)) continue;
            var listing = OpenDir(ref MemoryMarshal.GetReference(path));
            if (listing == 0)
            {
                if (Marshal.GetLastPInvokeError() is 1 or 13) map.Incomplete = true; // EPERM, EACCES: another user's process
                continue; // or it exited while we looked
            }
            try
            {
                nint entry;
                while ((entry = ReadDir(listing)) != 0)
                {
                    // struct dirent (glibc, 64-bit): d_ino, d_off (8 bytes each), d_reclen (2), d_type (1), then the name.
                    var fdName = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)entry + 19);
                    if (!int.TryParse(fdName, NumberStyles.None, CultureInfo.InvariantCulture, out var fd)) continue;
                    if (!System.Text.Unicode.Utf8.TryWrite(path, CultureInfo.InvariantCulture, $"/proc/{pid}/fd/{fd}\0", out _)) continue;
                    // readlink into a stack buffer: thousands of sockets, no string for each link either.
                    var length = (int)ReadLinkNative(ref MemoryMarshal.GetReference(path), ref MemoryMarshal.GetReference(target), (nuint)target.Length);
                    if (length < 10 || !target[..8].SequenceEqual("socket:["u8)) continue;
                    if (!long.TryParse(target[8..(length - 1)], NumberStyles.None, CultureInfo.InvariantCulture, out var inode)) continue;
                    if (wanted is not null && !wanted.Contains(inode)) continue;
                    name ??= ReadName(dir);
                    map._owners.TryAdd(inode, (pid, name));
                }
            }
            finally
            {
                _ = CloseDir(listing);
            }
        }
        return map;
    }

    private static string ReadName(string dir)
    {
        try
        {
            return File.ReadAllText(dir + "/comm").TrimEnd('\n');
        }
        catch (IOException)
        {
            return "?";
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "opendir", SetLastError = true)]
    private static partial nint OpenDir(ref byte path);

    [LibraryImport("libc.so.6", EntryPoint = "readdir")]
    private static partial nint ReadDir(nint directory);

    [LibraryImport("libc.so.6", EntryPoint = "closedir")]
    private static partial int CloseDir(nint directory);

    [LibraryImport("libc.so.6", EntryPoint = "readlink")]
    private static partial nint ReadLinkNative(ref byte path, ref byte buffer, nuint size);
}
