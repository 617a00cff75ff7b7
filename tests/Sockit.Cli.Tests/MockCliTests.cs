using System.Net;
using System.Net.Sockets;
using System.Text;
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

    [Theory]
    [InlineData(new[] { "mock" }, "give --api ENDPOINT")]
    [InlineData(new[] { "mock", "--on", "x", "--reply", "y", "--api", "127.0.0.1:0" }, "--on and --reply need LISTEN")]
    [InlineData(new[] { "mock", ":0", "--on", "x" }, "give the --reply for LISTEN")]
    [InlineData(new[] { "mock", ":0", "--reply", "a\\q" }, "unknown escape '\\q'")]
    [InlineData(new[] { "mock", "--imposters", "/nonexistent/imposters.json" }, "cannot read --imposters")]
    public async Task Usage_errors_exit_2_with_one_line(string[] arguments, string expected)
    {
        var (exit, _, stderr) = await SockitCli.RunAsync("", arguments);
        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }
}
