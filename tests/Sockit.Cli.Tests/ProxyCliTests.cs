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

    /// <summary>
    /// With two I/O loops each loop accepts for itself and a client's upstream is dialled on the loop that accepted it:
    /// every relay still echoes its own bytes, and the connection limit holds across both loops together.
    /// </summary>
    [Fact]
    public async Task With_two_io_loops_every_client_is_relayed_and_the_limit_holds_across_loops()
    {
        var token = TestContext.Current.CancellationToken;
        await using var echo = SockitCli.Start("serve", "echo", "127.0.0.1:0");
        var echoAddress = (await echo.WaitForStderrAsync(l => l.Contains("serving", StringComparison.Ordinal))).Split("serving echo on ")[1].Split(' ')[0];
        await using var proxy = SockitCli.Start(new Dictionary<string, string> { ["SOCKIT_IO_LOOPS"] = "2" }, "proxy", "127.0.0.1:0", echoAddress, "--max-connections", "1");
        var address = (await proxy.WaitForStderrAsync(l => l.Contains("relaying", StringComparison.Ordinal))).Split("relaying ")[1].Split(' ')[0];
        var endpoint = System.Net.IPEndPoint.Parse(address);

        for (var i = 0; i < 20; i++)
        {
            using var client = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            await client.ConnectAsync(endpoint, token);
            var message = System.Text.Encoding.ASCII.GetBytes($"client {i}\n");
            await client.SendAsync(message, token);
            Assert.Equal(message, await ReadExactlyAsync(client, message.Length, token));
        }

        using var first = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await first.ConnectAsync(endpoint, token);
        await first.SendAsync("first\n"u8.ToArray(), token);
        Assert.Equal("first\n"u8.ToArray(), await ReadExactlyAsync(first, 6, token)); // relayed: it holds the only slot
        using var second = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await second.ConnectAsync(endpoint, token); // queued by the kernel, not accepted by either loop
        await second.SendAsync("second\n"u8.ToArray(), token);
        using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(token))
        {
            quiet.CancelAfter(TimeSpan.FromMilliseconds(300)); // a bounded wait for an absence
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await second.ReceiveAsync(new byte[1], quiet.Token));
        }
        first.Dispose(); // the slot frees: one of the loops takes the second client
        Assert.Equal("second\n"u8.ToArray(), await ReadExactlyAsync(second, 7, token));
    }

    /// <summary>
    /// 64 MiB of random bytes each way at once through the proxy command and the echo command, whose loops run socket
    /// continuations themselves: a relay's 2 MiB reads spend the inline budget on every call, so each goes on later on
    /// its loop. Every byte comes back, in order, and both directions finish.
    /// </summary>
    [Fact]
    public async Task Sixty_four_MiB_each_way_through_the_proxy_and_echo_commands_come_back_byte_exact()
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(60)); // a relay that loses a completion fails the test instead of hanging it
        var token = limit.Token;
        await using var echo = SockitCli.Start("serve", "echo", "127.0.0.1:0");
        var echoAddress = (await echo.WaitForStderrAsync(l => l.Contains("serving", StringComparison.Ordinal))).Split("serving echo on ")[1].Split(' ')[0];
        await using var proxy = SockitCli.Start("proxy", "127.0.0.1:0", echoAddress);
        var address = (await proxy.WaitForStderrAsync(l => l.Contains("relaying", StringComparison.Ordinal))).Split("relaying ")[1].Split(' ')[0];

        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await client.ConnectAsync(System.Net.IPEndPoint.Parse(address), token);
        const int Chunk = 1 << 20, Chunks = 64;
        var sending = Task.Run(async () =>
        {
            using var sent = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            var data = new byte[Chunk];
            for (var i = 0; i < Chunks; i++)
            {
                System.Security.Cryptography.RandomNumberGenerator.Fill(data);
                sent.AppendData(data);
                await client.SendAsync(data, token);
            }
            client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            return sent.GetHashAndReset();
        }, token);
        var received = await System.Security.Cryptography.SHA256.HashDataAsync(new System.Net.Sockets.NetworkStream(client, ownsSocket: false), token);
        Assert.Equal(await sending, received);
    }

    private static async Task<byte[]> ReadExactlyAsync(System.Net.Sockets.Socket socket, int length, CancellationToken token)
    {
        var buffer = new byte[length];
        await new System.Net.Sockets.NetworkStream(socket, ownsSocket: false).ReadExactlyAsync(buffer, token);
        return buffer;
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
