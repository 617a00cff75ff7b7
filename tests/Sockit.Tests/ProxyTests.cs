using System.Security.Cryptography;
using System.Text;
using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Proxies;
using Sockit.Servers;
using Sockit.Transport;

namespace Sockit.Tests;

/// <summary>The relay: byte-exact both ways, half-close and resets passed through, a failed upstream closed cleanly.</summary>
public sealed class ProxyTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> Routes => new()
    {
        { "127.0.0.1:0", "127.0.0.1:0" },
        { "127.0.0.1:0", $"unix:///tmp/sockit-proxy-{Guid.NewGuid():N}.sock" },
        { $"unix:///tmp/sockit-proxy-{Guid.NewGuid():N}.sock", "[::1]:0" },
    };

    /// <summary>
    /// 1 GiB of random bytes each way at once through the proxy and an echo server, hashed as it streams (no GiB held in
    /// memory): the bytes that come back are the bytes that went out, in order.
    /// </summary>
    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Relays_1_GiB_each_way_byte_exact(string front, string back)
    {
        const int chunk = 1 << 20;
        const int chunks = 1024;
        await using var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse(back), cancellationToken: Token);
        await using var proxy = await Proxy.StartAsync("test", Endpoint.Parse(front), echo.LocalEndpoint, cancellationToken: Token);
        await using var client = await Dialer.ConnectAsync(proxy.Listen, cancellationToken: Token);
        var (sent, received, total) = await client.EchoRandomAsync(chunk, chunks);
        Assert.Equal((long)chunk * chunks, total);
        Assert.Equal(sent, received);
    }

    [Fact]
    public async Task Half_close_passes_through_and_the_reply_still_arrives()
    {
        await using var upstream = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var serving = Task.Run(async () =>
        {
            await using var server = await upstream.AcceptAsync(Token);
            var request = await server.ReadToEndAsync(); // only at the client's EOF, passed on by the proxy
            await server.SendAsync(Encoding.UTF8.GetBytes($"got {request.Length} bytes after your EOF"), Token);
        }, Token);
        await using var proxy = await Proxy.StartAsync("test", Endpoint.Parse("127.0.0.1:0"), upstream.LocalEndpoint, cancellationToken: Token);
        await using var client = await Dialer.ConnectAsync(proxy.Listen, cancellationToken: Token);
        await client.SendAndShutdownAsync(new byte[1000]);
        Assert.Equal("got 1000 bytes after your EOF", Encoding.UTF8.GetString(await client.ReadToEndAsync()));
        await serving;
    }

    [Fact]
    public async Task A_reset_from_the_upstream_reaches_the_client_as_a_reset()
    {
        await using var upstream = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var clientHasData = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var serving = Task.Run(async () =>
        {
            var server = await upstream.AcceptAsync(Token);
            await server.SendAsync("partial"u8.ToArray(), Token);
            await clientHasData.Task.WaitAsync(Token); // reset only once the data is through, so the kernel cannot drop it
            server.Reset();
        }, Token);
        await using var proxy = await Proxy.StartAsync("test", Endpoint.Parse("127.0.0.1:0"), upstream.LocalEndpoint, cancellationToken: Token);
        await using var client = await Dialer.ConnectAsync(proxy.Listen, cancellationToken: Token);
        var buffer = new byte[16];
        Assert.Equal(7, await client.ReceiveAsync(buffer, Token));
        clientHasData.SetResult();
        await serving;
        var ex = await Assert.ThrowsAsync<SockitException>(async () => await client.ReceiveAsync(buffer, Token));
        Assert.Equal(SockitError.ConnectionReset, ex.Error);
    }

    /// <summary>
    /// Clients that connect and reset at once, many times over a limit of 20: each must give its slot back, or the proxy
    /// stops accepting and the well-behaved client after them waits forever.
    /// </summary>
    [Fact]
    public async Task A_reset_storm_gives_every_slot_back()
    {
        await using var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        await using var proxy = await Proxy.StartAsync("test", Endpoint.Parse("127.0.0.1:0"), echo.LocalEndpoint,
            serverOptions: new ServerOptions { MaxConnections = 20 }, cancellationToken: Token);
        var target = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, proxy.Listen.Port);
        for (var i = 0; i < 300; i++)
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            await socket.ConnectAsync(target, Token);
            socket.LingerState = new System.Net.Sockets.LingerOption(true, 0); // close() sends RST
        }
        await using var client = await Dialer.ConnectAsync(proxy.Listen, cancellationToken: Token);
        await client.SendAndShutdownAsync("still served"u8.ToArray());
        var reply = await client.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(15), Token);
        Assert.Equal("still served", Encoding.ASCII.GetString(reply));
    }

    /// <summary>
    /// The proxy reads before it dials, as haproxy does: clients that reset while they waited in the backlog (the proxy
    /// held its one slot) cost no upstream connection, while the data a client sent before it was accepted still goes on.
    /// </summary>
    [Fact]
    public async Task Clients_that_reset_in_the_backlog_get_no_upstream_connection()
    {
        await using var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var records = new List<ConnectionRecord>();
        await using var proxy = await Proxy.StartAsync("test", Endpoint.Parse("127.0.0.1:0"), echo.LocalEndpoint,
            serverOptions: new ServerOptions { MaxConnections = 1, OnConnection = r => { lock (records) records.Add(r); } }, cancellationToken: Token);
        var holder = await Dialer.ConnectAsync(proxy.Listen, cancellationToken: Token);
        await holder.SendAsync("held\n"u8.ToArray(), Token);
        Assert.Equal(5, await holder.ReceiveAsync(new byte[16], Token)); // relayed: the proxy's one slot is taken

        var target = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, proxy.Listen.Port);
        for (var i = 0; i < 5; i++)
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            await socket.ConnectAsync(target, Token); // queued by the kernel
            socket.LingerState = new System.Net.Sockets.LingerOption(true, 0); // close() sends RST
        }
        await using var early = await Dialer.ConnectAsync(proxy.Listen, cancellationToken: Token);
        await early.SendAndShutdownAsync("sent while queued"u8.ToArray()); // data and EOF, before it is accepted
        holder.Dispose(); // the slot frees: the five reset clients, then this one, are accepted in turn

        Assert.Equal("sent while queued", Encoding.ASCII.GetString(await early.ReadToEndAsync()));
        var summary = await proxy.StopAsync(Token);
        Assert.Equal(7, summary.Connections);
        var echoed = await echo.StopAsync(Token);
        Assert.Equal(2, echoed.Connections); // the holder's and the last client's: none for the five that reset
        lock (records) Assert.Equal(5, records.Count(r => r.Outcome.StartsWith("reset by the client before the relay began", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_failed_upstream_closes_the_client_cleanly_and_is_logged()
    {
        var records = new List<ConnectionRecord>();
        await using var nothing = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var deadPort = nothing.LocalEndpoint;
        nothing.Dispose(); // the port is free again: connecting there is refused
        var proxy = await Proxy.StartAsync("test", Endpoint.Parse("127.0.0.1:0"), deadPort,
            serverOptions: new ServerOptions { OnConnection = r => { lock (records) records.Add(r); } }, cancellationToken: Token);
        await using (var client = await Dialer.ConnectAsync(proxy.Listen, cancellationToken: Token))
        {
            await client.SendAsync("hello?"u8.ToArray(), Token);
            Assert.Empty(await client.ReadToEndAsync()); // EOF, not a reset
        }
        await proxy.StopAsync(Token);
        Assert.Contains("upstream failed: connection refused", Assert.Single(records).Outcome, StringComparison.Ordinal);
    }

    /// <summary>The library's way to toxiproxy's API: a collection serves it, and it stops with the collection.</summary>
    [Fact]
    public async Task A_collection_serves_toxiproxys_api_until_it_stops()
    {
        await using var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var proxies = new ProxyCollection();
        var proxy = await proxies.AddAsync("db", Endpoint.Parse("127.0.0.1:0"), echo.LocalEndpoint, cancellationToken: Token);
        var api = await proxies.StartApiAsync(Endpoint.Parse("127.0.0.1:0"), Token);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{api}/") };

        var listed = await http.GetStringAsync("proxies", Token);
        Assert.Contains("\"db\"", listed, StringComparison.Ordinal);
        Assert.Contains($"\"upstream\":\"{echo.LocalEndpoint}\"", listed.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        using var toxic = await http.PostAsync("proxies/db/toxics", new StringContent("""{"type":"latency","attributes":{"latency":5}}"""), Token);
        Assert.Equal(System.Net.HttpStatusCode.OK, toxic.StatusCode);
        Assert.Equal("latency", Assert.Single(proxy.Faults.Toxics).Type);

        await proxies.StopAsync(Token);
        await Assert.ThrowsAsync<SockitException>(() => Dialer.ConnectAsync(api, cancellationToken: Token)); // the API went with it
    }
}
