using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>Every failure is one stderr line naming the cause and the fix, with exit code 1 (failure) or 2 (usage).</summary>
public sealed class ErrorTests
{
    private static void AssertOneLine(string stderr, string expected)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got: {stderr}");
        Assert.StartsWith("sockit: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused()
    {
        var port = Ports.Free();
        var (exit, _, stderr) = await SockitCli.RunAsync("", "connect", $"127.0.0.1:{port}");
        Assert.Equal(1, exit);
        AssertOneLine(stderr, "connection refused by 127.0.0.1:");
    }

    [Fact]
    public async Task Unknown_host()
    {
        var (exit, _, stderr) = await SockitCli.RunAsync("", "connect", "no-such-host.invalid:80");
        Assert.Equal(1, exit);
        AssertOneLine(stderr, "unknown host 'no-such-host.invalid'");
    }

    [Fact]
    public async Task Timed_out_against_a_full_accept_queue()
    {
        // A listener that never accepts, with its queue full: the kernel drops further SYNs, so connect() hangs.
        using var full = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        full.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        full.Listen(0);
        var target = (IPEndPoint)full.LocalEndPoint!;
        var fillers = new List<Socket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                using var quick = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
                try
                {
                    await filler.ConnectAsync(target, quick.Token);
                }
                catch (OperationCanceledException)
                {
                    break; // the queue is full already
                }
            }
            var (exit, _, stderr) = await SockitCli.RunAsync("", "connect", target.ToString(), "--connect-timeout", "500ms");
            Assert.Equal(1, exit);
            AssertOneLine(stderr, "timed out after 500ms: the host did not answer; check that it is up, or raise --connect-timeout");
        }
        finally
        {
            foreach (var filler in fillers) filler.Dispose();
        }
    }

    [Fact]
    public async Task Unreachable_in_a_network_namespace_whose_loopback_is_down()
    {
        // A fresh network namespace has lo down: connecting even to 127.0.0.1 finds no route, and no packet leaves.
        Peers.RequireRoot();
        var unshare = Peers.Require("unshare");
        await using var process = ChildProcess.Start(unshare, ["-n", "dotnet", SockitCli.Dll, "connect", "127.0.0.1:5000"]);
        process.CloseStdin();
        Assert.Equal(1, await process.WaitForExitAsync());
        AssertOneLine(process.Stderr, "127.0.0.1:5000 is unreachable: no route to that host");
    }

    [Fact]
    public async Task No_such_socket_file()
    {
        var (exit, _, stderr) = await SockitCli.RunAsync("", "connect", "unix:///tmp/sockit-no-such-file.sock");
        Assert.Equal(1, exit);
        AssertOneLine(stderr, "no such socket file /tmp/sockit-no-such-file.sock");
    }

    [Fact]
    public async Task Permission_denied_on_a_socket_file()
    {
        var path = TempPath.Socket();
        await using var owner = SockitCli.Start("listen", $"unix://{path}", "--mode", "600", "-v");
        await owner.WaitForStderrAsync(l => l.Contains("listening on", StringComparison.Ordinal)); // after chmod and listen()
        await using var client = SockitCli.StartAsNobody("connect", $"unix://{path}");
        Assert.Equal(1, await client.WaitForExitAsync());
        AssertOneLine(client.Stderr, "permission denied");
    }

    [Fact]
    public async Task Privileged_port_without_the_right()
    {
        await using var process = SockitCli.StartAsNobody("listen", "127.0.0.1:81");
        Assert.Equal(1, await process.WaitForExitAsync());
        AssertOneLine(process.Stderr, "ports below 1024 need root or the CAP_NET_BIND_SERVICE capability");
    }

    [Fact]
    public async Task Address_in_use_names_the_process_that_holds_it()
    {
        var nc = Peers.Require("nc");
        var port = Ports.Free();
        await using var holder = ChildProcess.Start(nc, ["-l", "127.0.0.1", port.ToString(CultureInfo.InvariantCulture)]);
        await Ports.WaitForTcpListenerAsync(port);

        var (exit, _, stderr) = await SockitCli.RunAsync("", "listen", $"127.0.0.1:{port}");

        Assert.Equal(1, exit);
        AssertOneLine(stderr, $"port {port} is already in use by nc (pid {holder.Id})");
    }

    [Fact]
    public async Task Address_not_on_this_host()
    {
        // Binding only: a TEST-NET-3 address is on no interface here, so bind() fails and no packet is sent.
        var (exit, _, stderr) = await SockitCli.RunAsync("", "listen", "203.0.113.7:0");
        Assert.Equal(1, exit);
        AssertOneLine(stderr, "203.0.113.7 is not an address of this host");
    }

    [Fact]
    public async Task Live_unix_socket_is_not_taken_over()
    {
        var path = TempPath.Socket();
        await using var first = SockitCli.Start("listen", $"unix://{path}", "-v");
        await first.WaitForStderrAsync(l => l.Contains("listening on", StringComparison.Ordinal));

        var (exit, _, stderr) = await SockitCli.RunAsync("", "listen", $"unix://{path}");

        Assert.Equal(1, exit);
        AssertOneLine(stderr, "a running process is already listening on that socket");
    }

    [Fact]
    public async Task A_regular_file_is_never_replaced()
    {
        var path = TempPath.Socket();
        await File.WriteAllTextAsync(path, "precious", TestContext.Current.CancellationToken);
        try
        {
            var (exit, _, stderr) = await SockitCli.RunAsync("", "listen", $"unix://{path}");
            Assert.Equal(1, exit);
            AssertOneLine(stderr, "exists and is not a socket");
            Assert.Equal("precious", await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("connect", "nohost", "a host with no port; write nohost:PORT")]
    [InlineData("connect", "8080", "'8080' is a port with no host (':PORT' means loopback); did you mean :8080?")]
    [InlineData("connect", "::1:80", "an IPv6 address goes in brackets before its port; did you mean [::1]:80?")]
    [InlineData("connect", "udp:127.0.0.1:9999", "did you mean udp://127.0.0.1:9999?")]
    [InlineData("connect", "127.0.0.1:8080:", "it ends with a stray ':'; did you mean 127.0.0.1:8080?")]
    [InlineData("connect", "tpc://127.0.0.1:80", "unknown scheme 'tpc'; did you mean tcp://127.0.0.1:80?")]
    [InlineData("connect", "http://127.0.0.1/", "did you mean 127.0.0.1:80?")]
    [InlineData("connect", "sctp://x:1", "unknown scheme 'sctp'; did you mean tcp://x:1?")]
    [InlineData("connect", "foo://x:1", "unknown scheme 'foo': use tcp, udp, unix, unixgram, tls")]
    [InlineData("connect", "localhost:99999", "out of range")]
    [InlineData("connect", "localhost:nosuchservice", "'nosuchservice' is not a port or a service in /etc/services")]
    [InlineData("listen", "unix://", "the socket path is empty")]
    [InlineData("wait", "8080", "did you mean :8080?")]
    [InlineData("bench", "udp:127.0.0.1:9", "did you mean udp://127.0.0.1:9?")]
    public async Task Bad_endpoints_say_what_is_missing_and_the_closest_form(string command, string endpoint, string expected)
    {
        var (exit, _, stderr) = await SockitCli.RunAsync("", command, endpoint);
        Assert.Equal(2, exit);
        AssertOneLine(stderr, expected);
        Assert.DoesNotContain("accepted forms", stderr, StringComparison.Ordinal);
        Assert.True(stderr.TrimEnd().Length < 120, $"longer than 120 characters: {stderr}");
    }

    [Theory]
    [InlineData("--connect-timeout", "soon", "invalid duration 'soon'")]
    [InlineData("--idle-timeout", "-3", "invalid duration")]
    public async Task Bad_durations_are_usage_errors(string option, string value, string expected)
    {
        var (exit, _, stderr) = await SockitCli.RunAsync("", "connect", "127.0.0.1:9", option, value);
        Assert.Equal(2, exit);
        AssertOneLine(stderr, expected);
    }

    [Theory]
    [InlineData(new[] { "listen", "127.0.0.1:0", "--allow", "10.0.0.300/8" }, "invalid CIDR")]
    [InlineData(new[] { "listen", "127.0.0.1:0", "--mode", "600" }, "--mode sets a Unix socket file's permissions")]
    [InlineData(new[] { "listen", "unix:///tmp/x.sock", "--mode", "999" }, "invalid --mode '999'")]
    [InlineData(new[] { "listen", "127.0.0.1:0", "-k", "--max-clients", "0" }, "invalid value '0' for --max-clients")]
    [InlineData(new[] { "connect", "127.0.0.1:9", "--send", "a", "--send-file", "/etc/hostname" }, "cannot be combined")]
    [InlineData(new[] { "connect", "127.0.0.1:9", "--send-file", "/no/such/file" }, "/no/such/file")]
    [InlineData(new[] { "connect", "127.0.0.1:9", "-d", "--send", "hi" }, "--recv-only (-d) never sends, so it cannot go with --send")]
    [InlineData(new[] { "connect" }, "Required argument 'endpoint' missing")]
    [InlineData(new[] { "frobnicate" }, "unknown command 'frobnicate'; the commands are connect, listen")]
    [InlineData(new[] { "conect", "127.0.0.1:9" }, "unknown command 'conect'; did you mean connect?")]
    [InlineData(new[] { "connect", "127.0.0.1:9", "--idle-timout", "1s" }, "unknown option '--idle-timout'; did you mean --idle-timeout?")]
    [InlineData(new[] { "bench", "merge", "--jsn", "a.hlog" }, "unknown option '--jsn'; did you mean --json?")]
    public async Task Bad_options_are_usage_errors(string[] arguments, string expected)
    {
        var (exit, _, stderr) = await SockitCli.RunAsync("", arguments);
        Assert.Equal(2, exit);
        AssertOneLine(stderr, expected);
    }
}
