using System.Runtime.CompilerServices;

namespace Sockit.Cli.Tests;

/// <summary>Where the repository's own files are, for tests that check them (deploy/, the packages' sources).</summary>
internal static class Repository
{
    /// <summary>This test project's source directory.</summary>
    public static string TestSources { get; } = Path.GetDirectoryName(ThisFile())!;

    // After TestSources, which it starts from: static properties are set in the order written.
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var directory = TestSources;
        while (directory is not null && !File.Exists(Path.Combine(directory, "Sockit.slnx"))) directory = Path.GetDirectoryName(directory);
        return directory ?? throw new InvalidOperationException($"no Sockit.slnx above {TestSources}");
    }

    private static string ThisFile([CallerFilePath] string path = "") => path;
}
