using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>sockit mock from the command line: the one-liner, --imposters files as mb save writes them, and bad input.</summary>
public sealed class MockCliTests
{
    private static async Task<string> ExchangeAsync(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = await stream.ReadAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    private static async Task<int> ImposterPortAsync(ChildProcess mock)
    {
        var line = await mock.WaitForStderrAsync(l => l.Contains("imposter on port ", StringComparison.Ordinal));
        return int.Parse(line.Split("imposter on port ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task The_one_liner_answers_each_on_with_its_reply_and_everything_else_with_the_last()
    {
        await using var mock = SockitCli.Start("mock", "127.0.0.1:0", "--on", "PING", "--reply", "PONG\\n", "--on", "QUIT", "--reply", "BYE\\r\\n", "--reply", "ERR unknown\\n");
        var port = await ImposterPortAsync(mock);
        Assert.Equal("PONG\n", await ExchangeAsync(port, "PING\n"));
        Assert.Equal("BYE\r\n", await ExchangeAsync(port, "QUIT\r\n"));
        Assert.Equal("ERR unknown\n", await ExchangeAsync(port, "HELLO\n"));
        await mock.WaitForStderrAsync(l => l.Contains("=> \"HELLO\\n\"", StringComparison.Ordinal));
        mock.Signal(2);
        Assert.Equal(0, await mock.WaitForExitAsync());
        Assert.Contains("stopped mock: 1 imposters, 3 requests", mock.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Imposters_files_as_mb_save_writes_them_start_every_imposter()
    {
        int tcpPort = Ports.Free(), httpPort = Ports.Free();
        var file = Path.Combine(Path.GetTempPath(), $"sockit-imposters-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, $$"""
            {
              "imposters": [
                { "protocol": "tcp", "port": {{tcpPort}}, "stubs": [ { "predicates": [ { "startsWith": { "data": "GET " } } ], "responses": [ { "is": { "data": "VALUE 42\n" } } ] } ] },
                { "protocol": "http", "port": {{httpPort}}, "stubs": [ { "predicates": [ { "equals": { "path": "/health" } } ], "responses": [ { "is": { "statusCode": 200, "body": { "status": "up" } } } ] } ] }
              ]
            }
            """, TestContext.Current.CancellationToken);
        try
        {
            await using var mock = SockitCli.Start("mock", "--imposters", file);
            await mock.WaitForStderrAsync(l => l.Contains("Ctrl-C", StringComparison.Ordinal));
            Assert.Equal("VALUE 42\n", await ExchangeAsync(tcpPort, "GET key\n"));
            using var http = new HttpClient();
            Assert.Equal("{\n    \"status\": \"up\"\n}", await http.GetStringAsync($"http://127.0.0.1:{httpPort}/health", TestContext.Current.CancellationToken));
            var missing = await http.GetAsync($"http://127.0.0.1:{httpPort}/other", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, missing.StatusCode); // mountebank's default response: 200, empty
            Assert.Equal("", await missing.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("{\n  \"protocol\": \"tcp\",\n  \"port\": ,\n}", "line 3, column 11")]
    [InlineData("""{"protocol":"tcp","stubs":[{"predicates":[{"sameAs":{"data":"x"}}],"responses":[{"is":{"data":"y"}}]}]}""", "missing predicate in {\"sameAs\"")]
    [InlineData("""{"protocol":"tcp","stubs":[{"responses":[{"reply":{"data":"y"}}]}]}""", "unrecognized response type in {\"reply\"")]
    [InlineData("""{"protocol":"ftp"}""", "the ftp protocol is not yet supported")]
    [InlineData("""{"protocol":"tcp","port":99999}""", "invalid value for 'port'")]
    [InlineData("""{"protocol":"tcp","stubs":[{"responses":[{"inject":"function () {}"}]}]}""", "JavaScript cannot run in a Native AOT program")]
    [InlineData("""{"protocol":"tcp","stubs":[{"predicates":[{"equals":{"data":"x"},"jsonpath":{"selector":"$.a[?(@.b)]"}}],"responses":[{"is":{"data":"y"}}]}]}""",
        "invalid jsonpath selector '$.a[?(@.b)]': filter and script expressions")]
    [InlineData("""{"protocol":"tcp","stubs":[{"responses":[{"is":{"data":"${x}"},"behaviors":[{"copy":{"from":"data","into":"${x}","using":{"method":"jsonpath","selector":"$.a[0"}}}]}]}]}""",
        "invalid jsonpath selector '$.a[0': the '[' at 3 is never closed")]
    public async Task A_bad_imposters_file_exits_2_with_one_line_naming_the_problem(string json, string expected)
    {
        var file = Path.Combine(Path.GetTempPath(), $"sockit-imposters-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, json, TestContext.Current.CancellationToken);
        try
        {
            var (exit, _, stderr) = await SockitCli.RunAsync("", "mock", "--imposters", file);
            Assert.Equal(2, exit);
            Assert.Contains(expected, stderr, StringComparison.Ordinal);
            Assert.Single(stderr.Trim().Split('\n'));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_port_in_use_exits_2()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (exit, _, stderr) = await SockitCli.RunAsync("", "mock", $"127.0.0.1:{port}", "--reply", "x");
        Assert.Equal(2, exit);
        Assert.Contains($"port {port} is already in use", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Record_then_replay_a_line_protocol_with_the_upstream_gone()
    {
        var file = Path.Combine(Path.GetTempPath(), $"sockit-recorded-{Guid.NewGuid():N}.json");
        var upstream = Upstream.Tcp();
        try
        {
            string[] conversation = ["GET a\n", "GET b\n", "GET a\n"];
            var answers = new List<string>();
            await using (var recorder = SockitCli.Start("mock", "record", "127.0.0.1:0", $"127.0.0.1:{upstream.Port}", "--out", file))
            {
                var line = await recorder.WaitForStderrAsync(l => l.Contains("recording ", StringComparison.Ordinal));
                var port = int.Parse(line.Split(" on port ")[1].Split(';')[0], System.Globalization.CultureInfo.InvariantCulture);
                foreach (var request in conversation) answers.Add(await ExchangeAsync(port, request));
                recorder.Signal(15);
                Assert.Equal(0, await recorder.WaitForExitAsync());
                Assert.Contains("recorded 3 requests into", recorder.Stderr, StringComparison.Ordinal);
            }
            Assert.Equal(["UP:GET a\n", "UP:GET b\n", "UP:GET a\n"], answers);
            await upstream.DisposeAsync();

            await using var replay = SockitCli.Start("mock", "--imposters", file);
            var replayPort = await ImposterPortAsync(replay);
            foreach (var (request, answer) in conversation.Zip(answers)) Assert.Equal(answer, await ExchangeAsync(replayPort, request));
        }
        finally
        {
            await upstream.DisposeAsync();
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Record_then_replay_http_with_the_upstream_gone()
    {
        var file = Path.Combine(Path.GetTempPath(), $"sockit-recorded-{Guid.NewGuid():N}.json");
        var upstream = Upstream.Http();
        try
        {
            string[] paths = ["/a?q=1", "/b", "/a?q=2"];
            var answers = new List<string>();
            using var http = new HttpClient();
            await using (var recorder = SockitCli.Start("mock", "record", "127.0.0.1:0", $"127.0.0.1:{upstream.Port}", "--protocol", "http", "--out", file))
            {
                var line = await recorder.WaitForStderrAsync(l => l.Contains("recording ", StringComparison.Ordinal));
                var port = int.Parse(line.Split(" on port ")[1].Split(';')[0], System.Globalization.CultureInfo.InvariantCulture);
                foreach (var path in paths) answers.Add(await http.GetStringAsync($"http://127.0.0.1:{port}{path}", TestContext.Current.CancellationToken));
                recorder.Signal(15);
                Assert.Equal(0, await recorder.WaitForExitAsync());
            }
            Assert.Contains("\"path\": \"/a?q=1\"", answers[0], StringComparison.Ordinal);
            await upstream.DisposeAsync();

            await using var replay = SockitCli.Start("mock", "--imposters", file);
            var replayPort = await ImposterPortAsync(replay);
            foreach (var (path, answer) in paths.Zip(answers))
                Assert.Equal(answer, await http.GetStringAsync($"http://127.0.0.1:{replayPort}{path}", TestContext.Current.CancellationToken));
        }
        finally
        {
            await upstream.DisposeAsync();
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Strict_names_the_closest_stub_of_an_unmatched_request_and_exits_1()
    {
        await using var mock = SockitCli.Start("mock", "127.0.0.1:0", "--strict", "--on", "PING", "--reply", "PONG\\n", "--on", "QUIT", "--reply", "BYE\\n");
        var port = await ImposterPortAsync(mock);
        Assert.Equal("PONG\n", await ExchangeAsync(port, "PING\n"));
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
            await client.GetStream().WriteAsync("HELLO\n"u8.ToArray(), TestContext.Current.CancellationToken);
            var line = await mock.WaitForStderrAsync(l => l.Contains("unmatched request", StringComparison.Ordinal));
            Assert.Contains("\"HELLO\\n\"", line, StringComparison.Ordinal);
            Assert.Contains("closest is stub 0", line, StringComparison.Ordinal);
            Assert.Contains("""wanted {"contains":{"data":"PING"}""", line, StringComparison.Ordinal);
        }
        mock.Signal(15);
        Assert.Equal(1, await mock.WaitForExitAsync());
        Assert.Contains("1 requests matched no stub (--strict)", mock.Stderr, StringComparison.Ordinal);
    }

    /// <summary>curl with its output and the status code on a last line.</summary>
    private static async Task<(int Status, string Body)> CurlAsync(params string[] arguments)
    {
        await using var curl = ChildProcess.Start(Peers.Require("curl"), ["-sS", "-w", "\n%{http_code}", .. arguments]);
        var output = (await curl.ReadStdoutTextAsync()).TrimEnd();
        Assert.Equal(0, await curl.WaitForExitAsync());
        var split = output.LastIndexOf('\n');
        return (int.Parse(output[(split + 1)..], System.Globalization.CultureInfo.InvariantCulture), split < 0 ? "" : output[..split]);
    }

    /// <summary>
    /// --max-connections: a client over the limit waits in the listen queue (it is not refused) and is answered once a
    /// place frees; --idle-timeout closes a quiet connection, which by default, as mountebank, stays open.
    /// </summary>
    [Fact]
    public async Task Max_connections_queues_the_client_over_it_and_idle_timeout_closes_a_quiet_one()
    {
        var token = TestContext.Current.CancellationToken;
        await using var mock = SockitCli.Start("mock", "127.0.0.1:0", "--on", "PING", "--reply", "PONG\n", "--max-connections", "1", "--idle-timeout", "2s", "--quiet");
        var endpoint = new IPEndPoint(IPAddress.Loopback, await ImposterPortAsync(mock));

        using var first = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await first.ConnectAsync(endpoint, token);
        Assert.Equal("PONG\n", await AskAsync(first, token));
        using var second = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await second.ConnectAsync(endpoint, token); // queued by the kernel, not accepted
        await second.SendAsync("PING\n"u8.ToArray(), token);
        using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(token))
        {
            quiet.CancelAfter(TimeSpan.FromMilliseconds(300)); // a bounded wait for an absence
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await second.ReceiveAsync(new byte[1], quiet.Token));
        }
        first.Dispose(); // its place frees: the second client is taken and answered
        var answer = new byte[5];
        Assert.Equal(5, await second.ReceiveAsync(answer, token));
        Assert.Equal("PONG\n", Encoding.ASCII.GetString(answer));

        // Quiet from here on: the imposter closes it after the idle timeout (EOF), within a bound well past 2 s.
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(token);
        bound.CancelAfter(TimeSpan.FromSeconds(15));
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, await second.ReceiveAsync(new byte[1], bound.Token));
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15));
    }

    private static async Task<string> AskAsync(Socket client, CancellationToken token)
    {
        await client.SendAsync("PING\n"u8.ToArray(), token);
        var buffer = new byte[64];
        var read = await client.ReceiveAsync(buffer, token);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    [Fact]
    public async Task Recorded_requests_are_kept_within_max_recorded_bytes_oldest_dropped_first()
    {
        await using var mock = SockitCli.Start("mock", "--api", "127.0.0.1:0", "--quiet", "--max-recorded", "100KiB");
        var line = await mock.WaitForStderrAsync(l => l.Contains("API on http://", StringComparison.Ordinal));
        var api = "http://" + line.Split("http://")[1].Split(' ')[0];
        var port = Ports.Free();
        Assert.Equal(201, (await CurlAsync("-X", "POST", $"{api}/imposters", "--data-binary",
            $$$"""{"protocol":"http","port":{{{port}}},"recordRequests":true,"stubs":[{"responses":[{"is":{"body":"ok"}}]}]}""")).Status);

        // Five bodies of 30 KB (text/plain: a form would be recorded twice, as body and form): their JSON passes 100 KiB with
        // the fourth, so the first two go.
        foreach (var letter in "abcde")
            Assert.Equal((200, "ok"), await CurlAsync("-H", "Content-Type: text/plain", "--data-binary", new string(letter, 30_000), $"http://127.0.0.1:{port}/"));
        var (status, shown) = await CurlAsync($"{api}/imposters/{port}");
        Assert.Equal(200, status);
        var imposter = JsonNode.Parse(shown)!;
        Assert.Equal(5, (int)imposter["numberOfRequests"]!);
        Assert.Equal(["c", "d", "e"], imposter["requests"]!.AsArray().Select(r => ((string)r!["body"]!)[..1]));
        Assert.All(imposter["requests"]!.AsArray(), r => Assert.Equal(30_000, ((string)r!["body"]!).Length));
    }

    [Fact]
    public async Task The_api_puts_an_http_imposter_on_a_unix_socket_for_curl_shows_its_path_and_deletes_its_file()
    {
        var path = TempPath.Socket();
        await using var mock = SockitCli.Start("mock", "--api", "127.0.0.1:0", "--quiet");
        var line = await mock.WaitForStderrAsync(l => l.Contains("API on http://", StringComparison.Ordinal));
        var api = "http://" + line.Split("http://")[1].Split(' ')[0];
        var (created, body) = await CurlAsync("-X", "POST", $"{api}/imposters", "--data-binary", $$$"""
            {"protocol":"http","path":"{{{path}}}","recordRequests":true,"stubs":[{"predicates":[{"equals":{"path":"/pay"}}],"responses":[{"is":{"statusCode":201,"body":"paid"}}]}]}
            """);
        Assert.Equal(201, created);
        Assert.Equal(path, (string?)JsonNode.Parse(body)!["path"]);
        var key = (int)JsonNode.Parse(body)!["port"]!;
        Assert.Equal(65536, key); // no port: the first number no real port can be

        Assert.Equal((201, "paid"), await CurlAsync("--unix-socket", path, "http://localhost/pay"));
        var (status, shown) = await CurlAsync($"{api}/imposters/{key}");
        Assert.Equal(200, status);
        var imposter = JsonNode.Parse(shown)!;
        Assert.Equal(path, (string?)imposter["path"]);
        Assert.Equal("/pay", (string?)imposter["requests"]![0]!["path"]);
        Assert.Equal("unix://(unnamed)", (string?)imposter["requests"]![0]!["requestFrom"]);

        // A Unix imposter with a port is kept under it and binds nothing (here a port this test holds); the number cannot be taken twice.
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var other = TempPath.Socket();
        Assert.Equal(201, (await CurlAsync("-X", "POST", $"{api}/imposters", "--data-binary", $$"""{"protocol":"tcp","port":{{port}},"path":"{{other}}"}""")).Status);
        Assert.True(File.Exists(other));
        Assert.Equal(other, (string?)JsonNode.Parse((await CurlAsync($"{api}/imposters/{port}")).Body)!["path"]);
        var (conflict, error) = await CurlAsync("-X", "POST", $"{api}/imposters", "--data-binary", $$"""{"protocol":"tcp","port":{{port}},"path":"{{other}}2"}""");
        Assert.Equal(400, conflict);
        Assert.Equal("resource conflict", (string?)JsonNode.Parse(error)!["errors"]![0]!["code"]);

        Assert.Equal(200, (await CurlAsync("-X", "DELETE", $"{api}/imposters/{key}")).Status);
        Assert.False(File.Exists(path), "the socket file outlived its imposter");
        Assert.True(File.Exists(other));

        var (refused, errors) = await CurlAsync("-X", "POST", $"{api}/imposters", "--data-binary",
            """{"protocol":"udp","stubs":[{"responses":[{"fault":"CONNECTION_RESET_BY_PEER"}]}]}""");
        Assert.Equal(400, refused);
        var refusal = JsonNode.Parse(errors)!["errors"]![0]!;
        Assert.Equal("bad data", (string?)refusal["code"]);
        Assert.Contains("udp has no connection to reset", (string?)refusal["message"], StringComparison.Ordinal);
        Assert.Equal("CONNECTION_RESET_BY_PEER", (string?)refusal["source"]!["fault"]);
        mock.Signal(15);
        Assert.Equal(0, await mock.WaitForExitAsync());
        Assert.False(File.Exists(other), "the socket file outlived the mock");
    }

    [Fact]
    public async Task The_unix_one_liner_answers_a_python_client_and_removes_its_file_at_stop()
    {
        var path = TempPath.Socket();
        await using var mock = SockitCli.Start("mock", $"unix://{path}", "--on", "PING", "--reply", "PONG\\n");
        await mock.WaitForStderrAsync(l => l.Contains($"imposter on unix://{path}", StringComparison.Ordinal));
        await using var python = ChildProcess.Start(Peers.Require("python3"), ["-c", PythonScripts.Client, path, "PING"]);
        Assert.Equal("PONG\n", await python.ReadStdoutTextAsync());
        Assert.Equal(0, await python.WaitForExitAsync());
        mock.Signal(2);
        Assert.Equal(0, await mock.WaitForExitAsync());
        Assert.False(File.Exists(path));
    }

    /// <summary>Python's socket module as the udp client: sends each argument as a datagram and prints each reply on a line (none for a "!message").</summary>
    private const string UdpClient = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(10)
        for message in sys.argv[2:]:
            s.sendto(message.lstrip("!").encode(), ("127.0.0.1", int(sys.argv[1])))
            if not message.startswith("!"):
                print(s.recv(65536).decode(), flush=True)
        """;

    [Fact]
    public async Task The_udp_one_liner_answers_python_datagrams_and_strict_reports_the_unmatched_one_it_left_unanswered()
    {
        await using var mock = SockitCli.Start("mock", "udp://127.0.0.1:0", "--strict", "--on", "PING", "--reply", "PONG");
        var line = await mock.WaitForStderrAsync(l => l.Contains("imposter on udp port ", StringComparison.Ordinal));
        var port = line.Split("udp port ")[1].Split(' ')[0];
        await using var python = ChildProcess.Start(Peers.Require("python3"), ["-c", UdpClient, port, "PING", "!HELLO", "PING"]);
        // HELLO matches no stub: mountebank's default response has empty data, so no datagram comes back for it.
        Assert.Equal("PONG\nPONG", (await python.ReadStdoutTextAsync()).TrimEnd());
        Assert.Equal(0, await python.WaitForExitAsync());
        var unmatched = await mock.WaitForStderrAsync(l => l.Contains("unmatched request", StringComparison.Ordinal));
        Assert.Contains("\"HELLO\"", unmatched, StringComparison.Ordinal);
        mock.Signal(15);
        Assert.Equal(1, await mock.WaitForExitAsync());
        Assert.Contains("stopped mock: 1 imposters, 3 requests", mock.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "mock" }, "give --api ENDPOINT")]
    [InlineData(new[] { "mock", "--on", "x", "--reply", "y", "--api", "127.0.0.1:0" }, "--on and --reply need LISTEN")]
    [InlineData(new[] { "mock", ":0", "--on", "x" }, "give the --reply for LISTEN")]
    [InlineData(new[] { "mock", ":0", "--reply", "a\\q" }, "unknown escape '\\q'")]
    [InlineData(new[] { "mock", "--imposters", "/nonexistent/imposters.json" }, "cannot read --imposters")]
    [InlineData(new[] { "mock", "unixgram:///tmp/sockit-never.sock", "--reply", "x" }, "the one-liner listens on TCP, UDP or a Unix stream socket")]
    public async Task Usage_errors_exit_2_with_one_line(string[] arguments, string expected)
    {
        var (exit, _, stderr) = await SockitCli.RunAsync("", arguments);
        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }
}
