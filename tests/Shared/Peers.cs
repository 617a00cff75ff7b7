namespace Sockit.Testing;

/// <summary>
/// Outside tools the interop tests talk to. A missing tool skips the test with a reason, unless SOCKIT_REQUIRE_PEERS=1
/// (as in CI), where it fails it: CI must never pass by skipping.
/// </summary>
internal static class Peers
{
    public static bool RequirePeers => Environment.GetEnvironmentVariable("SOCKIT_REQUIRE_PEERS") == "1";

    /// <summary>The tool's full path; skips or fails the test when it is not installed.</summary>
    public static string Require(string tool)
    {
        var path = Find(tool);
        if (path is not null) return path;
        var reason = $"{tool} is not installed (apt-get install {PackageOf(tool)})";
        if (RequirePeers) Assert.Fail($"{reason}, and SOCKIT_REQUIRE_PEERS=1 requires it");
        Assert.Skip(reason);
        return null!;
    }

    /// <summary>Skips (or, with SOCKIT_REQUIRE_PEERS=1, fails) unless running as root, for tests that need to drop privileges.</summary>
    public static void RequireRoot()
    {
        if (Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root") return;
        if (RequirePeers) Assert.Fail("this test needs root to run a command as an unprivileged user");
        Assert.Skip("needs root to run a command as an unprivileged user");
    }

    public static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);

    private static string PackageOf(string tool) => tool switch
    {
        "nc" => "netcat-openbsd",
        "python3" => "python3",
        "setpriv" or "unshare" => "util-linux",
        "node" => "nodejs",
        _ => tool,
    };
}
