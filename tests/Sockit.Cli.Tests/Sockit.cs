using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>Runs the built sockit command as a separate process, exactly as a user would.</summary>
internal static class SockitCli
{
    public static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "Sockit.Cli.dll");

    public static ChildProcess Start(params string[] arguments) => ChildProcess.Start("dotnet", [Dll, .. arguments]);

    /// <summary>Runs sockit as the unprivileged user nobody (needs root and setpriv), with stdin closed.</summary>
    public static ChildProcess StartAsNobody(params string[] arguments)
    {
        Peers.RequireRoot();
        var setpriv = Peers.Require("setpriv");
        var process = ChildProcess.Start(setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", "dotnet", Dll, .. arguments],
            new Dictionary<string, string> { ["HOME"] = "/tmp", ["DOTNET_CLI_HOME"] = "/tmp" });
        process.CloseStdin();
        return process;
    }

    /// <summary>Runs to completion with the given stdin; returns exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string stdin, params string[] arguments)
    {
        await using var process = Start(arguments);
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
