using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>The connect and listen options that change how a conversation runs or is shown.</summary>
public sealed class OptionTests
{
    private static async Task<(ChildProcess Server, string Port)> PythonServerAsync(string send, string then)
    {
        var python = Peers.Require("python3");
        var server = ChildProcess.Start(python, ["-c", PythonScripts.Server, "send", send, then]);
        var port = (await server.WaitForStderrAsync(l => l.StartsWith("port ", StringComparison.Ordinal)))[5..];
        return (server, port);
    }

    [Fact]
    public async Task Close_on_eof_exits_when_the_peer_closes_while_stdin_is_still_open()
    {
        var (server, port) = await PythonServerAsync("bye\n", "close");
        await using var _ = server;
        await using var client = SockitCli.Start("connect", $"127.0.0.1:{port}", "--close-on-eof");
        // stdin is never closed: only the peer's close can end this.
        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Equal("bye\n", await client.ReadStdoutTextAsync());
    }

    [Fact]
    public async Task A_reset_from_the_peer_is_reported_as_a_failure()
    {
        var (server, port) = await PythonServerAsync("partial", "reset");
        await using var _ = server;
        await using var client = SockitCli.Start("connect", $"127.0.0.1:{port}");
        Assert.Equal(1, await client.WaitForExitAsync());
        Assert.Contains("connection reset by 127.0.0.1:", client.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idle_timeout_closes_a_silent_conversation()
    {
        var (server, port) = await PythonServerAsync("", "hold");
        await using var _ = server;
        await using var client = SockitCli.Start("connect", $"127.0.0.1:{port}", "--idle-timeout", "300ms");
        Assert.Equal(1, await client.WaitForExitAsync());
        Assert.Contains("no data either way for the idle timeout", client.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Crlf_turns_each_lf_into_crlf()
    {
        var (listener, address) = await SockitCli.ListenAsync("127.0.0.1:0");
        await using var _ = listener;
        listener.CloseStdin();
        var (exit, _, stderr) = await SockitCli.RunAsync("", "connect", address, "--crlf", "--send", "GET / HTTP/1.0\n\n");
        Assert.True(exit == 0, stderr);
        Assert.Equal(0, await listener.WaitForExitAsync());
        Assert.Equal("GET / HTTP/1.0\r\n\r\n", await listener.ReadStdoutTextAsync());
    }

    [Fact]
    public async Task Send_only_ignores_the_peer_and_recv_only_ignores_stdin()
    {
        var (listener, address) = await SockitCli.ListenAsync("127.0.0.1:0");
        await using var _ = listener;
        await listener.WriteAsync("not read by a send-only client\n");
        listener.CloseStdin();
        var sent = await SockitCli.RunAsync("", "connect", address, "--send-only", "--send", "one way\n");
        Assert.True(sent.ExitCode == 0, sent.Stderr);
        Assert.Equal("", sent.Stdout);
        Assert.Equal("one way\n", await listener.ReadStdoutTextAsync());

        var (server, port) = await PythonServerAsync("download\n", "close");
        await using var __ = server;
        var received = await SockitCli.RunAsync("ignored stdin\n", "connect", $"127.0.0.1:{port}", "--recv-only");
        Assert.True(received.ExitCode == 0, received.Stderr);
        Assert.Equal("download\n", received.Stdout);
    }

    [Fact]
    public async Task Hex_dumps_both_directions_with_marks_and_offsets()
    {
        var (listener, address) = await SockitCli.ListenAsync("127.0.0.1:0");
        await using var _ = listener;
        await listener.WriteAsync("OK\n");
        listener.CloseStdin();
        var (exit, stdout, stderr) = await SockitCli.RunAsync("Hello, hexdump!\n", "connect", address, "--hex");
        Assert.True(exit == 0, stderr);
        Assert.Equal("OK\n", stdout);
        Assert.Contains("> 00000000  48 65 6c 6c 6f 2c 20 68  65 78 64 75 6d 70 21 0a  |Hello, hexdump!.|", stderr, StringComparison.Ordinal);
        Assert.Contains("< 00000000  4f 4b 0a", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trace_shows_each_socket_call_of_both_sides()
    {
        var (listener, address) = await SockitCli.ListenAsync("127.0.0.1:0", "--trace");
        await using var _ = listener;
        listener.CloseStdin();
        var (exit, _, stderr) = await SockitCli.RunAsync("traced\n", "connect", address, "--trace");
        Assert.True(exit == 0, stderr);
        Assert.Equal(0, await listener.WaitForExitAsync());

        string[] client = ["socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = ", $"connect(", "send(", "shutdown(", "SHUT_WR", "recv(", "EOF", "close("];
        foreach (var call in client) Assert.Contains(call, stderr, StringComparison.Ordinal);
        string[] server = ["socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = ", "setsockopt(", "SO_REUSEADDR", "bind(", "the OS chose port", "listen(", "accept(", "recv(", "close("];
        foreach (var call in server) Assert.Contains(call, listener.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trace_folds_a_bulk_transfer_into_few_lines()
    {
        var (listener, address) = await SockitCli.ListenAsync("127.0.0.1:0");
        await using var _ = listener;
        listener.CloseStdin();
        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, new byte[8 * 1024 * 1024], TestContext.Current.CancellationToken);
        try
        {
            var (exit, _, stderr) = await SockitCli.RunAsync("", "connect", address, "--send-file", file, "--trace");
            Assert.True(exit == 0, stderr);
            var sendLines = stderr.Split('\n').Where(l => l.Contains(" send(", StringComparison.Ordinal)).ToList();
            Assert.InRange(sendLines.Count, 1, 40); // 128 writes of 64 KiB, folded into runs
            Assert.Contains(sendLines, l => l.Contains(" bytes", StringComparison.Ordinal) && l.Contains('×'));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
