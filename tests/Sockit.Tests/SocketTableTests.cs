using Sockit.Endpoints;
using Sockit.Inspection;
using Sockit.Transport;

namespace Sockit.Tests;

public sealed class SocketTableTests
{
    [Fact]
    public async Task Sees_this_process_listeners_with_owner()
    {
        var token = TestContext.Current.CancellationToken;
        await using var tcp = await Listener.StartAsync(Endpoint.Parse("[::1]:0"), cancellationToken: token);
        var path = $"/tmp/sockit-table-{Guid.NewGuid():N}.sock";
        await using var unix = await Listener.StartAsync(Endpoint.ForUnix(path), cancellationToken: token);

        var snapshot = SocketTable.Read(new SocketQuery { Listening = true, Pid = Environment.ProcessId });

        var v6 = Assert.Single(snapshot.Sockets, s => s.Kind == SocketKind.Tcp && s.LocalPort == tcp.LocalEndpoint.Port);
        Assert.Equal(("ipv6", "listen", "::1", "[::1]:" + tcp.LocalEndpoint.Port, "*"), (v6.Family, v6.State, v6.LocalAddress, v6.Local, v6.Remote));
        Assert.Equal(Environment.ProcessId, v6.Pid);
        var socketFile = Assert.Single(snapshot.Sockets, s => s.Kind == SocketKind.UnixStream && s.LocalAddress == path);
        Assert.True(SocketTable.IsListening(socketFile));
    }

    [Fact]
    public async Task Netlink_and_proc_tables_agree()
    {
        await using var tcp = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), cancellationToken: TestContext.Current.CancellationToken);
        var viaNetlink = new List<SocketEntry>();
        Assert.True(NetlinkDiag.TryReadInet(SocketKind.Tcp, "ipv4", viaNetlink, []), "netlink sock_diag should work on Linux");
        var mine = Assert.Single(viaNetlink, s => s.LocalPort == tcp.LocalEndpoint.Port);
        Assert.Equal(("listen", "127.0.0.1", 512L), (mine.State, mine.LocalAddress, mine.SendQueue)); // backlog as ss shows it
        var unix = new List<SocketEntry>();
        Assert.True(NetlinkDiag.TryReadUnix(new HashSet<SocketKind>(), unix));
        Assert.NotEmpty(unix);
    }

    [Fact]
    public void Port_lists_parse_ranges_and_reject_nonsense()
    {
        Assert.Equal([22, 80, 81, 82, 443], PortScanner.ParsePorts("443,80-82, 22,81"));
        Assert.True(Assert.Throws<SockitException>(() => PortScanner.ParsePorts("70000")).IsUsageError);
    }
}
