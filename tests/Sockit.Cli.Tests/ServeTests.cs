using System.Net.Sockets;
using System.Text.Json;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>sockit serve as a process, against the clients people point at test servers: curl, nc, Python.</summary>
public sealed class ServeTests
{
    private static async Task<(ChildProcess Server, string Address)> ServeAsync(params string[] arguments)
    {
        var server = SockitCli.Start(["serve", .. arguments]);
        var line = await server.WaitForStderrAsync(l => l.Contains("serving ", StringComparison.Ordinal));
        var address = line.Split(" on ")[1].Split(' ')[0];
        return (server, address);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string tool, params string[] arguments)
    {
        await using var process = ChildProcess.Start(Peers.Require(tool), arguments);
        process.CloseStdin();
        var exit = await process.WaitForExitAsync();
        return (exit, await process.ReadStdoutTextAsync(), process.Stderr);
    }

    [Fact]
    public async Task Curl_gets_the_status_it_asked_for_with_its_reason_phrase()
    {
        var (server, address) = await ServeAsync("http-echo", "127.0.0.1:0");
        await using var _ = server;
        var (exit, stdout, stderr) = await RunAsync("curl", "-sS", "-i", $"http://{address}/missing?status=404", "-H", "X-Test: 1");
        Assert.True(exit == 0, stderr);
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", stdout, StringComparison.Ordinal);
        Assert.Contains("Request Method: GET\n", stdout, StringComparison.Ordinal);
        Assert.Contains("Response Status: 404 Not Found\n", stdout, StringComparison.Ordinal);
        Assert.Contains("X-Test: 1\n", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Curl_gets_json_and_uploads_chunked()
    {
        var (server, address) = await ServeAsync("http-echo", "127.0.0.1:0");
        await using var _ = server;
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "chunked upload body", TestContext.Current.CancellationToken);
        try
        {
            var (exit, stdout, stderr) = await RunAsync("curl", "-sS", "-H", "Accept: application/json", "-H", "Transfer-Encoding: chunked",
                "--data-binary", $"@{file}", $"http://{address}/upload");
            Assert.True(exit == 0, stderr);
            using var json = JsonDocument.Parse(stdout);
            Assert.Equal("POST", json.RootElement.GetProperty("method").GetString());
            Assert.Equal("chunked upload body", json.RootElement.GetProperty("body").GetString());
            Assert.Contains(json.RootElement.GetProperty("headers").EnumerateArray(), h => h.GetProperty("value").GetString() == "chunked");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Curl_reuses_one_keep_alive_connection_and_the_log_shows_it()
    {
        var (server, address) = await ServeAsync("http-echo", "127.0.0.1:0", "--log", "--log-format", "json");
        await using var _ = server;
        var (exit, stdout, stderr) = await RunAsync("curl", "-sS", "-v", $"http://{address}/a", $"http://{address}/b");
        Assert.True(exit == 0, stderr);
        Assert.Contains("Request Target: /a", stdout, StringComparison.Ordinal);
        Assert.Contains("Request Target: /b", stdout, StringComparison.Ordinal);
        Assert.Contains("Re-using existing connection", stderr, StringComparison.Ordinal);

        server.Signal(15);
        Assert.Equal(0, await server.WaitForExitAsync());
        var lines = (await server.ReadStdoutTextAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using var record = JsonDocument.Parse(Assert.Single(lines));
        Assert.Equal(2, record.RootElement.GetProperty("requests").GetInt32());
        Assert.StartsWith("127.0.0.1:", record.RootElement.GetProperty("peer").GetString(), StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(server.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Equal(2, summary.RootElement.GetProperty("requests").GetInt64());
    }

    /// <summary>
    /// The exit summary says what the limits did: for serve, and for the proxy, whose totals add up every proxy it ran
    /// (they dropped the limits' counts until 2026-12).
    /// </summary>
    [Theory]
    [InlineData("serve", false)]
    [InlineData("proxy", false)]
    [InlineData("proxy", true)]
    public async Task The_exit_summary_counts_a_client_turned_away_by_max_per_client(string command, bool json)
    {
        var token = TestContext.Current.CancellationToken;
        var (echo, echoAddress) = await ServeAsync("echo", "127.0.0.1:0");
        await using var _ = echo;
        string[] format = json ? ["--log-format", "json"] : [];
        await using var server = command == "serve"
            ? SockitCli.Start(["serve", "echo", "127.0.0.1:0", "--max-per-client", "1", .. format])
            : SockitCli.Start(["proxy", "127.0.0.1:0", echoAddress, "--max-per-client", "1", .. format]);
        var line = await server.WaitForStderrAsync(l => l.Contains(command == "serve" ? "serving " : "relaying ", StringComparison.Ordinal));
        var endpoint = System.Net.IPEndPoint.Parse(command == "serve" ? line.Split(" on ")[1].Split(' ')[0] : line.Split("relaying ")[1].Split(' ')[0]);

        using var first = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await first.ConnectAsync(endpoint, token);
        await first.SendAsync("x"u8.ToArray(), token);
        Assert.Equal(1, await first.ReceiveAsync(new byte[1], token)); // served: it holds the address's one place
        using (var second = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await second.ConnectAsync(endpoint, token);
            try
            {
                Assert.Equal(0, await second.ReceiveAsync(new byte[1], token));
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                // reset, as the limit says
            }
        }
        first.Dispose();

        server.Signal(15);
        Assert.Equal(0, await server.WaitForExitAsync());
        var summary = server.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        if (json)
        {
            using var document = JsonDocument.Parse(summary);
            Assert.Equal(1, document.RootElement.GetProperty("limits").GetProperty("perClient").GetInt64());
        }
        else
        {
            Assert.Contains("(1 rejected)", summary, StringComparison.Ordinal);
            Assert.EndsWith("; limits: 1 over --max-per-client", summary, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Python_http_client_talks_to_http_echo()
    {
        var (server, address) = await ServeAsync("http-echo", "127.0.0.1:0");
        await using var _ = server;
        var port = address.Split(':')[^1];
        const string Script = """
            import http.client, json, sys
            c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
            c.request("POST", "/py?format=json&status=201", body=b"from python", headers={"X-Py": "yes"})
            r = c.getresponse()
            doc = json.loads(r.read())
            c.request("GET", "/again?status=418")
            r2 = c.getresponse()
            r2.read()
            print(r.status, r.reason, doc["body"], doc["headers"][-1]["name"], r2.status, r2.reason)
            """;
        var (exit, stdout, stderr) = await RunAsync("python3", "-c", Script, port);
        Assert.True(exit == 0, stderr);
        Assert.Equal("201 Created from python X-Py 418 I'm a teapot\n", stdout);
    }

    [Fact]
    public async Task Nc_talks_to_echo_and_daytime()
    {
        var (echo, echoAddress) = await ServeAsync("echo", "127.0.0.1:0");
        await using var _ = echo;
        var port = echoAddress.Split(':')[^1];
        await using (var nc = ChildProcess.Start(Peers.Require("nc"), ["-N", "127.0.0.1", port]))
        {
            await nc.WriteAsync("echo me\n");
            nc.CloseStdin();
            Assert.Equal(0, await nc.WaitForExitAsync());
            Assert.Equal("echo me\n", await nc.ReadStdoutTextAsync());
        }

        var (daytime, daytimeAddress) = await ServeAsync("daytime", "127.0.0.1:0");
        await using var __ = daytime;
        var (exit, stdout, _) = await RunAsync("nc", "127.0.0.1", daytimeAddress.Split(':')[^1]);
        Assert.Equal(0, exit);
        Assert.Matches(@"^\w+day, .+\r\n$", stdout);
    }

    [Fact]
    public async Task Python_socket_talks_to_echo_over_a_unix_socket_and_sigterm_cleans_up()
    {
        var path = TempPath.Socket();
        var (server, _) = await ServeAsync("echo", $"unix://{path}");
        await using var __ = server;
        var (exit, stdout, stderr) = await RunAsync("python3", "-c", PythonScripts.Client, path, "over unix");
        Assert.True(exit == 0, stderr);
        Assert.Equal("over unix", stdout);
        server.Signal(15);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains("stopped echo on unix://", server.Stderr, StringComparison.Ordinal);
        Assert.Contains("1 connection (0 rejected)", server.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Udp_echo_answers_sockit_connect()
    {
        var (server, address) = await ServeAsync("echo", "udp://127.0.0.1:0");
        await using var _ = server;
        var (exit, stdout, stderr) = await SockitCli.RunAsync("datagram\n", "connect", address, "-i", "2s");
        Assert.True(exit == 0, stderr);
        Assert.Equal("datagram\n", stdout);
    }

    /// <summary>
    /// The listen backlog ss shows for a server: 511 by default as nginx has (a short queue sheds a connect storm early),
    /// what --backlog says, and for a proxy its --max-connections when that is more, as haproxy has.
    /// </summary>
    [Fact]
    public async Task Ss_shows_the_listen_backlog_each_server_asked_for()
    {
        var ss = Peers.Require("ss");
        async Task<string> BacklogAsync(string address)
        {
            var port = address.Split(':')[^1];
            var (exit, stdout, stderr) = await RunAsync(ss, "-Hltn", $"sport = :{port}");
            Assert.True(exit == 0, stderr);
            return stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]; // State Recv-Q Send-Q: a listener's Send-Q is its backlog
        }

        var (plain, plainAddress) = await ServeAsync("echo", "127.0.0.1:0");
        await using (plain) Assert.Equal("511", await BacklogAsync(plainAddress));
        var (chosen, chosenAddress) = await ServeAsync("http-echo", "127.0.0.1:0", "--backlog", "7");
        await using (chosen) Assert.Equal("7", await BacklogAsync(chosenAddress));
        await using var proxy = SockitCli.Start("proxy", "127.0.0.1:0", chosenAddress, "--max-connections", "2000");
        var proxyAddress = (await proxy.WaitForStderrAsync(l => l.Contains("relaying", StringComparison.Ordinal))).Split("relaying ")[1].Split(' ')[0];
        Assert.Equal("2000", await BacklogAsync(proxyAddress));
    }

    /// <summary>serve echo with <paramref name="drain"/>, and a client connected to it.</summary>
    private static async Task<(ChildProcess Server, TcpClient Client, int Port)> EchoServerWithClientAsync(string drain)
    {
        var (server, address) = await ServeAsync("echo", "127.0.0.1:0", "--drain", drain);
        var port = int.Parse(address.Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture);
        var client = new TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        return (server, client, port);
    }

    [Fact]
    public async Task Sigterm_waits_the_whole_drain_for_an_open_exchange_even_past_five_seconds()
    {
        // The process is ended (143) if the command has not returned in a set time after SIGTERM: that time must follow
        // --drain (a fixed 5 s cut this drain short, and raced the default one).
        var (server, client, _) = await EchoServerWithClientAsync("30s");
        await using var _ = server;
        using var __ = client;
        var stream = client.GetStream();
        async Task EchoAsync(string text)
        {
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(text), TestContext.Current.CancellationToken);
            var back = new byte[text.Length];
            await stream.ReadExactlyAsync(back, TestContext.Current.CancellationToken);
            Assert.Equal(text, System.Text.Encoding.ASCII.GetString(back));
        }

        await EchoAsync("before");
        server.Signal(15);
        // The time under test, not a synchronisation: the server must still be there, and serving, after 6 s.
        await Assert.ThrowsAsync<TimeoutException>(() => server.WaitForExitAsync(TimeSpan.FromSeconds(6)));
        await EchoAsync("during the drain");
        client.Close();
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains("stopped echo", server.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_sigterm_ends_the_drain_at_once()
    {
        var (server, client, port) = await EchoServerWithClientAsync("60s");
        await using var _ = server;
        using var __ = client;

        server.Signal(15);
        // Two signals sent before the first is handled are one to the kernel: wait until the drain has begun (the
        // listener is closed, so a new client is refused), then send the second.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, port, TestContext.Current.CancellationToken);
            }
            catch (SocketException)
            {
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, "the listener stayed open after SIGTERM");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        server.Signal(15);
        Assert.Equal(143, await server.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Theory]
    [InlineData("serve", "echo", "127.0.0.1:0")]
    [InlineData("proxy", "127.0.0.1:0", "127.0.0.1:1")]
    public async Task Help_asked_for_beside_a_bad_drain_is_still_shown(params string[] command)
    {
        // The drain also sets how long the process may take to stop, read before the command runs: help must not trip on it.
        var (exit, stdout, stderr) = await SockitCli.RunAsync("", [.. command, "--drain", "bogus", "--help"]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("--drain", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "serve", "gopher", "127.0.0.1:0" }, "gopher")]
    [InlineData(new[] { "serve", "http-echo", "udp://127.0.0.1:0" }, "http-echo needs a stream endpoint")]
    [InlineData(new[] { "serve", "echo", "127.0.0.1:0", "--max-body", "lots" }, "invalid size 'lots'")]
    [InlineData(new[] { "serve", "echo", "127.0.0.1:0", "--log-format", "xml" }, "xml")]
    [InlineData(new[] { "serve", "echo", "127.0.0.1:0", "--backlog", "0" }, "--backlog takes a whole number of 1 or more")]
    public async Task Bad_serve_arguments_are_usage_errors(string[] arguments, string expected)
    {
        var (exit, _, stderr) = await SockitCli.RunAsync("", arguments);
        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
