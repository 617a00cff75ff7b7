using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>
/// Every command with the bad input people commonly give it: one line on stderr in words (never a .NET resource key such
/// as IO_FileNotFound_FileName, never a stack trace), and the exit code a script can rely on: 2 usage, 1 failure.
/// </summary>
public sealed partial class BadInputTests
{
    [GeneratedRegex(@"\b[A-Z][A-Za-z0-9]+_[A-Za-z0-9_]+\b")]
    private static partial Regex ResourceKey();

    [GeneratedRegex(@"^sockit: (bench |\d+s: )")]
    private static partial Regex BenchProgress();

    [Theory]
    [InlineData(2, "")]
    [InlineData(2, "conect", "127.0.0.1:9")]
    [InlineData(2, "connect", "nope")]
    [InlineData(2, "connect", "127.0.0.1:9", "--send-file", "/no/such/file")]
    [InlineData(2, "connect", "127.0.0.1:9", "-w", "soon")]
    [InlineData(1, "connect", "127.0.0.1:{closed}")]
    [InlineData(2, "listen", "8080:")]
    [InlineData(1, "listen", "unix:///no/such/dir/x.sock")]
    [InlineData(1, "listen", "203.0.113.7:0")]
    [InlineData(2, "serve", "bogus", ":0")]
    [InlineData(2, "serve", "echo", "8080")]
    [InlineData(2, "serve", "http-echo", ":0", "--max-body", "0")]
    [InlineData(2, "ls", "--state", "bogus")]
    [InlineData(2, "ls", ":99999")]
    [InlineData(2, "ls", "-tr")]
    [InlineData(2, "wait", "nope")]
    [InlineData(1, "wait", "127.0.0.1:{closed}", "-t", "200ms", "-q")]
    [InlineData(127, "wait", "127.0.0.1:{open}", "-q", "--", "/no/such/command")]
    [InlineData(2, "scan", "127.0.0.1", "http")]
    [InlineData(1, "scan", "127.0.0.1", "{closed}")]
    [InlineData(2, "proxy", ":0")]
    [InlineData(2, "proxy", ":0", "127.0.0.1:9", "--toxic", "bogus")]
    [InlineData(2, "proxy", ":0", "127.0.0.1:9", "--dump", "text", "/tmp")]
    [InlineData(2, "proxy", ":0", "127.0.0.1:9", "--dump", "talk.jsonl")]
    [InlineData(2, "proxy", "--config", "/no/such/config.json")]
    [InlineData(2, "bench", "merge", "/no/such/run.hlog")]
    [InlineData(2, "bench", "127.0.0.1:9", "--msg-file", "/no/such/file")]
    [InlineData(2, "bench", "127.0.0.1:9", "--mode", "bogus")]
    [InlineData(1, "bench", "127.0.0.1:{closed}", "-d", "2s")]
    [InlineData(2, "demo", "--bogus")]
    public async Task Bad_input_gets_one_plain_line_and_the_right_exit_code(int expected, params string[] arguments)
    {
        using var open = new TcpListener(IPAddress.Loopback, 0);
        open.Start();
        var openPort = ((IPEndPoint)open.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        var closedPort = Ports.Free().ToString(CultureInfo.InvariantCulture);
        var words = arguments.Where(a => a.Length > 0).Select(a => a.Replace("{open}", openPort).Replace("{closed}", closedPort)).ToArray();

        var (exit, _, stderr) = await SockitCli.RunAsync("", words);

        // A bench run announces itself and reports progress each second before it finds out; the error is the one line after.
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !BenchProgress().IsMatch(l)).ToArray();
        Assert.True(exit == expected, $"exit {exit}, not {expected}: {stderr}");
        Assert.True(lines.Length == 1, $"not one line: {stderr}");
        Assert.StartsWith("sockit: ", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.False(ResourceKey().IsMatch(stderr), $"a resource key: {stderr}");
    }
}
