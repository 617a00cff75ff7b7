using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

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
        Span<byte> target = stackalloc byte[64];
        var path = new StringBuilder(64);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var pidText = Path.GetFileName(dir);
            if (!int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            string? name = null;
            IEnumerable<string> fds;
            try
            {
                fds = Directory.EnumerateFileSystemEntries(dir + "/fd");
                foreach (var fd in fds)
                {
                    // readlink directly into a stack buffer: thousands of sockets, no string for each link.
                    var length = ReadLink(fd, target);
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
            catch (IOException)
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

    private static int ReadLink(string path, Span<byte> target)
    {
        var result = ReadLinkNative(path, ref MemoryMarshal.GetReference(target), (nuint)target.Length);
        return (int)result;
    }

    [LibraryImport("libc.so.6", EntryPoint = "readlink", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ReadLinkNative(string path, ref byte buffer, nuint size);
}
