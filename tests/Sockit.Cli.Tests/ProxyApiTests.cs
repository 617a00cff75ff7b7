using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>sockit proxy's toxics from the command line, and its toxiproxy-compatible control API driven by curl and by toxiproxy-node-client.</summary>
public sealed class ProxyApiTests
{
    private static async Task<(ChildProcess Proxy, string Api)> StartApiAsync(params string[] more)
    {
        var proxy = SockitCli.Start(["proxy", "--api", "127.0.0.1:0", .. more]);
        var line = await proxy.WaitForStderrAsync(l => l.Contains("control API", StringComparison.Ordinal));
        return (proxy, line.Split("http://")[1].Split(' ')[0]);
    }

    private static async Task<(ChildProcess Server, string Address)> ServeEchoAsync()
    {
        var server = SockitCli.Start("serve", "echo", "127.0.0.1:0");
        var line = await server.WaitForStderrAsync(l => l.Contains("serving echo on ", StringComparison.Ordinal));
        return (server, line.Split("serving echo on ")[1].Split(' ')[0]);
    }

    private static async Task<(int Status, string Body)> CurlAsync(string method, string url, string? body = null)
    {
        string[] arguments = ["-sS", "-X", method, "-w", "\n%{http_code}", url, .. body is null ? Array.Empty<string>() : ["--data-binary", body]];
        await using var curl = ChildProcess.Start(Peers.Require("curl"), arguments);
        var output = (await curl.ReadStdoutTextAsync()).TrimEnd();
        Assert.Equal(0, await curl.WaitForExitAsync());
        var split = output.LastIndexOf('\n');
        return (int.Parse(output[(split + 1)..], System.Globalization.CultureInfo.InvariantCulture), split < 0 ? "" : output[..split].TrimEnd('\n'));
    }

    [Fact]
    public async Task Curl_creates_a_proxy_adds_a_toxic_and_bad_requests_get_4xx_with_a_message()
    {
        var (echo, echoAddress) = await ServeEchoAsync();
        await using var _ = echo;
        var (proxy, api) = await StartApiAsync();
        await using var __ = proxy;

        var (status, body) = await CurlAsync("POST", $"http://{api}/proxies", $$"""{"name":"db","listen":"127.0.0.1:0","upstream":"{{echoAddress}}"}""");
        Assert.Equal(201, status);
        var listen = JsonDocument.Parse(body).RootElement.GetProperty("listen").GetString()!;

        (status, body) = await CurlAsync("POST", $"http://{api}/proxies/db/toxics", """{"type":"limit_data","attributes":{"bytes":5}}""");
        Assert.Equal(200, status);
        Assert.Equal("limit_data_downstream", JsonDocument.Parse(body).RootElement.GetProperty("name").GetString());
        var (exit, stdout, stderr) = await SockitCli.RunAsync("0123456789\n", "connect", listen);
        Assert.True(exit == 0, stderr);
        Assert.Equal("01234", stdout); // the echo came back cut after 5 bytes, then a clean close

        Assert.Equal(409, (await CurlAsync("POST", $"http://{api}/proxies", $$"""{"name":"db","upstream":"{{echoAddress}}"}""")).Status);
        foreach (var (method, path, payload, expected, message) in new (string, string, string?, int, string)[]
        {
            ("POST", "/proxies", "{not json", 400, "malformed JSON"),
            ("POST", "/proxies", """{"name":"x"}""", 400, "missing required field: upstream"),
            ("POST", "/proxies", """{"name":"x","upstream":"nowhere"}""", 400, "upstream:"),
            ("POST", "/proxies/db/toxics", """{"type":"teleport"}""", 400, "invalid toxic type"),
            ("POST", "/proxies/db/toxics", """{"type":"latency","attributes":{"latency":-1}}""", 400, "must not be negative"),
            ("POST", "/proxies/db/toxics", """{"type":"latency","stream":"sideways"}""", 400, "stream was invalid"),
            ("POST", "/proxies/db/toxics", """{"type":"latency","toxicity":"lots"}""", 400, "toxicity must be a number"),
            ("GET", "/proxies/none", null, 404, "proxy not found"),
            ("DELETE", "/proxies/db/toxics/none", null, 404, "toxic not found"),
            ("PUT", "/proxies", "{}", 405, "not allowed"),
        })
        {
            (status, body) = await CurlAsync(method, $"http://{api}{path}", payload);
            Assert.True(status == expected, $"{method} {path} {payload}: {status} {body}");
            using var error = JsonDocument.Parse(body);
            Assert.Contains(message, error.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(expected, error.RootElement.GetProperty("status").GetInt32());
        }

        Assert.Equal(204, (await CurlAsync("POST", $"http://{api}/reset")).Status);
        Assert.Equal("[]", (await CurlAsync("GET", $"http://{api}/proxies/db/toxics")).Body);
        (exit, stdout, stderr) = await SockitCli.RunAsync("whole line\n", "connect", listen);
        Assert.True(exit == 0, stderr);
        Assert.Equal("whole line\n", stdout);
        Assert.Equal(204, (await CurlAsync("DELETE", $"http://{api}/proxies/db")).Status);
        Assert.Equal("{}", (await CurlAsync("GET", $"http://{api}/proxies")).Body);

        // The totals count what was relayed, by proxies deleted before the end too.
        proxy.Signal(15);
        Assert.Equal(0, await proxy.WaitForExitAsync());
        var summary = proxy.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Contains("stopped proxy on the control API's proxies: 2 connections (0 rejected)", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("up 0ms", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_browser_is_refused_like_toxiproxy_refuses_it()
    {
        var (proxy, api) = await StartApiAsync();
        await using var _ = proxy;
        await using var curl = ChildProcess.Start(Peers.Require("curl"), ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-A", "Mozilla/5.0", $"http://{api}/proxies"]);
        Assert.Equal("403", await curl.ReadStdoutTextAsync());
    }

    [Fact]
    public async Task Toxics_from_the_command_line_act_at_once()
    {
        var (echo, echoAddress) = await ServeEchoAsync();
        await using var _ = echo;
        await using var proxy = SockitCli.Start("proxy", "127.0.0.1:0", echoAddress, "--toxic", "latency:latency=300,stream=upstream", "--toxic", "limit_data:bytes=3");
        var line = await proxy.WaitForStderrAsync(l => l.Contains("relaying", StringComparison.Ordinal));
        Assert.Contains("latency_upstream (latency upstream: latency=300, jitter=0); limit_data_downstream", line, StringComparison.Ordinal);
        var address = line.Split("relaying ")[1].Split(' ')[0];
        var started = Stopwatch.GetTimestamp();
        var (exit, stdout, stderr) = await SockitCli.RunAsync("abcdef", "connect", address);
        Assert.True(exit == 0, stderr);
        Assert.Equal("abc", stdout);
        Assert.True(Stopwatch.GetElapsedTime(started).TotalMilliseconds >= 300, "the upstream latency was not applied");
    }

    [Fact]
    public async Task Python_talks_udp_through_the_proxy_with_loss_switched_on_and_off_by_the_api()
    {
        var server = SockitCli.Start("serve", "echo", "udp://127.0.0.1:0");
        await using var _ = server;
        var echoAddress = (await server.WaitForStderrAsync(l => l.Contains("serving echo on ", StringComparison.Ordinal))).Split("serving echo on ")[1].Split(' ')[0];
        var (proxy, api) = await StartApiAsync("udp://127.0.0.1:0", echoAddress, "--toxic", "loss:probability=100,stream=upstream");
        await using var __ = proxy;
        var port = proxy.Stderr.Split("relaying udp://127.0.0.1:")[1].Split(' ')[0];
        const string script = """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(0.5)
            s.sendto(b"lost", ("127.0.0.1", int(sys.argv[1])))
            try:
                print("reply:", s.recv(100).decode())
            except socket.timeout:
                print("no reply")
            """;
        async Task<string> AskAsync()
        {
            await using var python = ChildProcess.Start(Peers.Require("python3"), ["-c", script, port]);
            return (await python.ReadStdoutTextAsync()).Trim();
        }
        Assert.Equal("no reply", await AskAsync()); // every datagram dropped: the client's own timeout ends the wait
        Assert.Equal(204, (await CurlAsync("DELETE", $"http://{api}/proxies/proxy/toxics/loss_upstream")).Status);
        Assert.Equal("reply: lost", await AskAsync());
    }

    [Fact]
    public async Task A_config_file_starts_every_proxy_in_it()
    {
        var (echo, echoAddress) = await ServeEchoAsync();
        await using var _ = echo;
        var config = TempPath.Socket(".json");
        await File.WriteAllTextAsync(config, $$"""
            [
              {"name": "one", "listen": "127.0.0.1:0", "upstream": "{{echoAddress}}"},
              {"name": "two", "listen": "127.0.0.1:0", "upstream": "{{echoAddress}}", "enabled": false,
               "toxics": [{"type": "latency", "attributes": {"latency": 50} }] }
            ]
            """, TestContext.Current.CancellationToken);
        var (proxy, api) = await StartApiAsync("--config", config);
        await using var __ = proxy;
        File.Delete(config);
        using var all = JsonDocument.Parse((await CurlAsync("GET", $"http://{api}/proxies")).Body);
        Assert.True(all.RootElement.GetProperty("one").GetProperty("enabled").GetBoolean());
        var two = all.RootElement.GetProperty("two");
        Assert.False(two.GetProperty("enabled").GetBoolean());
        Assert.Equal(50, two.GetProperty("toxics")[0].GetProperty("attributes").GetProperty("latency").GetInt32());
        var (exit, stdout, _) = await SockitCli.RunAsync("via one\n", "connect", all.RootElement.GetProperty("one").GetProperty("listen").GetString()!);
        Assert.Equal((0, "via one\n"), (exit, stdout));
    }

    [Fact]
    public async Task Dump_records_each_conversation_with_connection_ids_directions_and_times()
    {
        var (echo, echoAddress) = await ServeEchoAsync();
        await using var echoServer = echo;
        var jsonl = TempPath.Socket(".jsonl");
        var text = TempPath.Socket(".txt");
        var proxies = new List<(ChildProcess Process, string Address)>();
        foreach (var (format, file) in new[] { ("jsonl", jsonl), ("text", text) })
        {
            var proxy = SockitCli.Start("proxy", "127.0.0.1:0", echoAddress, "--dump", format, file);
            var line = await proxy.WaitForStderrAsync(l => l.Contains("relaying", StringComparison.Ordinal));
            proxies.Add((proxy, line.Split("relaying ")[1].Split(' ')[0]));
        }
        foreach (var (_, address) in proxies)
        {
            Assert.Equal("hello\n", (await SockitCli.RunAsync("hello\n", "connect", address)).Stdout);
            Assert.Equal("bye\r\n", (await SockitCli.RunAsync("bye\r\n", "connect", address)).Stdout);
        }
        foreach (var (process, _) in proxies)
        {
            process.Signal(15);
            Assert.Equal(0, await process.WaitForExitAsync());
            await process.DisposeAsync();
        }

        var records = (await File.ReadAllLinesAsync(jsonl, TestContext.Current.CancellationToken)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(4, records.Count);
        foreach (var (connection, message) in new[] { (1, "hello\n"), (2, "bye\r\n") })
        {
            var mine = records.Where(r => r.GetProperty("connection").GetInt64() == connection).ToList();
            Assert.Equal(["upstream", "downstream"], mine.Select(r => r.GetProperty("direction").GetString()));
            Assert.All(mine, r => Assert.Equal(message, Encoding.UTF8.GetString(r.GetProperty("data").GetBytesFromBase64())));
            Assert.All(mine, r => Assert.True(DateTime.TryParse(r.GetProperty("time").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _)));
        }
        var lines = await File.ReadAllLinesAsync(text, TestContext.Current.CancellationToken);
        Assert.Equal([" #1 > @0 hello\\n", " #1 < @0 hello\\n", " #2 > @0 bye\\r\\n", " #2 < @0 bye\\r\\n"], lines.Select(l => l[15..]));
        File.Delete(jsonl);
        File.Delete(text);
    }

    [Theory]
    [InlineData(new[] { "proxy" }, "give LISTEN and UPSTREAM")]
    [InlineData(new[] { "proxy", "127.0.0.1:0", "127.0.0.1:1", "--dump", "pdf", "x" }, "invalid --dump format 'pdf'")]
    [InlineData(new[] { "proxy", "127.0.0.1:0", "127.0.0.1:1", "--toxic", "teleport" }, "unknown toxic type 'teleport'")]
    [InlineData(new[] { "proxy", "127.0.0.1:0", "127.0.0.1:1", "--toxic", "latency:latency=fast" }, "is not a whole number")]
    [InlineData(new[] { "proxy", "--config", "/nonexistent/proxies.json" }, "cannot read the proxy config /nonexistent/proxies.json")]
    [InlineData(new[] { "proxy", "127.0.0.1:0", "127.0.0.1:1", "--toxic", "latency:latency=10", "--toxic", "latency:latency=20" },
        "two --toxic options make the toxic 'latency_downstream'; give one, or name each")]
    [InlineData(new[] { "proxy", "127.0.0.1:0", "127.0.0.1:1", "--dump", "talk.jsonl" }, "--dump takes the format first, then the file: --dump jsonl talk.jsonl")]
    [InlineData(new[] { "proxy", "--dump", "talk.jsonl", "127.0.0.1:0", "127.0.0.1:1" }, "--dump takes the format first")]
    public async Task Bad_proxy_arguments_get_one_line_and_the_right_exit_code(string[] arguments, string message)
    {
        var (exit, _, stderr) = await SockitCli.RunAsync("", arguments);
        Assert.Equal(2, exit);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(message, line, StringComparison.Ordinal);
    }

    /// <summary>toxiproxy-cli's verbs (list, create, toggle, delete, toxic add/update/remove) with its flags, against a running API.</summary>
    [Fact]
    public async Task Toxiproxy_cli_verbs_drive_a_running_api()
    {
        var (proxy, api) = await StartApiAsync();
        await using var _ = proxy;

        async Task<string> RunAsync(params string[] arguments)
        {
            var (exit, stdout, stderr) = await SockitCli.RunAsync("", ["proxy", .. arguments, "--host", $"http://{api}"]);
            Assert.True(exit == 0, $"{string.Join(' ', arguments)}: {stderr}");
            return stdout.TrimEnd('\n');
        }

        Assert.Equal("Created new proxy db", await RunAsync("create", "db", "-l", "127.0.0.1:0", "-u", "127.0.0.1:5432"));
        Assert.Equal("Added downstream latency toxic 'latency_downstream' on proxy 'db'", await RunAsync("toxic", "add", "db", "-t", "latency", "-a", "latency=100", "-a", "jitter=5"));
        Assert.Equal("Added upstream noop toxic 'quiet' on proxy 'db'", await RunAsync("toxic", "add", "db", "-t", "noop", "-n", "quiet", "-u", "--tox", "0.5"));
        Assert.Equal("Updated toxic 'latency_downstream' on proxy 'db'", await RunAsync("toxic", "update", "db", "-n", "latency_downstream", "-a", "latency=500"));
        Assert.Equal("Proxy db is now disabled", await RunAsync("toggle", "db"));

        var listing = (await RunAsync("ls")).Split('\n');
        Assert.StartsWith("NAME", listing[0], StringComparison.Ordinal);
        Assert.Contains("disabled", listing[1], StringComparison.Ordinal);
        Assert.Contains("quiet (noop upstream), latency_downstream (latency downstream)", listing[1], StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(await RunAsync("ls", "--json")))
        {
            var toxics = json.RootElement.GetProperty("db").GetProperty("toxics");
            Assert.Equal(0.5, toxics[0].GetProperty("toxicity").GetDouble());
            Assert.Equal(500, toxics[1].GetProperty("attributes").GetProperty("latency").GetInt32());
            Assert.Equal(5, toxics[1].GetProperty("attributes").GetProperty("jitter").GetInt32());
        }

        Assert.Equal("Removed toxic 'quiet' on proxy 'db'", await RunAsync("toxic", "remove", "db", "-n", "quiet"));
        Assert.Equal("Proxy db is now enabled", await RunAsync("toggle", "db"));
        Assert.Equal("Deleted proxy db", await RunAsync("delete", "db"));
        Assert.Equal("{}", await RunAsync("ls", "--json"));

        var (exit, __, stderr) = await SockitCli.RunAsync("", "proxy", "toxic", "remove", "db", "-n", "quiet", "--host", api);
        Assert.Equal(1, exit);
        Assert.Equal("sockit: removing toxic quiet of proxy db failed: HTTP 404: proxy not found", stderr.Trim());
        (exit, __, stderr) = await SockitCli.RunAsync("", "proxy", "ls", "--host", $"127.0.0.1:{Ports.Free()}");
        Assert.Equal(1, exit);
        Assert.Contains("no control API at", stderr, StringComparison.Ordinal);
        (exit, __, stderr) = await SockitCli.RunAsync("", "proxy", "toxic", "add", "db", "-t", "latency", "-u", "-d", "--host", api);
        Assert.Equal(2, exit);
        Assert.Contains("not both", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_stock_toxiproxy_node_client_drives_the_api_unchanged()
    {
        var node = Peers.Require("node");
        var npm = Peers.Require("npm");
        var client = Path.Combine(AppContext.BaseDirectory, "toxiproxy-client");
        if (!Directory.Exists(Path.Combine(client, "node_modules", "toxiproxy-node-client")))
        {
            await using var install = ChildProcess.Start(npm, ["install", "--no-audit", "--no-fund", "--prefix", client]);
            if (await install.WaitForExitAsync(TimeSpan.FromMinutes(3)) != 0)
            {
                var reason = $"npm could not install toxiproxy-node-client from the registry: {install.Stderr.Trim().Split('\n')[^1]}";
                if (Peers.RequirePeers) Assert.Fail(reason);
                Assert.Skip(reason);
            }
        }
        var (echo, echoAddress) = await ServeEchoAsync();
        await using var _ = echo;
        var (proxy, api) = await StartApiAsync();
        await using var __ = proxy;

        await using var drive = ChildProcess.Start(node, [Path.Combine(client, "drive.js"), api, echoAddress]);
        var output = await drive.ReadStdoutTextAsync(TimeSpan.FromSeconds(60));
        Assert.True(await drive.WaitForExitAsync() == 0, drive.Stderr);
        using var seen = JsonDocument.Parse(output);
        var root = seen.RootElement;
        Assert.Contains("version", root.GetProperty("version").GetString(), StringComparison.Ordinal);
        Assert.InRange(root.GetProperty("slowed").GetDouble(), 150, 10_000);
        Assert.InRange(root.GetProperty("plain").GetDouble(), 0, 140);
        Assert.Equal(10, root.GetProperty("updatedLatency").GetInt32());
        Assert.False(root.GetProperty("downEnabled").GetBoolean());
        Assert.True(root.GetProperty("refusedWhileDown").GetBoolean());
        Assert.Equal(["second"], root.GetProperty("populated").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["echo", "second"], root.GetProperty("names").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("404", root.GetProperty("missing").GetString(), StringComparison.Ordinal);
        Assert.Equal(["echo"], root.GetProperty("after").EnumerateArray().Select(e => e.GetString()));
    }
}
