using System.Text.Json;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>sockit proxy as a process: a real HTTP client through it, and the log it keeps.</summary>
public sealed class ProxyCliTests
{
    [Fact]
    public async Task Curl_through_the_proxy_to_http_echo_over_a_unix_socket()
    {
        var path = TempPath.Socket();
        await using var echo = SockitCli.Start("serve", "http-echo", $"unix://{path}");
        await echo.WaitForStderrAsync(l => l.Contains("serving", StringComparison.Ordinal));
        await using var proxy = SockitCli.Start("proxy", "127.0.0.1:0", $"unix://{path}", "--log", "--log-format", "json");
        var line = await proxy.WaitForStderrAsync(l => l.Contains("relaying", StringComparison.Ordinal));
        var address = line.Split("relaying ")[1].Split(' ')[0];

        await using var curl = ChildProcess.Start(Peers.Require("curl"), ["-sS", "-H", "Accept: application/json", "--data", "via proxy", $"http://{address}/through"]);
        curl.CloseStdin();
        Assert.Equal(0, await curl.WaitForExitAsync());
        using var json = JsonDocument.Parse(await curl.ReadStdoutTextAsync());
        Assert.Equal("/through", json.RootElement.GetProperty("target").GetString());
        Assert.Equal("via proxy", json.RootElement.GetProperty("body").GetString());

        proxy.Signal(15);
        Assert.Equal(0, await proxy.WaitForExitAsync());
        using var record = JsonDocument.Parse(Assert.Single((await proxy.ReadStdoutTextAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.StartsWith("closed; upstream unix://", record.RootElement.GetProperty("outcome").GetString(), StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(proxy.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Equal("proxy", summary.RootElement.GetProperty("server").GetString());
        Assert.Equal(1, summary.RootElement.GetProperty("connections").GetInt64());
    }

    /// <summary>
    /// The command runs socket continuations on its I/O loop, where a close ends the other direction's wait at once: a
    /// reset storm through the proxy (bench's attack mode) must leave it accepting and relaying, with every slot back.
    /// </summary>
    [Fact]
    public async Task A_reset_storm_through_the_proxy_leaves_it_serving()
    {
        await using var echo = SockitCli.Start("serve", "echo", "127.0.0.1:0");
        var echoAddress = (await echo.WaitForStderrAsync(l => l.Contains("serving", StringComparison.Ordinal))).Split("serving echo on ")[1].Split(' ')[0];
        await using var proxy = SockitCli.Start("proxy", "127.0.0.1:0", echoAddress, "--max-connections", "20");
        var address = (await proxy.WaitForStderrAsync(l => l.Contains("relaying", StringComparison.Ordinal))).Split("relaying ")[1].Split(' ')[0];

        var (exit, stdout, stderr) = await SockitCli.RunAsync("", "bench", address, "-m", "reset", "-c", "4", "-n", "1000", "--json");
        Assert.True(exit == 0, stderr);
        using (var storm = JsonDocument.Parse(stdout)) Assert.Equal(1000, storm.RootElement.GetProperty("requests").GetInt64());
        (exit, stdout, stderr) = await SockitCli.RunAsync("still served\n", "connect", address);
        Assert.True(exit == 0, stderr);
        Assert.Equal("still served\n", stdout);
    }

    [Fact]
    public async Task A_dead_upstream_gives_the_client_eof_and_the_log_says_why()
    {
        var deadPort = Ports.Free();
        await using var proxy = SockitCli.Start("proxy", "127.0.0.1:0", $"127.0.0.1:{deadPort}", "--log");
        var line = await proxy.WaitForStderrAsync(l => l.Contains("relaying", StringComparison.Ordinal));
        var address = line.Split("relaying ")[1].Split(' ')[0];
        var (exit, stdout, stderr) = await SockitCli.RunAsync("anyone there?\n", "connect", address);
        Assert.True(exit == 0, stderr); // a clean EOF, not a reset
        Assert.Equal("", stdout);
        await proxy.WaitForStdoutTextAsync(t => t.Contains($"upstream failed: connection refused by 127.0.0.1:{deadPort}", StringComparison.Ordinal));
    }
}
