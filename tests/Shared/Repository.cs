namespace Sockit.Testing;

/// <summary>Where the repository's own files are, for tests that check them (deploy/, the packages' sources, the API snapshot).</summary>
internal static class Repository
{
    /// <summary>
    /// The clone's root, found above the test binary. Not from [CallerFilePath]: a CI build (CI=true) is deterministic and
    /// maps source paths to /_/, which does not exist on disk.
    /// </summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A test project's source directory, by its name under tests/.</summary>
    public static string TestSources(string project) => Path.Combine(Root, "tests", project);

    private static string FindRoot()
    {
        for (var directory = AppContext.BaseDirectory; directory is not null; directory = Path.GetDirectoryName(directory))
            if (File.Exists(Path.Combine(directory, "Sockit.slnx"))) return directory;
        throw new InvalidOperationException($"no Sockit.slnx above the test binary in {AppContext.BaseDirectory}");
    }
}
