using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Sockit.Transport;

/// <summary>
/// Decides what to do with a file already at a Unix socket path before bind(): a socket file left by a dead process
/// is removed; a socket some process still listens on, and anything that is not a socket, are left alone.
/// </summary>
internal static partial class UnixSocketFile
{
    internal enum State
    {
        Absent,
        Stale,
        Live,
        NotASocket,
    }

    public static State Inspect(string path, SocketType type)
    {
        var isSocket = IsSocket(path);
        if (isSocket is null) return State.Absent;
        if (isSocket == false) return State.NotASocket;

        // A socket file: it is live if connecting to it works (or it is bound by a socket of another type).
        using var probe = new Socket(AddressFamily.Unix, type, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return State.Live;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return State.Stale;
        }
        catch (SocketException)
        {
            return State.Live; // EPROTOTYPE and the like: something is bound there, so do not touch it
        }
    }

    /// <summary>True for a socket, false for another kind of file, null when nothing is there.</summary>
    internal static bool? IsSocket(string path)
    {
        Span<byte> stat = stackalloc byte[512];
        int result;
        try
        {
            result = LStat(path, ref MemoryMarshal.GetReference(stat));
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            // No lstat to ask: only call it a socket if the name says nothing else exists there.
            return File.Exists(path) || Directory.Exists(path) ? false : null;
        }
        if (result != 0) return null;
        var modeOffset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,   // st_dev, st_ino, st_nlink (8 bytes each), then st_mode
            Architecture.Arm64 => 16, // generic layout: st_dev, st_ino, then st_mode
            _ => -1,
        };
        if (modeOffset < 0) return false; // unknown layout: never claim it is safe to delete
        var mode = BitConverter.ToUInt32(stat.Slice(modeOffset, 4));
        const uint TypeMask = 0xF000, SocketType = 0xC000;
        return (mode & TypeMask) == SocketType;
    }

    [LibraryImport("libc.so.6", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LStat(string path, ref byte buffer);
}
