using System.Globalization;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>connect ↔ listen over every transport: TCP v4 and v6, UDP, Unix stream, abstract, Unix datagram.</summary>
public sealed class TransportTests
{
    private static async Task AssertConversationAsync(string listenEndpoint, string? connectEndpoint = null)
    {
        var (listener, address) = listenEndpoint.EndsWith(":0", StringComparison.Ordinal)
            ? await SockitCli.ListenAsync(listenEndpoint)
            : (SockitCli.Start("listen", listenEndpoint, "-v"), listenEndpoint);
        await using var _ = listener;
        if (!listenEndpoint.EndsWith(":0", StringComparison.Ordinal)) await listener.WaitForStderrAsync(l => l.Contains("listening on", StringComparison.Ordinal));
        await listener.WriteAsync("pong\n");
        listener.CloseStdin();

        var (exit, stdout, stderr) = await SockitCli.RunAsync("ping\n", "connect", connectEndpoint ?? address);

        Assert.True(exit == 0, stderr);
        Assert.Equal("pong\n", stdout);
        Assert.Equal(0, await listener.WaitForExitAsync());
        Assert.Equal("ping\n", await listener.ReadStdoutTextAsync());
    }

    [Fact]
    public Task Tcp_over_ipv4() => AssertConversationAsync("127.0.0.1:0");

    [Fact]
    public async Task Output_to_a_file_the_shell_shares_lands_between_the_commands_around_it()
    {
        await using var echo = await Sockit.Servers.TestServer.StartAsync(Sockit.Servers.ServerKind.Echo, Sockit.Endpoints.Endpoint.Parse("127.0.0.1:0"),
            cancellationToken: TestContext.Current.CancellationToken);
        var output = TempPath.Socket(".txt");
        var script = $"(echo before; printf 'middle\\n' | dotnet '{SockitCli.Dll}' connect {echo.LocalEndpoint}; echo after) > '{output}'";
        await using var shell = ChildProcess.Start("/bin/sh", ["-c", script]);
        Assert.True(await shell.WaitForExitAsync() == 0, shell.Stderr);
        Assert.Equal("before\nmiddle\nafter\n", await File.ReadAllTextAsync(output, TestContext.Current.CancellationToken));
        File.Delete(output);
    }

    [Fact]
    public Task Tcp_over_ipv6() => AssertConversationAsync("[::1]:0");

    [Fact]
    public Task Tcp_with_scheme_and_loopback_shorthand() => AssertConversationAsync(":0");

    [Fact]
    public async Task Star_port_listens_dual_stack_for_ipv4_and_ipv6_clients()
    {
        // Every interface, but the test's traffic goes only to 127.0.0.1 and ::1.
        var (listener, address) = await SockitCli.ListenAsync("*:0", "-k", "-v");
        await using var _ = listener;
        var port = address.Split(':')[^1];
        Assert.Equal("*:" + port, address);
        var v4 = await SockitCli.RunAsync("over ipv4\n", "connect", $"127.0.0.1:{port}", "-q");
        var v6 = await SockitCli.RunAsync("over ipv6\n", "connect", $"[::1]:{port}", "-q");
        Assert.True(v4.ExitCode == 0 && v6.ExitCode == 0, v4.Stderr + v6.Stderr);
        var seen = System.Text.Encoding.UTF8.GetString(await listener.WaitForStdoutAsync("over ipv4\nover ipv6\n".Length));
        Assert.Contains("over ipv4\n", seen, StringComparison.Ordinal);
        Assert.Contains("over ipv6\n", seen, StringComparison.Ordinal);
        Assert.Contains("connection from 127.0.0.1:", listener.Stderr, StringComparison.Ordinal); // IPv4-mapped shown as IPv4
        Assert.Contains("connection from [::1]:", listener.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unix_stream_socket_file_is_removed_when_done()
    {
        var path = TempPath.Socket();
        await AssertConversationAsync($"unix://{path}");
        Assert.False(File.Exists(path), "the socket file should be removed on exit");
    }

    [Fact]
    public Task Unix_abstract_socket() => AssertConversationAsync($"unix://@sockit-test-{Guid.NewGuid():N}");

    [Fact]
    public async Task Udp_datagrams_both_ways_and_sigterm_stops_the_listener()
    {
        var (listener, address) = await SockitCli.ListenAsync("udp://127.0.0.1:0");
        await using var _ = listener;
        await listener.WriteAsync("pong\n");

        var (exit, stdout, stderr) = await SockitCli.RunAsync("ping\n", "connect", address, "--idle-timeout", "3s");

        Assert.True(exit == 0, stderr);
        Assert.Equal("pong\n", stdout);
        Assert.Equal("ping\n", System.Text.Encoding.UTF8.GetString(await listener.WaitForStdoutAsync(5)));
        listener.Signal(15);
        Assert.Equal(0, await listener.WaitForExitAsync());
    }

    [Fact]
    public async Task Unix_datagram_socket()
    {
        var path = TempPath.Socket();
        await using var listener = SockitCli.Start("listen", $"unixgram://{path}", "-v");
        await listener.WaitForStderrAsync(l => l.Contains("listening on", StringComparison.Ordinal));
        await listener.WriteAsync("pong\n");

        var (exit, stdout, stderr) = await SockitCli.RunAsync("ping\n", "connect", $"unixgram://{path}", "--idle-timeout", "3s");

        Assert.True(exit == 0, stderr);
        Assert.Equal("pong\n", stdout);
        listener.Signal(2);
        Assert.Equal(0, await listener.WaitForExitAsync());
        Assert.Equal("ping\n", await listener.ReadStdoutTextAsync());
        Assert.False(File.Exists(path), "the socket file should be removed on SIGINT");
    }

    [Fact]
    public async Task Udp_refused_is_reported()
    {
        var port = Ports.Free();
        var (exit, _, stderr) = await SockitCli.RunAsync("ping\n", "connect", $"udp://127.0.0.1:{port}", "-i", "3s");
        Assert.Equal(1, exit);
        Assert.Contains("refused the datagram", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keep_open_serves_many_clients_at_once_and_stops_cleanly_on_sigterm()
    {
        var path = TempPath.Socket();
        await using var listener = SockitCli.Start("listen", $"unix://{path}", "-k", "-v");
        await listener.WaitForStderrAsync(l => l.Contains("listening on", StringComparison.Ordinal));

        // Three clients connected at the same time, each half-closing after its line.
        var clients = Enumerable.Range(1, 3).Select(i => SockitCli.RunAsync($"client {i}\n", "connect", $"unix://{path}", "-q")).ToArray();
        var results = await Task.WhenAll(clients);
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Stderr));

        var seen = System.Text.Encoding.UTF8.GetString(await listener.WaitForStdoutAsync("client 1\nclient 2\nclient 3\n".Length));
        Assert.Equal(["client 1", "client 2", "client 3"], seen.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        listener.Signal(15);
        Assert.Equal(0, await listener.WaitForExitAsync());
        Assert.False(File.Exists(path), "the socket file should be removed on SIGTERM");
    }

    [Fact]
    public async Task Keep_open_broadcasts_stdin_to_every_client()
    {
        var (listener, address) = await SockitCli.ListenAsync("127.0.0.1:0", "-k", "-v");
        await using var _ = listener;
        await using var first = SockitCli.Start("connect", address, "--recv-only");
        await using var second = SockitCli.Start("connect", address, "--recv-only");
        await listener.WaitForStderrAsync(l => l.Contains("connection from", StringComparison.Ordinal));
        await WaitForSecondConnectionAsync(listener);

        await listener.WriteAsync("to everyone\n");
        listener.CloseStdin(); // input EOF: every client's sending side is shut down, so they end

        Assert.Equal(0, await first.WaitForExitAsync());
        Assert.Equal(0, await second.WaitForExitAsync());
        Assert.Equal("to everyone\n", await first.ReadStdoutTextAsync());
        Assert.Equal("to everyone\n", await second.ReadStdoutTextAsync());
    }

    private static async Task WaitForSecondConnectionAsync(ChildProcess listener)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (listener.Stderr.Split('\n').Count(l => l.Contains("connection from", StringComparison.Ordinal)) < 2)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(listener.Stderr);
            await listener.WaitForStderrAsync(l => l.Contains("connection from", StringComparison.Ordinal) && !listener.Stderr.Contains(l + "\n", StringComparison.Ordinal), TimeSpan.FromSeconds(1)).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    [Fact]
    public async Task Max_clients_refuses_the_extra_client_with_a_reset()
    {
        var (listener, address) = await SockitCli.ListenAsync("127.0.0.1:0", "-k", "-v", "--max-clients", "1");
        await using var _ = listener;
        await using var first = SockitCli.Start("connect", address, "--recv-only");
        await listener.WaitForStderrAsync(l => l.Contains("connection from", StringComparison.Ordinal));

        var (exit, _, stderr) = await SockitCli.RunAsync("", "connect", address, "--recv-only");

        Assert.Equal(1, exit);
        Assert.Contains("connection reset", stderr, StringComparison.Ordinal);
        await listener.WaitForStderrAsync(l => l.Contains("--max-clients 1 reached", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Keep_open_closes_a_client_when_its_data_ends_so_its_place_is_free_again()
    {
        // stdin stays open and quiet, as in a terminal: nothing ever tells the listener that a finished client is gone
        // for good, so it must close it at its EOF (as ncat -k does), or every client that came and went holds a place.
        var (listener, address) = await SockitCli.ListenAsync("127.0.0.1:0", "-k", "-v", "--max-clients", "2");
        await using var _ = listener;
        var expected = new System.Text.StringBuilder();
        for (var i = 1; i <= 5; i++)
        {
            // connect sends its line, shuts down its sending side at stdin EOF, and ends when the listener closes.
            var (exit, stdout, stderr) = await SockitCli.RunAsync($"client {i}\n", "connect", address);
            Assert.True(exit == 0, $"client {i}: {stderr}");
            Assert.Equal("", stdout);
            expected.Append(CultureInfo.InvariantCulture, $"client {i}\n");
        }
        Assert.Equal(expected.ToString(), System.Text.Encoding.UTF8.GetString(await listener.WaitForStdoutAsync(expected.Length)));
        Assert.DoesNotContain("--max-clients 2 reached", listener.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keep_open_ends_with_the_error_when_its_output_goes_away()
    {
        // `listen -k | head -c 6`: once head has its bytes and exits, the next write fails. A one-client listen ends on
        // that; so must -k, rather than go on accepting clients whose data can go nowhere.
        var port = Ports.Free();
        await using var pipeline = ChildProcess.Start("bash",
            ["-c", $"dotnet '{SockitCli.Dll}' listen 127.0.0.1:{port} -k -v | head -c 6 > /dev/null; echo \"listen exited ${{PIPESTATUS[0]}}\""]);
        await pipeline.WaitForStderrAsync(l => l.Contains("listening on", StringComparison.Ordinal));
        // Clients one after another until the listener has gone: the first fills head, a later one finds the pipe closed.
        for (var i = 0; i < 20 && !pipeline.Stderr.Contains("Broken pipe", StringComparison.Ordinal); i++)
            await SockitCli.RunAsync($"client {i}\n", "connect", $"127.0.0.1:{port}");
        Assert.Equal(0, await pipeline.WaitForExitAsync());
        Assert.Equal("listen exited 1\n", await pipeline.ReadStdoutTextAsync());
        Assert.Contains("Broken pipe", pipeline.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, 130)]
    [InlineData(15, 143)]
    public async Task A_signal_ends_connect_with_its_own_exit_code(int signal, int exitCode)
    {
        var (listener, address) = await SockitCli.ListenAsync("127.0.0.1:0", "-k", "-v");
        await using var _ = listener;
        await using var client = SockitCli.Start("connect", address, "-v");
        await client.WaitForStderrAsync(l => l.Contains("connected to", StringComparison.Ordinal));
        client.Signal(signal);
        Assert.Equal(exitCode, await client.WaitForExitAsync()); // 128 + the signal, as a shell reports it
    }

    [Fact]
    public async Task Allow_and_deny_by_source_address()
    {
        var python = Peers.Require("python3");
        var (listener, address) = await SockitCli.ListenAsync("127.0.0.1:0", "-k", "-v", "--allow", "127.0.0.2/32");
        await using var _ = listener;
        listener.CloseStdin();
        var port = address.Split(':')[^1];

        await using var denied = ChildProcess.Start(python, ["-c", PythonScripts.ClientFromSource, "127.0.0.1", port, "127.0.0.1"]);
        Assert.Equal(0, await denied.WaitForExitAsync());
        Assert.Equal("reset\n", await denied.ReadStdoutTextAsync());

        await using var allowed = ChildProcess.Start(python, ["-c", PythonScripts.ClientFromSource, "127.0.0.1", port, "127.0.0.2"]);
        Assert.Equal(0, await allowed.WaitForExitAsync());
        Assert.Equal("closed\n", await allowed.ReadStdoutTextAsync());
        Assert.Equal("hi from 127.0.0.2", System.Text.Encoding.UTF8.GetString(await listener.WaitForStdoutAsync(17)));
        Assert.Contains("refused 127.0.0.1:", listener.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unix_socket_mode_is_applied()
    {
        var path = TempPath.Socket();
        await using var listener = SockitCli.Start("listen", $"unix://{path}", "--mode", "600", "-v");
        await listener.WaitForStderrAsync(l => l.Contains("listening on", StringComparison.Ordinal));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task A_stale_socket_file_is_replaced()
    {
        var python = Peers.Require("python3");
        var path = TempPath.Socket();
        // A process that binds and exits without unlinking leaves its socket file behind, as a crashed server does.
        await using (var dead = ChildProcess.Start(python, ["-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path]))
            Assert.Equal(0, await dead.WaitForExitAsync());
        Assert.True(File.Exists(path));
        await AssertConversationAsync($"unix://{path}");
    }
}
