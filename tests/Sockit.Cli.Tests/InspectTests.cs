using System.Globalization;
using System.Text.Json;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>sockit ls, wait and scan against sockets whose every detail the test knows, cross-checked with ss.</summary>
public sealed class InspectTests
{
    /// <summary>
    /// A Python process that opens one socket of each kind and prints what it made: a TCP listener with an established
    /// pair (2,000 bytes left unread on the server side), a UDP socket, an IPv6 listener, a Unix stream listener (path and
    /// abstract) and a Unix datagram socket. It holds them until its stdin closes.
    /// </summary>
    private const string SocketZoo = """
        import json, os, socket, sys
        made = {}
        tl = socket.socket(); tl.bind(("127.0.0.1", 0)); tl.listen(5); made["tcp_listen"] = tl.getsockname()[1]
        tc = socket.create_connection(("127.0.0.1", made["tcp_listen"])); ts, _ = tl.accept()
        tc.sendall(b"x" * 2000)
        made["tcp_client_port"] = tc.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0)); made["udp"] = u.getsockname()[1]
        t6 = socket.socket(socket.AF_INET6); t6.bind(("::1", 0)); t6.listen(1); made["tcp6_listen"] = t6.getsockname()[1]
        ux = socket.socket(socket.AF_UNIX); ux.bind(sys.argv[1]); ux.listen(1)
        ab = socket.socket(socket.AF_UNIX); ab.bind("\0" + sys.argv[2]); ab.listen(1)
        ug = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); ug.bind(sys.argv[1] + ".dgram")
        made["pid"] = os.getpid()
        print(json.dumps(made), flush=True)
        sys.stdin.read()
        os.unlink(sys.argv[1]); os.unlink(sys.argv[1] + ".dgram")
        """;

    private static async Task<(ChildProcess Zoo, JsonElement Made, string Path, string Abstract)> StartZooAsync()
    {
        var path = TempPath.Socket();
        var name = $"sockit-zoo-{Guid.NewGuid():N}";
        var zoo = ChildProcess.Start(Peers.Require("python3"), ["-c", SocketZoo, path, name]);
        var line = System.Text.Encoding.UTF8.GetString(await zoo.WaitForStdoutAsync(10));
        while (!line.Contains('\n', StringComparison.Ordinal)) line = System.Text.Encoding.UTF8.GetString(await zoo.WaitForStdoutAsync(line.Length + 1));
        return (zoo, JsonDocument.Parse(line).RootElement.Clone(), path, name);
    }

    private static async Task<JsonElement[]> LsJsonAsync(params string[] arguments)
    {
        var (exit, stdout, stderr) = await SockitCli.RunAsync("", ["ls", "--json", .. arguments]);
        Assert.True(exit == 0, stderr);
        return [.. JsonDocument.Parse(stdout).RootElement.GetProperty("sockets").EnumerateArray().Select(e => e.Clone())];
    }

    [Fact]
    public async Task Ls_shows_every_kind_with_state_addresses_queues_and_owner()
    {
        var (zoo, made, path, name) = await StartZooAsync();
        await using var _ = zoo;
        var pid = made.GetProperty("pid").GetInt32();
        var sockets = await LsJsonAsync("-a", "-p", "--pid", pid.ToString(CultureInfo.InvariantCulture));
        Assert.All(sockets, s => Assert.Equal("python3", s.GetProperty("process").GetString()));

        JsonElement Find(string kind, string local, string state) => Assert.Single(sockets, s =>
            s.GetProperty("kind").GetString() == kind && s.GetProperty("local").GetString() == local && s.GetProperty("state").GetString() == state);
        var port = made.GetProperty("tcp_listen").GetInt32();
        Find("tcp", $"127.0.0.1:{port}", "listen");
        var server = Assert.Single(sockets, s => s.GetProperty("kind").GetString() == "tcp" && s.GetProperty("state").GetString() == "established"
            && s.GetProperty("localPort").GetInt32() == port);
        Assert.Equal($"127.0.0.1:{made.GetProperty("tcp_client_port").GetInt32()}", server.GetProperty("remote").GetString());
        Assert.Equal(2000, server.GetProperty("receiveQueue").GetInt64()); // sent by the client, never read
        Find("udp", $"127.0.0.1:{made.GetProperty("udp").GetInt32()}", "unconnected");
        Find("tcp6", $"[::1]:{made.GetProperty("tcp6_listen").GetInt32()}", "listen");
        Find("unix", path, "listen");
        Find("unix", "@" + name, "listen");
        Find("unixgram", path + ".dgram", "unconnected");
        if (Environment.UserName == "root")
            Assert.All(sockets.Where(s => s.GetProperty("family").GetString() != "unix"), s => Assert.Equal(0, s.GetProperty("uid").GetInt32()));
    }

    [Fact]
    public async Task Ls_as_another_user_shows_what_it_can_and_says_some_owners_are_hidden()
    {
        await using var ls = SockitCli.StartAsNobody("ls", "-tap");
        var output = await ls.ReadStdoutTextAsync();
        Assert.Equal(0, await ls.WaitForExitAsync());
        Assert.StartsWith("Kind  ", output, StringComparison.Ordinal);
        Assert.Contains("-", output, StringComparison.Ordinal); // root's sockets, owner unknown
        Assert.Contains("some owners are hidden: processes of other users can be seen only as root", ls.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ls_agrees_with_ss_on_the_same_machine()
    {
        var ss = Peers.Require("ss");
        var (zoo, made, _, _) = await StartZooAsync();
        await using var __ = zoo;
        var pid = made.GetProperty("pid").GetInt32().ToString(CultureInfo.InvariantCulture);
        await using var ssProcess = ChildProcess.Start(ss, ["-tuaxnpH"]);
        ssProcess.CloseStdin();
        Assert.Equal(0, await ssProcess.WaitForExitAsync());
        var ssInodes = (await ssProcess.ReadStdoutTextAsync()).Split('\n').Where(l => l.Contains($"pid={pid},", StringComparison.Ordinal)).ToList();
        var ours = await LsJsonAsync("-a", "-t", "-u", "-x", "--pid", pid);
        // ss names the Unix sockets by path and the IP ones by address:port; every one of ours must be in its list.
        Assert.Equal(ssInodes.Count, ours.Length);
        foreach (var socket in ours)
        {
            var local = socket.GetProperty("local").GetString()!;
            Assert.Contains(ssInodes, l => l.Contains(local, StringComparison.Ordinal) || (local == "*" && l.StartsWith("u_", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task Ls_filters_by_port_state_kind_and_summarises()
    {
        var (zoo, made, _, _) = await StartZooAsync();
        await using var _ = zoo;
        var port = made.GetProperty("tcp_listen").GetInt32();

        var byPort = await LsJsonAsync($":{port}");
        Assert.Equal(3, byPort.Length); // the listener and both ends of the connection
        Assert.All(byPort, s => Assert.True(s.GetProperty("localPort").GetInt32() == port || s.GetProperty("remotePort").GetInt32() == port));
        Assert.All(byPort, s => Assert.Equal("python3", s.GetProperty("process").GetString())); // "who holds port N?" names the process

        var listening = await LsJsonAsync("-l", "-t", "--port", port.ToString(CultureInfo.InvariantCulture));
        Assert.Equal("listen", Assert.Single(listening).GetProperty("state").GetString());
        var established = await LsJsonAsync("-t", "-4", "--state", "established", "--port", port.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(2, established.Length);
        Assert.Empty(await LsJsonAsync("-6", "--port", port.ToString(CultureInfo.InvariantCulture)));

        var (exit, text, _) = await SockitCli.RunAsync("", "ls", "-s", "-a", "-t");
        Assert.Equal(0, exit);
        Assert.Matches(@"tcp\s+\d+\s+.*listen \d+", text);

        var (plainExit, plain, _) = await SockitCli.RunAsync("", "ls", $":{port}");
        Assert.Equal(0, plainExit);
        Assert.StartsWith("Kind  State", plain, StringComparison.Ordinal); // piped: plain columns, no table border
        Assert.Contains($"127.0.0.1:{port}", plain, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ls_watch_shows_sockets_that_appear_and_go_away()
    {
        var port = Ports.Free();
        await using var watch = SockitCli.Start("ls", "--watch", "200ms", "-l", "-t", "--port", port.ToString(CultureInfo.InvariantCulture));
        await watch.WaitForStdoutTextAsync(t => t.StartsWith("Kind", StringComparison.Ordinal)); // the first full listing
        using (var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp))
        {
            listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
            listener.Listen();
            await watch.WaitForStdoutTextAsync(t => t.Contains($" + tcp listen 127.0.0.1:{port} *", StringComparison.Ordinal));
        }
        await watch.WaitForStdoutTextAsync(t => t.Contains($" - tcp listen 127.0.0.1:{port} *", StringComparison.Ordinal));
        watch.Signal(2);
        Assert.Equal(0, await watch.WaitForExitAsync());
    }

    [Fact]
    public async Task Ls_bad_filters_are_usage_errors()
    {
        var (exit, _, stderr) = await SockitCli.RunAsync("", "ls", "--state", "sleepy");
        Assert.Equal(2, exit);
        Assert.Contains("sleepy", stderr, StringComparison.Ordinal);
        (exit, _, stderr) = await SockitCli.RunAsync("", "ls", "port80");
        Assert.Equal(2, exit);
        Assert.Contains("invalid port filter 'port80'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_returns_once_a_late_server_starts_and_runs_the_command()
    {
        var port = Ports.Free();
        await using var waiter = SockitCli.Start("wait", $"127.0.0.1:{port}", "--timeout", "20s", "--", "sh", "-c", "exit 7");
        await waiter.WaitForStderrAsync(l => l.Contains("waiting for", StringComparison.Ordinal)); // it is trying, and failing, now
        await using var server = SockitCli.Start("serve", "echo", $"127.0.0.1:{port}");
        Assert.Equal(7, await waiter.WaitForExitAsync()); // the command's exit code is passed on
        Assert.Contains($"127.0.0.1:{port} is up after", waiter.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_for_a_server_that_never_starts_fails_naming_it()
    {
        var port = Ports.Free();
        var path = TempPath.Socket();
        var (exit, _, stderr) = await SockitCli.RunAsync("", "wait", $"127.0.0.1:{port}", $"unix://{path}", "--timeout", "700ms");
        Assert.Equal(1, exit);
        Assert.Contains($"127.0.0.1:{port}, unix://{path} did not accept a connection within 700ms", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_finds_exactly_the_open_loopback_ports()
    {
        // Ports held bound but not listening are closed for sure (a connect gets a reset) and stay ours for the whole test:
        // a range around our listeners would also catch other tests' listeners, which come and go while the tests run.
        var listeners = new List<System.Net.Sockets.Socket>();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
                if (i % 2 == 0) socket.Listen();
                listeners.Add(socket);
            }
            int PortOf(System.Net.Sockets.Socket s) => ((System.Net.IPEndPoint)s.LocalEndPoint!).Port;
            var open = listeners.Where((_, i) => i % 2 == 0).Select(PortOf).Order().ToList();
            var closed = listeners.Where((_, i) => i % 2 == 1).Select(PortOf).ToList();
            var range = $"{closed[0]}-{closed[0]},{string.Join(',', open)},{closed[1]},{closed[2]}";
            var (exit, stdout, stderr) = await SockitCli.RunAsync("", "scan", "127.0.0.1", range, "--json");
            Assert.True(exit == 0, stderr);
            using var json = JsonDocument.Parse(stdout);
            var found = json.RootElement.GetProperty("open").EnumerateArray().Select(p => p.GetInt32()).Order().ToList();
            Assert.Equal(open, found);

            var (textExit, text, _) = await SockitCli.RunAsync("", "scan", "127.0.0.1", string.Join(',', open));
            Assert.Equal(0, textExit);
            Assert.Equal(open.Select(p => $"127.0.0.1:{p} open").Order(), text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        }
        finally
        {
            foreach (var socket in listeners) socket.Dispose();
        }
    }

    [Theory]
    [InlineData("0-10", "invalid port '0'")]
    [InlineData("90-80", "the first port must not exceed the last")]
    [InlineData("http", "invalid port 'http'")]
    public async Task Scan_bad_port_lists_are_usage_errors(string ports, string expected)
    {
        var (exit, _, stderr) = await SockitCli.RunAsync("", "scan", "127.0.0.1", ports);
        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }
}
