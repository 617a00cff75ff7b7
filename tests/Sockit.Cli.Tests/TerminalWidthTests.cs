using System.Net.Sockets;
using System.Text.RegularExpressions;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>On an 80-column terminal (a pseudo-terminal made by script), tables and live lines fit: no line is longer, none wraps.</summary>
public sealed partial class TerminalWidthTests
{
    private const int Columns = 80;

    /// <summary>What the terminal showed, line by line, without escape sequences; a redrawn line counts at each redraw.</summary>
    private static async Task<List<string>> OnTerminalAsync(params string[] arguments)
    {
        var script = Peers.Require("script");
        var command = $"stty cols {Columns}; exec dotnet {SockitCli.Dll} {string.Join(' ', arguments)}";
        await using var process = ChildProcess.Start(script, ["-qec", command, "/dev/null"]);
        process.CloseStdin();
        Assert.True(await process.WaitForExitAsync() == 0, process.Stderr);
        var text = Escapes().Replace(await process.ReadStdoutTextAsync(), "");
        return [.. text.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Where(l => l.Trim().Length > 0)];
    }

    [GeneratedRegex(@"\x1b(\[[0-9;?]*[A-Za-z]|[=>])")]
    private static partial Regex Escapes();

    [Fact]
    public async Task Ls_fits_80_columns_with_one_line_per_socket()
    {
        // A socket whose path alone is wider than the terminal: its line must be cut, not wrapped.
        var path = Path.Combine(Path.GetTempPath(), "sockit-wide-" + new string('w', 60) + ".sock");
        using var wide = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        wide.Bind(new UnixDomainSocketEndPoint(path));
        wide.Listen();
        try
        {
            var lines = await OnTerminalAsync("ls", "-x", "-l", "-p");
            Assert.All(lines, l => Assert.True(l.Length <= Columns, $"{l.Length} columns: {l}"));
            var ours = Assert.Single(lines, l => l.Contains("sockit-wide-", StringComparison.Ordinal));
            Assert.Contains("listen", ours, StringComparison.Ordinal);
            Assert.Contains("…", ours, StringComparison.Ordinal);
            Assert.StartsWith("Kind", lines[0], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Bench_live_line_and_report_fit_80_columns()
    {
        await using var echo = SockitCli.Start("serve", "echo", "127.0.0.1:0");
        var line = await echo.WaitForStderrAsync(l => l.Contains("serving echo on ", StringComparison.Ordinal));
        var address = line.Split(" on ")[1].Split(' ')[0];
        var lines = await OnTerminalAsync("bench", address, "-c", "2", "-d", "1500ms");
        Assert.All(lines, l => Assert.True(l.Length <= Columns, $"{l.Length} columns: {l}"));
        Assert.Contains(lines, l => l.StartsWith("requests", StringComparison.Ordinal));
    }
}
