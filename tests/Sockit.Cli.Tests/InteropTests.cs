using System.Globalization;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>sockit connect and listen speak byte for byte with nc, socat and Python's socket module, both ways.</summary>
public sealed class InteropTests
{
    [Fact]
    public async Task Connect_talks_to_nc_listener_with_half_close()
    {
        var nc = Peers.Require("nc");
        var port = Ports.Free();
        await using var server = ChildProcess.Start(nc, ["-l", "-N", "127.0.0.1", port.ToString(CultureInfo.InvariantCulture)]);
        await server.WriteAsync("reply from nc\n");
        server.CloseStdin();
        await Ports.WaitForTcpListenerAsync(port);

        var (exit, stdout, stderr) = await SockitCli.RunAsync("request from sockit\n", "connect", $"127.0.0.1:{port}");

        Assert.True(exit == 0, stderr);
        Assert.Equal("reply from nc\n", stdout);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Equal("request from sockit\n", await server.ReadStdoutTextAsync());
    }

    [Fact]
    public async Task Listen_serves_an_nc_client_and_replies_after_its_eof()
    {
        var nc = Peers.Require("nc");
        var (listener, address) = await SockitCli.ListenAsync("127.0.0.1:0");
        await using var _ = listener;
        await listener.WriteAsync("reply from sockit\n");
        listener.CloseStdin();
        var port = address.Split(':')[^1];

        await using var client = ChildProcess.Start(nc, ["-N", "127.0.0.1", port]);
        await client.WriteAsync("hello from nc\n");
        client.CloseStdin();

        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Equal("reply from sockit\n", await client.ReadStdoutTextAsync());
        Assert.Equal(0, await listener.WaitForExitAsync());
        Assert.Equal("hello from nc\n", await listener.ReadStdoutTextAsync());
    }

    [Fact]
    public async Task Connect_talks_to_socat_over_a_unix_socket()
    {
        var socat = Peers.Require("socat");
        var path = TempPath.Socket();
        // socat answers each client with what it sent, upper-cased, after the client's EOF.
        await using var server = ChildProcess.Start(socat, [$"UNIX-LISTEN:{path}", "EXEC:tr a-z A-Z"]);
        await Ports.WaitForUnixListenerAsync(path);

        var (exit, stdout, stderr) = await SockitCli.RunAsync("shout this\n", "connect", $"unix://{path}");

        Assert.True(exit == 0, stderr);
        Assert.Equal("SHOUT THIS\n", stdout);
        await server.WaitForExitAsync();
    }

    [Fact]
    public async Task Listen_serves_a_socat_client()
    {
        var socat = Peers.Require("socat");
        var (listener, address) = await SockitCli.ListenAsync("127.0.0.1:0");
        await using var _ = listener;
        await listener.WriteAsync("from sockit\n");
        listener.CloseStdin();

        await using var client = ChildProcess.Start(socat, ["-t", "5", "-", $"TCP:{address}"]);
        await client.WriteAsync("from socat\n");
        client.CloseStdin();

        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Equal("from sockit\n", await client.ReadStdoutTextAsync());
        Assert.Equal(0, await listener.WaitForExitAsync());
        Assert.Equal("from socat\n", await listener.ReadStdoutTextAsync());
    }

    /// <summary>The webinar's classic: a Python client does socket(), connect(), sendall(), shutdown(), recv() against sockit listen.</summary>
    [Fact]
    public async Task Python_socket_client_talks_to_listen()
    {
        var python = Peers.Require("python3");
        var (listener, address) = await SockitCli.ListenAsync("127.0.0.1:0");
        await using var _ = listener;
        await listener.WriteAsync("Hello, client!");
        listener.CloseStdin();
        var port = address.Split(':')[^1];

        await using var client = ChildProcess.Start(python, ["-c", PythonScripts.Client, "127.0.0.1", port, "Hello, server!"]);
        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Equal("Hello, client!", await client.ReadStdoutTextAsync());
        Assert.Equal(0, await listener.WaitForExitAsync());
        Assert.Equal("Hello, server!", await listener.ReadStdoutTextAsync());
    }

    /// <summary>And the other way: a Python server does socket(), bind(), listen(), accept(), recv() until EOF, sendall().</summary>
    [Fact]
    public async Task Connect_talks_to_python_socket_server()
    {
        var python = Peers.Require("python3");
        await using var server = ChildProcess.Start(python, ["-c", PythonScripts.Server, "reply-after-eof"]);
        var port = (await server.WaitForStderrAsync(l => l.StartsWith("port ", StringComparison.Ordinal)))[5..];

        var (exit, stdout, stderr) = await SockitCli.RunAsync("Hello, server!", "connect", $"127.0.0.1:{port}");

        Assert.True(exit == 0, stderr);
        Assert.Equal("got 14 bytes: Hello, server!", stdout);
        Assert.Equal(0, await server.WaitForExitAsync());
    }
}
