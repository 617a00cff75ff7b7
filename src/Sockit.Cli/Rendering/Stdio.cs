using Microsoft.Win32.SafeHandles;

namespace Sockit.Cli.Rendering;

/// <summary>
/// Raw stdin and stdout as unbuffered streams: bytes pass untouched (no encoding, no line buffering), and each socket
/// read goes out with one write() so a peer reading our stdout sees data as soon as it arrives.
/// </summary>
internal static class Stdio
{
    public static Stream OpenInput() => OperatingSystem.IsWindows()
        ? Console.OpenStandardInput()
        : new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);

    public static Stream OpenOutput() => OperatingSystem.IsWindows()
        ? Console.OpenStandardOutput()
        : new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
}
