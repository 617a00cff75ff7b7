using System.Globalization;
using System.Runtime.InteropServices;
using System.IO.Enumeration;

namespace Sockit.Inspection;

/// <summary>
/// Which process holds which socket: every /proc/PID/fd link of the form socket:[INODE]. Processes of other users are
/// invisible without privileges; <see cref="Incomplete"/> says when some could not be read.
/// </summary>
internal sealed partial class ProcessMap
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
        var options = new EnumerationOptions { IgnoreInaccessible = false, AttributesToSkip = 0, ReturnSpecialDirectories = false };
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(dir.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            string? name = null;
            try
            {
                // Descriptor numbers straight from the directory entries: no string per descriptor.
                var fds = new FileSystemEnumerable<int>(dir + "/fd",
                    (ref FileSystemEntry entry) => int.TryParse(entry.FileName, NumberStyles.None, CultureInfo.InvariantCulture, out var fd) ? fd : -1, options);
                foreach (var fd in fds)
                {
                    if (fd < 0 || !System.Text.Unicode.Utf8.TryWrite(path, CultureInfo.InvariantCulture, $"/proc/{pid}/fd/{fd}\0", out _)) continue;
                    // readlink into a stack buffer: thousands of sockets, no string for each link either.
                    var length = (int)ReadLinkNative(ref MemoryMarshal.GetReference(path), ref MemoryMarshal.GetReference(target), (nuint)target.Length);
                    if (length < 10 || !target[..8].SequenceEqual("socket:["u8)) continue;
                    if (!long.TryParse(target[8..(length - 1)], NumberStyles.None, CultureInfo.InvariantCulture, out var inode)) continue;
                    if (wanted is not null && !wanted.Contains(inode)) continue;
                    name ??= ReadName(dir);
                    map._owners.TryAdd(inode, (pid, name));
                }
            }
            catch (UnauthorizedAccessException)
            {
                map.Incomplete = true;
            }
            catch (Exception ex) when (ex is IOException or DirectoryNotFoundException)
            {
                // The process exited while we looked.
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

    [LibraryImport("libc.so.6", EntryPoint = "readlink")]
    private static partial nint ReadLinkNative(ref byte path, ref byte buffer, nuint size);
}
