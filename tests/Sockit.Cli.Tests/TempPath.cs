namespace Sockit.Cli.Tests;

/// <summary>Unique short paths for Unix sockets (sun_path is limited to 107 bytes, so stay in /tmp).</summary>
internal static class TempPath
{
    public static string Socket(string suffix = ".sock") => Path.Combine(Path.GetTempPath(), $"sockit-test-{Guid.NewGuid():N}"[..28] + suffix);
}
