using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Proxies;
using Sockit.Servers;
using Sockit.Servers.Http;
using Sockit.Transport;

namespace Sockit.Tests;

/// <summary>echo, discard, chargen and daytime over every transport, and the host's limits.</summary>
public sealed class ServerTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public static TheoryData<string> StreamEndpoints => new() { "127.0.0.1:0", "[::1]:0", $"unix:///tmp/sockit-srv-{Guid.NewGuid():N}.sock" };

    public static TheoryData<string> DatagramEndpoints => new() { "udp://127.0.0.1:0", $"unixgram:///tmp/sockit-srv-{Guid.NewGuid():N}.sock" };

    [Theory]
    [MemberData(nameof(StreamEndpoints))]
    public async Task Echo_returns_every_byte_in_order(string endpoint)
    {
        await using var server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse(endpoint), cancellationToken: Token);
        await using var client = await Dialer.ConnectAsync(server.LocalEndpoint, cancellationToken: Token);
        var data = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        var sending = client.SendAndShutdownAsync(data);
        var back = await client.ReadToEndAsync();
        await sending;
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(back));
    }

    /// <summary>
    /// A client that sends without reading: once the echo it is not reading fills the buffers, the server stops reading
    /// too (its receive queue fills and our send stalls) instead of holding ever more in memory; reading resumes it all.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Echo_stops_reading_from_a_client_that_does_not_read(bool traced)
    {
        using var tracer = traced ? new Sockit.Tracing.TextSocketTracer(TextWriter.Null) : null; // traced servers take the async path
        await using var server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), new ServerOptions { Tracer = tracer }, Token);
        await using var client = await Dialer.ConnectAsync(server.LocalEndpoint, cancellationToken: Token);
        var data = RandomNumberGenerator.GetBytes(64 * 1024 * 1024);
        var sending = client.SendAndShutdownAsync(data);
        // Until both of the client's queues are full: the server holds its echo back and has stopped reading (its
        // receive queue fills), so the client cannot send (its send queue fills). A server that buffered the echo would
        // drain its receive queue and let the whole 64 MiB go out. How far each queue fills depends on the kernel's
        // buffer sizes, so the bar is low; the wait is bounded, so a server that never stalls fails instead of hanging.
        var port = client.LocalEndpoint.Port;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var stalled = false;
        while (!sending.IsCompleted && DateTime.UtcNow < deadline && !(stalled = BothQueuesFull(server.LocalEndpoint.Port, port)))
            await Task.Yield();
        Assert.False(sending.IsCompleted, "64 MiB went out though nobody read the echo: the server buffered it");
        Assert.True(stalled, "in 30 s the queues between client and server never filled");
        var back = await client.ReadToEndAsync();
        await sending;
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(back));
    }

    private static bool BothQueuesFull(int serverPort, int clientPort)
    {
        var sockets = Sockit.Inspection.SocketTable.Read(new Sockit.Inspection.SocketQuery { Port = serverPort }).Sockets;
        return sockets.Any(s => s.LocalPort == serverPort && s.RemotePort == clientPort && s.ReceiveQueue >= 64 * 1024)
            && sockets.Any(s => s.LocalPort == clientPort && s.SendQueue >= 64 * 1024);
    }

    [Theory]
    [MemberData(nameof(DatagramEndpoints))]
    public async Task Echo_and_daytime_and_chargen_answer_datagrams(string endpoint)
    {
        var buffer = new byte[1024];
        await using (var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse(endpoint), cancellationToken: Token))
        await using (var client = await DatagramChannel.ConnectAsync(echo.LocalEndpoint, cancellationToken: Token))
        {
            await client.SendAsync("ping"u8.ToArray(), Token);
            Assert.Equal("ping", Encoding.ASCII.GetString(buffer, 0, await client.ReceiveAsync(buffer, Token)));
        }
        await using (var daytime = await TestServer.StartAsync(ServerKind.Daytime, Endpoint.Parse(endpoint), cancellationToken: Token))
        await using (var client = await DatagramChannel.ConnectAsync(daytime.LocalEndpoint, cancellationToken: Token))
        {
            await client.SendAsync("?"u8.ToArray(), Token);
            Assert.Matches(@"^\w+day, \w+ \d+, \d{4} \d\d:\d\d:\d\d [+-]\d\d:\d\d\r\n$", Encoding.ASCII.GetString(buffer, 0, await client.ReceiveAsync(buffer, Token)));
        }
        await using (var chargen = await TestServer.StartAsync(ServerKind.Chargen, Endpoint.Parse(endpoint), cancellationToken: Token))
        await using (var client = await DatagramChannel.ConnectAsync(chargen.LocalEndpoint, cancellationToken: Token))
        {
            await client.SendAsync("?"u8.ToArray(), Token);
            var n = await client.ReceiveAsync(buffer, Token);
            Assert.InRange(n, 0, 512);
            Assert.All(buffer.Take(n), b => Assert.True(b is >= 0x20 and < 0x7f || b is (byte)'\r' or (byte)'\n'));
        }
    }

    [Fact]
    public async Task Discard_reads_everything_and_says_nothing()
    {
        var server = await TestServer.StartAsync(ServerKind.Discard, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        await using (var client = await Dialer.ConnectAsync(server.LocalEndpoint, cancellationToken: Token))
        {
            await client.SendAsync(new byte[3_000_000], Token);
            client.ShutdownSend();
            Assert.Equal(0, await client.ReceiveAsync(new byte[16], Token)); // no reply, then an orderly close
        }
        var summary = await server.StopAsync(Token);
        Assert.Equal(3_000_000, summary.BytesReceived);
        Assert.Equal(0, summary.BytesSent);
    }

    [Fact]
    public async Task Chargen_sends_rotating_72_character_lines()
    {
        await using var server = await TestServer.StartAsync(ServerKind.Chargen, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        await using var client = await Dialer.ConnectAsync(server.LocalEndpoint, cancellationToken: Token);
        var received = new byte[74 * 100];
        for (var filled = 0; filled < received.Length;)
            filled += await client.ReceiveAsync(received.AsMemory(filled), Token);
        var lines = Encoding.ASCII.GetString(received).Split("\r\n");
        Assert.Equal(new string(Enumerable.Range(0, 72).Select(i => (char)(' ' + i)).ToArray()), lines[0]);
        Assert.Equal(new string(Enumerable.Range(1, 72).Select(i => (char)(' ' + i)).ToArray()), lines[1]);
        Assert.Equal(lines[0], lines[95]); // the pattern repeats every 95 lines
    }

    [Fact]
    public async Task Daytime_sends_one_line_and_closes()
    {
        await using var server = await TestServer.StartAsync(ServerKind.Daytime, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        await using var client = await Dialer.ConnectAsync(server.LocalEndpoint, cancellationToken: Token);
        Assert.EndsWith("\r\n", Encoding.ASCII.GetString(await client.ReadToEndAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Denied_clients_are_reset_and_counted()
    {
        var server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"),
            new ServerOptions { Policy = AccessPolicy.Parse(["127.0.0.2/32"], []) }, Token);
        var ex = await Assert.ThrowsAsync<SockitException>(async () =>
        {
            // The reset may land while connecting or on the first read, depending on timing: both are the clear answer.
            await using var client = await Dialer.ConnectAsync(server.LocalEndpoint, cancellationToken: Token);
            await client.ReceiveAsync(new byte[1], Token);
        });
        Assert.Equal(SockitError.ConnectionReset, ex.Error);
        Assert.Equal(1, (await server.StopAsync(Token)).Rejected);
    }

    [Fact]
    public async Task Over_the_per_client_limit_a_connection_is_reset_and_counted()
    {
        await using var server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), new ServerOptions { MaxConnectionsPerClient = 2 }, Token);
        await using var first = await Dialer.ConnectAsync(server.LocalEndpoint, cancellationToken: Token);
        await using var second = await Dialer.ConnectAsync(server.LocalEndpoint, cancellationToken: Token);
        foreach (var client in (Connection[])[first, second])
        {
            await client.SendAsync("x"u8.ToArray(), Token);
            Assert.Equal(1, await client.ReceiveAsync(new byte[1], Token)); // both served: the host has counted them
        }
        var ex = await Assert.ThrowsAsync<SockitException>(async () =>
        {
            // The reset may land while connecting or on the first read, depending on timing: both are the clear answer.
            await using var third = await Dialer.ConnectAsync(server.LocalEndpoint, cancellationToken: Token);
            await third.ReceiveAsync(new byte[1], Token);
        });
        Assert.Equal(SockitError.ConnectionReset, ex.Error);
        second.Dispose(); // a slot frees (once the server has seen the close): the address may connect again
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (server.OpenConnections > 1 && DateTime.UtcNow < deadline) await Task.Delay(5, Token);
        await using var fourth = await Dialer.ConnectAsync(server.LocalEndpoint, cancellationToken: Token);
        await fourth.SendAsync("y"u8.ToArray(), Token);
        Assert.Equal(1, await fourth.ReceiveAsync(new byte[1], Token));
        var summary = await server.StopAsync(Token);
        Assert.Equal(1, summary.Rejected);
        Assert.Equal(1, summary.Limits[HostLimit.PerClient]);
    }

    [Fact]
    public async Task A_connection_idle_past_the_timeout_is_closed_and_counted_while_a_busy_one_stays()
    {
        var records = new List<ConnectionRecord>();
        var server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"),
            new ServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(400), OnConnection = r => { lock (records) records.Add(r); } }, Token);
        await using var idle = await Dialer.ConnectAsync(server.LocalEndpoint, cancellationToken: Token);
        await using var busy = await Dialer.ConnectAsync(server.LocalEndpoint, cancellationToken: Token);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var closing = idle.ReadToEndAsync(); // EOF when the host closes it
        var buffer = new byte[1];
        while (!closing.IsCompleted)
        {
            // The busy client talks every 100 ms: never idle for the 400 ms the timeout asks.
            await busy.SendAsync("b"u8.ToArray(), Token);
            Assert.Equal(1, await busy.ReceiveAsync(buffer, Token));
            await Task.WhenAny(closing, Task.Delay(100, Token));
        }
        Assert.Empty(await closing);
        Assert.InRange(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, 350, 5000);
        await busy.SendAsync("c"u8.ToArray(), Token);
        Assert.Equal(1, await busy.ReceiveAsync(buffer, Token)); // still served
        var summary = await server.StopAsync(Token);
        Assert.Equal(1, summary.Limits[HostLimit.Idle]);
        lock (records) Assert.Contains(records, r => r.Outcome.StartsWith("closed idle after 400ms", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stop_removes_the_unix_socket_file_and_cuts_what_outlives_the_drain()
    {
        var path = $"/tmp/sockit-srv-{Guid.NewGuid():N}.sock";
        var server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.ForUnix(path), new ServerOptions { Drain = TimeSpan.FromMilliseconds(200) }, Token);
        await using var client = await Dialer.ConnectAsync(server.LocalEndpoint, cancellationToken: Token);
        await client.SendAsync("x"u8.ToArray(), Token);
        Assert.Equal(1, await client.ReceiveAsync(new byte[1], Token));
        var summary = await server.StopAsync(Token); // the client never closes: it is cut after 200 ms
        Assert.Equal(1, summary.Connections);
        Assert.Equal(0, server.OpenConnections);
        Assert.False(File.Exists(path));
        Assert.Equal(0, await client.ReceiveAsync(new byte[1], Token));
    }

    [Fact]
    public async Task Http_echo_refuses_datagram_endpoints_with_a_usage_error()
    {
        var ex = await Assert.ThrowsAsync<SockitException>(() => TestServer.StartAsync(ServerKind.HttpEcho, Endpoint.Parse("udp://127.0.0.1:0"), cancellationToken: Token));
        Assert.True(ex.IsUsageError);
    }

    /// <summary>
    /// Thousands of mutated requests (bytes flipped, inserted, dropped, cut short, or the connection reset half way)
    /// must not crash the server or stall it: a good request still gets a correct answer afterwards.
    /// </summary>
    [Fact]
    public async Task Http_echo_survives_thousands_of_mutated_requests()
    {
        await using var server = await TestServer.StartAsync(ServerKind.HttpEcho, Endpoint.Parse("127.0.0.1:0"),
            new ServerOptions { Http = new HttpEchoOptions { HeaderTimeout = TimeSpan.FromMilliseconds(500), KeepAliveTimeout = TimeSpan.FromMilliseconds(500) } }, Token);
        var seeds = new[]
        {
            "GET /a?status=404&header=X-A:b HTTP/1.1\r\nHost: h\r\nAccept: application/json\r\n\r\n",
            "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world",
            "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        }.Select(Encoding.ASCII.GetBytes).ToArray();
        var random = new Random(20261123); // fixed seed: a failure can be replayed
        var cases = Enumerable.Range(0, 2000).Select(_ => Mutate(seeds[random.Next(seeds.Length)], random)).ToArray();

        using var gate = new SemaphoreSlim(64);
        await Task.WhenAll(cases.Select(async (bytes, i) =>
        {
            await gate.WaitAsync(Token);
            try
            {
                using var socket = await RawHttp.ConnectAsync(server.LocalEndpoint);
                await socket.SendAsync(bytes, SocketFlags.None, Token);
                if (i % 5 == 0)
                {
                    socket.LingerState = new LingerOption(true, 0); // reset half way
                    return;
                }
                socket.Shutdown(SocketShutdown.Send);
                await RawHttp.ReadToCloseAsync(socket, TimeSpan.FromSeconds(10)); // the server answers or closes, never hangs
            }
            finally
            {
                gate.Release();
            }
        }));

        var good = await RawHttp.ExchangeAsync(server.LocalEndpoint, "GET /still-alive HTTP/1.1\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK", good, StringComparison.Ordinal);
        Assert.Contains("Request Target: /still-alive", good, StringComparison.Ordinal);
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = seed.ToList();
        for (var edits = random.Next(1, 6); edits > 0 && bytes.Count > 0; edits--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes.Insert(at, (byte)random.Next(256)); break;
                case 2: bytes.RemoveAt(at); break;
                case 3: bytes.RemoveRange(at, bytes.Count - at); break;
                default: bytes.InsertRange(at, Enumerable.Repeat((byte)"\r\n:; 0123456789abcdef"[random.Next(20)], random.Next(1, 200))); break;
            }
        }
        return [.. bytes];
    }

    /// <summary>1,000 idle connections, a slowloris client and a reset storm at once, while a normal client keeps being answered.</summary>
    [Fact]
    public async Task Http_echo_keeps_answering_under_idle_slowloris_and_reset_storm()
    {
        await using var server = await TestServer.StartAsync(ServerKind.HttpEcho, Endpoint.Parse("127.0.0.1:0"),
            new ServerOptions { MaxConnections = 2000, Http = new HttpEchoOptions { HeaderTimeout = TimeSpan.FromSeconds(1) } }, Token);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);

        var idle = new List<Socket>();
        for (var i = 0; i < 1000; i++) idle.Add(await RawHttp.ConnectAsync(server.LocalEndpoint));

        var slowloris = Task.Run(async () =>
        {
            using var socket = await RawHttp.ConnectAsync(server.LocalEndpoint);
            var request = "GET / HTTP/1.1\r\nHost: slow\r\nX-Drip: "u8.ToArray();
            try
            {
                foreach (var b in request.Concat(Enumerable.Repeat((byte)'a', 1000)))
                {
                    await socket.SendAsync(new[] { b }, SocketFlags.None, stop.Token);
                    await Task.Delay(20, stop.Token); // the slow client's pace, not a synchronisation
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                // Cut off by the header timeout (408): the point.
            }
        }, Token);

        var storm = Task.Run(async () =>
        {
            for (var i = 0; i < 300 && !stop.IsCancellationRequested; i++)
            {
                using var socket = await RawHttp.ConnectAsync(server.LocalEndpoint);
                await socket.SendAsync("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nhalf"u8.ToArray(), SocketFlags.None, stop.Token);
                socket.LingerState = new LingerOption(true, 0);
            }
        }, Token);

        for (var i = 0; i < 50; i++)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var response = await RawHttp.ExchangeAsync(server.LocalEndpoint, $"GET /normal/{i} HTTP/1.1\r\nConnection: close\r\n\r\n", TimeSpan.FromSeconds(5));
            Assert.Contains($"Request Target: /normal/{i}\n", response, StringComparison.Ordinal);
            Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(2), "a normal request waited too long");
        }
        await storm;
        await stop.CancelAsync();
        await slowloris;
        Assert.True(server.OpenConnections >= 1000, $"the idle connections should still be open, not dropped ({server.OpenConnections})");
        foreach (var socket in idle) socket.Dispose();
    }
}
