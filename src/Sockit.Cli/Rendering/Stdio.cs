using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sockit.Cli.Rendering;

/// <summary>
/// Raw stdin and stdout as unbuffered streams: bytes pass untouched (no encoding, no line buffering), and each socket
/// read goes out with one write() so a peer reading our stdout sees data as soon as it arrives.
/// </summary>
internal static partial class Stdio
{
    // Linux pipes hold 64 KiB by default, so each read() or write() of a pipe moves at most that. A 1 MiB pipe lets the
    // 256 KiB socket reads and writes go through in one call each (the default pipe-max-size allows it unprivileged).
    private const int FSetPipeSize = 1031;
    private const int PipeSize = 1 << 20;

    public static Stream OpenInput() => OperatingSystem.IsWindows() ? Console.OpenStandardInput() : Open(0, FileAccess.Read) ?? Console.OpenStandardInput();

    public static Stream OpenOutput() => OperatingSystem.IsWindows() ? Console.OpenStandardOutput() : Open(1, FileAccess.Write) ?? Console.OpenStandardOutput();

    /// <summary>
    /// A FileStream for a pipe, socket or terminal; null for a regular file. FileStream reads and writes a seekable file
    /// with pread()/pwrite() at its own offset, which never moves the offset the shell shares with the commands around
    /// ours: in <c>(echo a; sockit connect …; echo b) &gt; out</c> the second echo would overwrite our output. The console
    /// stream uses plain read()/write(), which move it.
    /// </summary>
    private static FileStream? Open(int fd, FileAccess access)
    {
        var stream = new FileStream(Widen(new SafeFileHandle(fd, ownsHandle: false)), access, bufferSize: 0);
        if (!stream.CanSeek) return stream;
        stream.Dispose();
        return null;
    }

    private static SafeFileHandle Widen(SafeFileHandle handle)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                // Best effort: on a file or terminal the call fails with EBADF or EINVAL and nothing changes.
                _ = SetPipeSize((int)handle.DangerousGetHandle(), FSetPipeSize, PipeSize);
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
            }
        }
        return handle;
    }

    /// <summary>
    /// Writes <paramref name="data"/> to stdout with write(), without System.Console, whose set-up (terminal settings
    /// and signal handlers) costs more than the rest of a short command like --version.
    /// </summary>
    public static unsafe void WriteStdout(ReadOnlySpan<byte> data)
    {
        if (!OperatingSystem.IsLinux())
        {
            using var stdout = Console.OpenStandardOutput();
            stdout.Write(data);
            return;
        }
        fixed (byte* start = data)
        {
            for (var written = 0; written < data.Length;)
            {
                var n = Write(1, start + written, data.Length - written);
                if (n <= 0) return; // stdout closed or full (EPIPE): nothing to report it on
                written += (int)n;
            }
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "write")]
    private static unsafe partial nint Write(int fd, byte* data, nint count);

    [LibraryImport("libc.so.6", EntryPoint = "fcntl")]
    private static partial int SetPipeSize(int fd, int command, int size);
}
