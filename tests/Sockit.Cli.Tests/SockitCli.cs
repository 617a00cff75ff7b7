using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>Runs the built sockit command as a separate process, exactly as a user would.</summary>
internal static class SockitCli
{
    public static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "Sockit.Cli.dll");

    public static ChildProcess Start(params string[] arguments) => ChildProcess.Start("dotnet", [Dll, .. arguments]);

    public static ChildProcess Start(IDictionary<string, string> environment, params string[] arguments) =>
        ChildProcess.Start("dotnet", [Dll, .. arguments], environment);

    /// <summary>The built command where the user nobody can run it: a copy, when the build output is in a private directory.</summary>
    private static readonly Lazy<string> DllForOthers = new(CopyForOtherUsers);

    /// <summary>Runs sockit as the unprivileged user nobody (needs root and setpriv), with stdin closed.</summary>
    public static ChildProcess StartAsNobody(params string[] arguments)
    {
        Peers.RequireRoot();
        var setpriv = Peers.Require("setpriv");
        var dotnet = Path.GetDirectoryName(Path.GetFullPath(Peers.Require("dotnet")))!;
        var host = new FileInfo(Path.Combine(dotnet, "dotnet")).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.Combine(dotnet, "dotnet");
        if (!ReachableByOthers(Path.GetDirectoryName(host)!))
        {
            // Not something a copy can mend: the runtime itself lives where nobody cannot go (a per-user install).
            var reason = $"the .NET runtime at {host} is in a directory other users cannot enter, so nothing can run as nobody";
            if (Peers.RequirePeers) Assert.Fail(reason);
            Assert.Skip(reason);
        }
        var process = ChildProcess.Start(setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", host, DllForOthers.Value, .. arguments],
            new Dictionary<string, string> { ["HOME"] = "/tmp", ["DOTNET_CLI_HOME"] = "/tmp" });
        process.CloseStdin();
        return process;
    }

    /// <summary>
    /// A clone in /root or in a mktemp -d directory is private: another user cannot reach the build output there. The
    /// command's files are then copied to a directory everyone may enter, removed when the tests end.
    /// </summary>
    private static string CopyForOtherUsers()
    {
        if (ReachableByOthers(AppContext.BaseDirectory)) return Dll;
        var copy = Directory.CreateTempSubdirectory("sockit-for-others-");
        File.SetUnixFileMode(copy.FullName, (UnixFileMode)0b111_101_101);
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory))
        {
            var target = Path.Combine(copy.FullName, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, (UnixFileMode)0b110_100_100);
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => copy.Delete(recursive: true);
        return Path.Combine(copy.FullName, Path.GetFileName(Dll));
    }

    /// <summary>Whether a user who is neither owner nor in the group can enter <paramref name="directory"/> and each one above it.</summary>
    private static bool ReachableByOthers(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
            if ((File.GetUnixFileMode(dir.FullName) & UnixFileMode.OtherExecute) == 0) return false;
        return true;
    }

    /// <summary>Runs to completion with the given stdin; returns exit code, stdout and stderr.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string stdin, params string[] arguments) =>
        RunAsync(stdin, new Dictionary<string, string>(), arguments);

    /// <summary>Runs to completion with the given stdin and environment; returns exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string stdin, IDictionary<string, string> environment, params string[] arguments)
    {
        await using var process = Start(environment, arguments);
        await process.WriteAsync(stdin);
        process.CloseStdin();
        var exit = await process.WaitForExitAsync();
        return (exit, await process.ReadStdoutTextAsync(), process.Stderr);
    }

    /// <summary>Starts a listener on port 0 and returns it with the address it reports on stderr.</summary>
    public static async Task<(ChildProcess Process, string Address)> ListenAsync(params string[] arguments)
    {
        var process = Start(["listen", .. arguments]);
        var line = await process.WaitForStderrAsync(l => l.Contains("listening on ", StringComparison.Ordinal));
        return (process, line[(line.IndexOf("listening on ", StringComparison.Ordinal) + 13)..].Trim());
    }
}
