using System.Diagnostics;
using Sockit.Endpoints;
using Sockit.Proxies;
using Sockit.Proxies.Faults;
using Sockit.Servers;
using Sockit.Transport;

namespace Sockit.Samples;

/// <summary>A proxy between the code under test and its dependency, to make the network slow or take it away.</summary>
public sealed class ProxySample
{
    [Fact]
    public async Task Latency_slows_replies_and_a_disabled_proxy_refuses()
    {
        var token = TestContext.Current.CancellationToken;
        await using var dependency = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), cancellationToken: token);
        await using var proxy = await Proxy.StartAsync("dependency", Endpoint.Parse("127.0.0.1:0"), dependency.LocalEndpoint, cancellationToken: token);
        proxy.Faults.Add(Toxic.Create("latency", attributes: [new("latency", 200)]));

        await using (var client = await Dialer.ConnectAsync(proxy.Listen, cancellationToken: token))
        {
            var started = Stopwatch.GetTimestamp();
            await client.SendAsync("ping"u8.ToArray(), token);
            var reply = new byte[4];
            for (var read = 0; read < reply.Length;) read += await client.ReceiveAsync(reply.AsMemory(read), token);
            Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(200));
        }

        await proxy.DisableAsync(); // the dependency is "down": new connections are refused
        var refused = await Assert.ThrowsAsync<SockitException>(() => Dialer.ConnectAsync(proxy.Listen, cancellationToken: token));
        Assert.Equal(SockitError.ConnectionRefused, refused.Error);
    }
}
