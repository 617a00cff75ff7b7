using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>
/// What nc and ss users type works on sockit too: each habit is run through nc or ss and through sockit on the same input,
/// and the outcomes (exit code, what the peer received, what is listed) must agree.
/// </summary>
public sealed class HabitTests
{
    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Runs a client process against a fresh loopback TCP listener; returns its exit code and what the listener read to EOF.</summary>
    private static async Task<(int Exit, string Received)> SendToTcpAsync(string file, Func<int, string[]> arguments, IPAddress? address = null)
    {
        using var listener = new TcpListener(address ?? IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var client = ChildProcess.Start(file, arguments(port));
        await client.WriteAsync("hello\n");
        client.CloseStdin();
        var received = await ReadToEndAsync(await listener.AcceptSocketAsync());
        return (await client.WaitForExitAsync(), received);
    }

    /// <summary>Reads to the client's EOF, then closes: nc -N waits for the peer to close before it exits.</summary>
    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var _ = socket;
        var all = new List<byte>();
        var buffer = new byte[4096];
        int n;
        while ((n = await socket.ReceiveAsync(buffer)) > 0) all.AddRange(buffer[..n]);
        return Encoding.UTF8.GetString([.. all]);
    }

    private static string[] Sockit(params string[] arguments) => [SockitCli.Dll, .. arguments];

    [Fact]
    public async Task Host_and_port_as_two_words_with_N()
    {
        var nc = Peers.Require("nc");
        var byNc = await SendToTcpAsync(nc, port => ["-N", "127.0.0.1", Text(port)]);
        var bySockit = await SendToTcpAsync("dotnet", port => Sockit("connect", "-N", "127.0.0.1", Text(port)));
        Assert.Equal((0, "hello\n"), byNc);
        Assert.Equal(byNc, bySockit);
    }

    /// <summary>nc takes its options after HOST PORT too (getopt permutes): -q SECONDS there, and after HOST:PORT, is our -q.</summary>
    [Fact]
    public async Task Q_with_seconds_after_the_host_and_port()
    {
        var nc = Peers.Require("nc");
        var byNc = await SendToTcpAsync(nc, port => ["127.0.0.1", Text(port), "-q", "0"]);
        var bySockit = await SendToTcpAsync("dotnet", port => Sockit("connect", "127.0.0.1", Text(port), "-q", "1"));
        var joined = await SendToTcpAsync("dotnet", port => Sockit("connect", $"127.0.0.1:{port}", "-q", "0"));
        // A number after -q that may still be the port is the port: nothing positional follows it, the endpoint wants one.
        var portLast = await SendToTcpAsync("dotnet", port => Sockit("connect", "127.0.0.1", "-q", Text(port), "-v"));
        var v6PortLast = await SendToTcpAsync("dotnet", port => Sockit("connect", "::1", "-q", Text(port)), IPAddress.IPv6Loopback);
        Assert.Equal((0, "hello\n"), byNc);
        Assert.All([bySockit, joined, portLast, v6PortLast], outcome => Assert.Equal(byNc, outcome));
    }

    [Fact]
    public async Task U_sends_a_datagram()
    {
        var nc = Peers.Require("nc");
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = Text(((IPEndPoint)receiver.LocalEndPoint!).Port);
        async Task<(int, string)> Run(string file, string[] arguments)
        {
            await using var client = ChildProcess.Start(file, arguments);
            await client.WriteAsync("hello\n");
            client.CloseStdin();
            var buffer = new byte[100];
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var n = await receiver.ReceiveAsync(buffer, wait.Token);
            return (await client.WaitForExitAsync(), Encoding.UTF8.GetString(buffer, 0, n));
        }

        var byNc = await Run(nc, ["-u", "-q", "0", "127.0.0.1", port]);
        var bySockit = await Run("dotnet", Sockit("connect", "-u", "-q", "0", "127.0.0.1", port));
        Assert.Equal((0, "hello\n"), byNc);
        Assert.Equal(byNc, bySockit);
    }

    [Fact]
    public async Task Capital_U_connects_to_a_unix_socket()
    {
        var nc = Peers.Require("nc");
        async Task<(int, string)> Run(string file, Func<string, string[]> arguments)
        {
            var path = TempPath.Socket();
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen();
            await using var client = ChildProcess.Start(file, arguments(path));
            await client.WriteAsync("hello\n");
            client.CloseStdin();
            var received = await ReadToEndAsync(await listener.AcceptAsync());
            return (await client.WaitForExitAsync(), received);
        }

        var byNc = await Run(nc, path => ["-N", "-U", path]);
        var bySockit = await Run("dotnet", path => Sockit("connect", "-N", "-U", path));
        Assert.Equal((0, "hello\n"), byNc);
        Assert.Equal(byNc, bySockit);
    }

    [Fact]
    public async Task L_and_p_listen_on_the_port()
    {
        var nc = Peers.Require("nc");
        async Task<(int, string)> Run(string file, Func<int, string[]> arguments)
        {
            var port = Ports.Free();
            await using var server = ChildProcess.Start(file, arguments(port));
            server.CloseStdin();
            await Ports.WaitForTcpListenerAsync(port);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(IPAddress.Loopback, port);
            await client.SendAsync(Encoding.UTF8.GetBytes("hello\n"));
            client.Shutdown(SocketShutdown.Send);
            var exit = await server.WaitForExitAsync();
            return (exit, await server.ReadStdoutTextAsync());
        }

        var byNc = await Run(nc, port => ["-l", "-p", Text(port)]);
        var bySockit = await Run("dotnet", port => Sockit("listen", "-l", "-p", Text(port)));
        Assert.Equal((0, "hello\n"), byNc);
        Assert.Equal(byNc, bySockit);
    }

    [Fact]
    public async Task Z_exits_0_when_open_and_1_when_closed()
    {
        var nc = Peers.Require("nc");
        using var open = new TcpListener(IPAddress.Loopback, 0);
        open.Start();
        var openPort = Text(((IPEndPoint)open.LocalEndpoint).Port);
        var closedPort = Text(Ports.Free());
        foreach (var port in new[] { openPort, closedPort })
        {
            var (byNc, _, _) = await RunAsync(nc, "-z", "127.0.0.1", port);
            var (bySockit, _, connectStderr) = await RunAsync("dotnet", Sockit("connect", "-z", "127.0.0.1", port));
            var (byScan, _, _) = await RunAsync("dotnet", Sockit("scan", "-zv", "127.0.0.1", port));
            Assert.Equal(port == openPort ? 0 : 1, byNc);
            Assert.True(byNc == bySockit, connectStderr);
            Assert.Equal(byNc, byScan);
        }
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string file, params string[] arguments)
    {
        await using var process = ChildProcess.Start(file, arguments);
        process.CloseStdin();
        var exit = await process.WaitForExitAsync();
        return (exit, await process.ReadStdoutTextAsync(), process.Stderr);
    }

    [Fact]
    public async Task Ls_takes_ss_letters_combined()
    {
        var ss = Peers.Require("ss");
        using var tcp = new TcpListener(IPAddress.Loopback, 0);
        tcp.Start();
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var pid = Text(Environment.ProcessId);
        string[] ours = [$"127.0.0.1:{((IPEndPoint)tcp.LocalEndpoint).Port}", $"127.0.0.1:{((IPEndPoint)udp.LocalEndPoint!).Port}"];

        // Each tool's lines for this test's two sockets, reduced to what both show: kind, local address, owning pid.
        static List<string> Mine(string output, string[] addresses, Func<string, string, bool> isOurs) =>
            [.. output.Split('\n').SelectMany(line => addresses.Where(a => line.Contains(a + " ", StringComparison.Ordinal) && isOurs(line, a))
                .Select(a => $"{line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0][..3]} {a}")).Order(StringComparer.Ordinal)];

        var (ssExit, ssOut, _) = await RunAsync(ss, "-tulpn");
        var (exit, lsOut, stderr) = await RunAsync("dotnet", Sockit("ls", "-tulpn"));
        Assert.Equal(0, ssExit);
        Assert.True(exit == 0, stderr);
        var bySs = Mine(ssOut, ours, (line, _) => line.Contains($"pid={pid},", StringComparison.Ordinal));
        var byLs = Mine(lsOut, ours, (line, _) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(pid));
        Assert.Equal(["tcp " + ours[0], "udp " + ours[1]], bySs);
        Assert.Equal(bySs, byLs);
    }

    [Theory]
    [InlineData("nc's -l is 'sockit listen' here", "connect", "-l", "9000")]
    [InlineData("nc's -p (the source port) has no counterpart", "connect", "-p", "9000", "127.0.0.1", "80")]
    [InlineData("nc's -z is 'sockit scan HOST PORTS' here", "listen", "-z", ":9000")]
    [InlineData("ss's -r (resolve names) is not offered", "ls", "-tr")]
    public async Task A_habit_we_cannot_honour_is_named_with_our_spelling(string expected, params string[] arguments)
    {
        var (exit, _, stderr) = await SockitCli.RunAsync("", arguments);
        Assert.Equal(2, exit);
        Assert.Equal($"sockit: {expected}", stderr.Trim()[..(expected.Length + 8)]);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
