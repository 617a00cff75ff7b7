using System.Text;
using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Proxies;
using Sockit.Proxies.Faults;
using Sockit.Servers;
using Sockit.Transport;

namespace Sockit.Tests;

/// <summary>The UDP proxy: a session per client address, datagrams kept whole, idle sessions ended, and the datagram faults.</summary>
public sealed class DatagramProxyTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task<(TestServer Echo, Proxy Proxy)> StartAsync(ProxyOptions? options = null, ServerOptions? server = null, params string[] toxics)
    {
        var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("udp://127.0.0.1:0"), cancellationToken: Token);
        var proxy = await Proxy.StartAsync("udp", Endpoint.Parse("udp://127.0.0.1:0"), echo.LocalEndpoint, serverOptions: server,
            proxyOptions: (options ?? new ProxyOptions()) with { Faults = new FaultSet(toxics.SelectMany(Toxic.Parse)) }, cancellationToken: Token);
        return (echo, proxy);
    }

    private static async Task<string> ReceiveTextAsync(DatagramChannel channel)
    {
        var buffer = new byte[70000];
        return Encoding.UTF8.GetString(buffer, 0, await channel.ReceiveAsync(buffer, Token));
    }

    /// <summary>
    /// Everything that arrives until a marker, sent once the proxy has decided on <paramref name="count"/> datagrams of
    /// <paramref name="stream"/> and the toxics are gone (datagrams on loopback keep their order).
    /// </summary>
    private static async Task<List<string>> DrainUntilMarkerAsync(DatagramChannel client, Proxy proxy, ToxicStream stream, int count)
    {
        var relay = (DatagramRelay)proxy.Runner!;
        while (relay.Handled(stream) < count) await Task.Yield();
        proxy.Faults.Clear();
        await client.SendAsync("end"u8.ToArray(), Token);
        var seen = new List<string>();
        string text;
        while ((text = await ReceiveTextAsync(client)) != "end") seen.Add(text);
        return seen;
    }

    [Fact]
    public async Task Two_clients_get_their_own_replies_and_datagrams_stay_whole()
    {
        var (echo, proxy) = await StartAsync();
        await using var _ = echo;
        await using var __ = proxy;
        await using var one = await DatagramChannel.ConnectAsync(proxy.Listen, cancellationToken: Token);
        await using var two = await DatagramChannel.ConnectAsync(proxy.Listen, cancellationToken: Token);
        var big = new string('x', 60000);
        await one.SendAsync(Encoding.UTF8.GetBytes("from one"), Token);
        await two.SendAsync(Encoding.UTF8.GetBytes(big), Token);
        Assert.Equal("from one", await ReceiveTextAsync(one));
        Assert.Equal(big, await ReceiveTextAsync(two));
    }

    [Fact]
    public async Task An_idle_session_is_ended_and_logged()
    {
        var ended = new TaskCompletionSource<ConnectionRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (echo, proxy) = await StartAsync(new ProxyOptions { DatagramIdleTimeout = TimeSpan.FromMilliseconds(200) },
            new ServerOptions { OnConnection = r => ended.TrySetResult(r) });
        await using var _ = echo;
        await using var __ = proxy;
        await using var client = await DatagramChannel.ConnectAsync(proxy.Listen, cancellationToken: Token);
        await client.SendAsync("once"u8.ToArray(), Token);
        Assert.Equal("once", await ReceiveTextAsync(client));
        var record = await ended.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
        Assert.StartsWith("ended after 200ms idle", record.Outcome, StringComparison.Ordinal);
        Assert.Equal((4, 4), (record.BytesReceived, record.BytesSent));
        Assert.True(record.Duration >= TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Loss_drops_about_the_asked_share()
    {
        var (echo, proxy) = await StartAsync(null, null, "loss:probability=50,stream=upstream");
        await using var _ = echo;
        await using var __ = proxy;
        await using var client = await DatagramChannel.ConnectAsync(proxy.Listen, cancellationToken: Token);
        for (var i = 0; i < 200; i++) await client.SendAsync(Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Token);
        var seen = await DrainUntilMarkerAsync(client, proxy, ToxicStream.Upstream, 200);
        Assert.InRange(seen.Count, 60, 140); // binomial(200, 0.5): outside this about once in a hundred million runs
        Assert.Equal(seen.Order(StringComparer.Ordinal), seen.Distinct().Order(StringComparer.Ordinal)); // none doubled
    }

    [Fact]
    public async Task Duplicate_sends_each_datagram_twice()
    {
        var (echo, proxy) = await StartAsync(null, null, "duplicate:probability=100,stream=downstream");
        await using var _ = echo;
        await using var __ = proxy;
        await using var client = await DatagramChannel.ConnectAsync(proxy.Listen, cancellationToken: Token);
        for (var i = 0; i < 10; i++) await client.SendAsync(Encoding.UTF8.GetBytes($"d{i}"), Token);
        var seen = await DrainUntilMarkerAsync(client, proxy, ToxicStream.Downstream, 10);
        Assert.Equal(Enumerable.Range(0, 10).SelectMany(i => new[] { $"d{i}", $"d{i}" }), seen.Order(StringComparer.Ordinal).OrderBy(s => int.Parse(s[1..], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Reorder_lets_later_datagrams_overtake_and_loses_none()
    {
        var (echo, proxy) = await StartAsync(null, null, "reorder:probability=50,delay=50,stream=upstream");
        await using var _ = echo;
        await using var __ = proxy;
        await using var client = await DatagramChannel.ConnectAsync(proxy.Listen, cancellationToken: Token);
        var sent = Enumerable.Range(0, 20).Select(i => $"r{i:00}").ToList();
        foreach (var text in sent) await client.SendAsync(Encoding.UTF8.GetBytes(text), Token);
        var seen = new List<string>();
        while (seen.Count < sent.Count) seen.Add(await ReceiveTextAsync(client));
        Assert.Equal(sent, seen.Order(StringComparer.Ordinal));
        Assert.NotEqual(sent, seen); // all 20 in order would need every held-back one to be a tail: about 1 in 50,000
    }

    [Fact]
    public async Task Toxics_that_need_a_stream_are_refused_on_a_udp_proxy_and_the_other_way_round()
    {
        var (echo, proxy) = await StartAsync();
        await using var _ = echo;
        await using var __ = proxy;
        var error = Assert.Throws<SockitException>(() => proxy.Faults.Add(Toxic.Create("limit_data")));
        Assert.Contains("limit_data acts on byte streams; this proxy relays datagrams", error.Message, StringComparison.Ordinal);
        var tcp = await Assert.ThrowsAsync<SockitException>(() => Proxy.StartAsync("tcp", Endpoint.Parse("127.0.0.1:0"), Endpoint.Parse("127.0.0.1:9"),
            proxyOptions: new ProxyOptions { Faults = new FaultSet([Toxic.Create("loss")]) }, cancellationToken: Token));
        Assert.Contains("loss acts on datagrams", tcp.Message, StringComparison.Ordinal);
        var mixed = await Assert.ThrowsAsync<SockitException>(() => Proxy.StartAsync("mixed", Endpoint.Parse("udp://127.0.0.1:0"), Endpoint.Parse("127.0.0.1:9"), cancellationToken: Token));
        Assert.Contains("a proxy relays a stream to a stream (TCP, unix://) or UDP to UDP", mixed.Message, StringComparison.Ordinal);
    }
}
