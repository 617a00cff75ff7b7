using HdrHistogram;
using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Load;
using Sockit.Servers;
using Sockit.Transport;

namespace Sockit.Tests;

/// <summary>The load generator against real servers on loopback: every mode, the rate, coordinated omission, errors, merging.</summary>
public sealed class LoadTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static Task<LoadResult> RunAsync(LoadOptions options) => LoadGenerator.RunAsync(options, cancellationToken: Token);

    /// <summary>Over TCP, IPv6 and UDP, all at once or opened gradually.</summary>
    [Theory]
    [InlineData("127.0.0.1:0", null)]
    [InlineData("127.0.0.1:0", 1000.0)]
    [InlineData("[::1]:0", null)]
    [InlineData("udp://127.0.0.1:0", null)]
    public async Task Pingpong_against_an_echo_server_counts_whole_round_trips(string endpoint, double? connectRate)
    {
        await using var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse(endpoint), cancellationToken: Token);
        var result = await RunAsync(new LoadOptions { Target = echo.LocalEndpoint, Connections = 3, Count = 600, Message = new byte[100], ConnectRate = connectRate });
        Assert.Equal(600, result.Requests);
        Assert.Equal((60_000, 60_000), (result.BytesSent, result.BytesReceived));
        Assert.Equal(600, result.Latency.TotalCount);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public async Task Pingpong_with_a_delimiter_reads_line_replies()
    {
        await using var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse($"unix:///tmp/sockit-load-{Guid.NewGuid():N}.sock"), cancellationToken: Token);
        var result = await RunAsync(new LoadOptions { Target = echo.LocalEndpoint, Count = 200, Message = "PING\n"u8.ToArray(), ReplyDelimiter = (byte)'\n' });
        Assert.Equal(200, result.Requests);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public async Task Stream_measures_both_directions_and_a_discard_server_sends_nothing_back()
    {
        await using var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        await using var discard = await TestServer.StartAsync(ServerKind.Discard, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var options = new LoadOptions { Target = echo.LocalEndpoint, Mode = LoadMode.Stream, Connections = 2, Duration = TimeSpan.FromMilliseconds(500), Message = new byte[65536] };
        var echoed = await RunAsync(options);
        Assert.True(echoed.BytesSent > 1_000_000 && echoed.BytesReceived > 1_000_000, $"sent {echoed.BytesSent}, received {echoed.BytesReceived}");
        var discarded = await RunAsync(options with { Target = discard.LocalEndpoint });
        Assert.True(discarded.BytesSent > 1_000_000);
        Assert.Equal(0, discarded.BytesReceived);
        Assert.Empty(discarded.Errors);
    }

    [Fact]
    public async Task Connect_mode_opens_and_closes_connections()
    {
        var closed = 0;
        var allClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"),
            new ServerOptions { OnConnection = _ => { if (Interlocked.Increment(ref closed) == 300) allClosed.TrySetResult(); } }, Token);
        var result = await RunAsync(new LoadOptions { Target = echo.LocalEndpoint, Mode = LoadMode.Connect, Connections = 2, Count = 300 });
        Assert.True(result.Requests == 300, $"{result.Requests} connections; errors: {string.Join(", ", result.Errors.Select(e => $"{e.Key} {e.Value}"))}");
        Assert.Equal(300, result.Latency.TotalCount);
        // The client is done once connect() returns; the server may still have connections in its accept queue, which a
        // stop now would drop. Each of them reaches the server and is closed there, in its own time.
        await allClosed.Task.WaitAsync(TimeSpan.FromSeconds(20), Token);
        await echo.StopAsync(Token);
        Assert.Equal(300, closed);
    }

    [Fact]
    public async Task Http_mode_counts_statuses_over_keep_alive()
    {
        await using var http = await TestServer.StartAsync(ServerKind.HttpEcho, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var ok = await RunAsync(new LoadOptions { Target = http.LocalEndpoint, Mode = LoadMode.Http, Connections = 2, Count = 400, HttpPath = "/hello" });
        Assert.Equal(400, ok.Requests);
        Assert.Equal(new Dictionary<int, long> { [200] = 400 }, ok.Statuses);
        var posted = await RunAsync(new LoadOptions { Target = http.LocalEndpoint, Mode = LoadMode.Http, Count = 50, HttpMethod = "POST", Message = new byte[5000], HttpPath = "/?status=201" });
        Assert.Equal(new Dictionary<int, long> { [201] = 50 }, posted.Statuses);
        var chunked = await RunAsync(new LoadOptions { Target = http.LocalEndpoint, Mode = LoadMode.Http, Count = 50, HttpPath = "/?chunked=1&close=1" });
        Assert.Equal(50, chunked.Requests);
        Assert.Empty(chunked.Errors);
    }

    [Fact]
    public async Task The_warmup_runs_first_and_is_not_counted()
    {
        await using var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = await RunAsync(new LoadOptions { Target = echo.LocalEndpoint, Rate = 200, Warmup = TimeSpan.FromMilliseconds(500), Duration = TimeSpan.FromMilliseconds(500) });
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) >= TimeSpan.FromSeconds(1), "the warm-up did not run first");
        Assert.InRange(result.Elapsed.TotalMilliseconds, 450, 900); // only the measured half (the whole second would be 1000)
        // 200/s for half a second is 100, not the 200 of the whole second; a loaded machine may shift a few due in the
        // warm-up into the measured half (the schedule catches up), hence the margin.
        Assert.InRange(result.Requests, 60, 140);
    }

    [Fact]
    public async Task The_rate_holds_within_five_percent()
    {
        await using var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var result = await RunAsync(new LoadOptions { Target = echo.LocalEndpoint, Connections = 4, Rate = 500, Duration = TimeSpan.FromSeconds(2) });
        Assert.InRange(result.RequestsPerSecond, 475, 525);
        Assert.InRange(result.Requests, 950, 1050);
    }

    /// <summary>
    /// An echo server that stalls once for 200 ms. Closed loop, the stall is one slow sample among thousands and vanishes
    /// from p99; open loop, every request due during the stall waits, and p99 shows it.
    /// </summary>
    [Fact]
    public async Task A_200_ms_stall_shows_in_p99_under_a_rate_but_hides_in_a_closed_loop()
    {
        await using var listener = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var stalled = 0;
        using var serving = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            var handlers = new List<Task>();
            try
            {
                while (true)
                {
                    var connection = await listener.AcceptAsync(serving.Token);
                    handlers.Add(Task.Run(async () =>
                    {
                        await using var _ = connection;
                        var buffer = new byte[32];
                        var messages = 0;
                        int read;
                        while ((read = await connection.ReceiveAsync(buffer, serving.Token)) > 0)
                        {
                            if (++messages == 300 && Interlocked.Exchange(ref stalled, 1) == 0) await Task.Delay(200, serving.Token); // the stall under test
                            await connection.SendAsync(buffer.AsMemory(0, read), serving.Token);
                        }
                    }));
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, Token);

        var open = await RunAsync(new LoadOptions { Target = listener.LocalEndpoint, Rate = 1000, Duration = TimeSpan.FromSeconds(1.5) });
        Volatile.Write(ref stalled, 0);
        var closed = await RunAsync(new LoadOptions { Target = listener.LocalEndpoint, Count = 3000 });
        await serving.CancelAsync();
        await server;

        Assert.True(open.Latency.GetValueAtPercentile(99) >= 150_000, $"open loop p99 {open.Latency.GetValueAtPercentile(99)} µs");
        Assert.True(closed.Latency.GetMaxValue() >= 190_000, $"the closed loop saw no stall: max {closed.Latency.GetMaxValue()} µs, {closed.Requests} requests, errors {string.Join(",", closed.Errors)}");
        Assert.True(closed.Latency.GetValueAtPercentile(99) < 150_000, $"closed loop p99 {closed.Latency.GetValueAtPercentile(99)} µs");
    }

    [Fact]
    public async Task Errors_are_counted_by_kind()
    {
        await using var gone = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var nobody = gone.LocalEndpoint;
        gone.Dispose();
        var refused = await RunAsync(new LoadOptions { Target = nobody, Duration = TimeSpan.FromMilliseconds(200) });
        Assert.Equal(0, refused.Requests);
        Assert.True(refused.Errors.GetValueOrDefault("refused") > 0);

        // A server that reads the whole message, answers 10 bytes of the 1000 expected, and closes.
        await using var halfway = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var serving = Task.Run(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await using var connection = await halfway.AcceptAsync(Token);
                var buffer = new byte[1000];
                for (var got = 0; got < 1000;) got += await connection.ReceiveAsync(buffer.AsMemory(got), Token);
                await connection.SendAsync(buffer.AsMemory(0, 10), Token);
                connection.ShutdownSend();
                await connection.ReadToEndAsync();
            }
        }, Token);
        var shortReply = await RunAsync(new LoadOptions { Target = halfway.LocalEndpoint, Count = 5, Message = new byte[1000] });
        await serving;
        Assert.Equal(5, shortReply.Errors.GetValueOrDefault("short reply"));

        await using var discard = await TestServer.StartAsync(ServerKind.Discard, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var timeout = await RunAsync(new LoadOptions { Target = discard.LocalEndpoint, Count = 2, Timeout = TimeSpan.FromMilliseconds(200) });
        Assert.Equal(2, timeout.Errors.GetValueOrDefault("timeout"));
    }

    [Fact]
    public async Task Merging_two_histogram_logs_equals_the_histogram_of_all_samples()
    {
        var random = new Random(7);
        var first = new LongHistogram(1, 3_600_000_000, 3);
        var second = new LongHistogram(1, 3_600_000_000, 3);
        var all = new LongHistogram(1, 3_600_000_000, 3);
        for (var i = 0; i < 20_000; i++)
        {
            var value = (long)Math.Exp(random.NextDouble() * 14) + 1; // 1 µs to about 1.2 s, spread over the decades
            (i % 3 == 0 ? first : second).RecordValue(value);
            all.RecordValue(value);
        }
        var a = Path.Combine(Path.GetTempPath(), $"sockit-{Guid.NewGuid():N}.hlog");
        var b = Path.Combine(Path.GetTempPath(), $"sockit-{Guid.NewGuid():N}.hlog");
        var start = DateTimeOffset.UtcNow;
        LatencyLog.Write(a, first, start, start.AddSeconds(10), "host-a");
        LatencyLog.Write(b, second, start.AddSeconds(1), start.AddSeconds(11), "host-b");
        var merged = LatencyLog.Merge([a, b]);
        File.Delete(a);
        File.Delete(b);

        Assert.Equal(all.TotalCount, merged.TotalCount);
        foreach (var percentile in new[] { 0.0, 10, 50, 90, 99, 99.9, 99.99, 100 })
            Assert.Equal(all.GetValueAtPercentile(percentile), merged.GetValueAtPercentile(percentile));
        Assert.Equal(all.GetMaxValue(), merged.GetMaxValue());
        Assert.Equal(all.GetMean(), merged.GetMean(), 6);
    }

    [Theory]
    [InlineData(LoadMode.Stream, "udp://127.0.0.1:9", null, "stream needs a stream endpoint")]
    [InlineData(LoadMode.Stream, "127.0.0.1:9", 100.0, "a count and a rate do not apply")]
    [InlineData(LoadMode.PingPong, "*:9", null, "is every interface, not a server to load")]
    public async Task Options_that_do_not_fit_together_are_refused_before_any_traffic(LoadMode mode, string target, double? rate, string message)
    {
        var error = await Assert.ThrowsAsync<SockitException>(() => RunAsync(new LoadOptions { Target = Endpoint.Parse(target), Mode = mode, Rate = rate }));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.True(error.IsUsageError);
    }

    /// <summary>One round trip on a fresh connection: the server still serves a well-behaved client.</summary>
    private static async Task AssertServesAsync(Endpoint endpoint)
    {
        await using var client = await Dialer.ConnectAsync(endpoint, cancellationToken: Token);
        await client.SendAsync("ok"u8.ToArray(), Token);
        Assert.Equal(2, await client.ReceiveAsync(new byte[2], Token));
    }

    [Fact]
    public async Task Idle_attack_holds_connections_and_reports_the_server_closing_them()
    {
        await using var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"),
            new ServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(300) }, Token);
        var result = await RunAsync(new LoadOptions { Target = echo.LocalEndpoint, Mode = LoadMode.Idle, Connections = 3, Duration = TimeSpan.FromMilliseconds(1500) });
        Assert.True(result.Outcomes.GetValueOrDefault("closed") >= 3, string.Join(", ", result.Outcomes));
        Assert.Empty(result.Errors);
        await AssertServesAsync(echo.LocalEndpoint);
    }

    [Fact]
    public async Task Slowloris_is_answered_408_by_http_echo_when_the_head_is_too_slow()
    {
        await using var http = await TestServer.StartAsync(ServerKind.HttpEcho, Endpoint.Parse("127.0.0.1:0"),
            new ServerOptions { Http = new() { HeaderTimeout = TimeSpan.FromMilliseconds(300) } }, Token);
        var result = await RunAsync(new LoadOptions
        {
            Target = http.LocalEndpoint, Mode = LoadMode.Slowloris, Connections = 2, Duration = TimeSpan.FromMilliseconds(1200), Interval = TimeSpan.FromMilliseconds(50),
        });
        Assert.True(result.Outcomes.GetValueOrDefault("answered") >= 2, string.Join(", ", result.Outcomes)); // the 408
        Assert.InRange(result.BytesSent, 10, 200); // a byte per 50 ms, no more
        var summary = await http.StopAsync(Token);
        Assert.True(summary.Limits.GetValueOrDefault(HostLimit.HeadTimeout) >= 2);
    }

    [Fact]
    public async Task Slow_read_reads_a_few_bytes_at_a_time_and_reports_a_server_that_holds_on()
    {
        await using var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var result = await RunAsync(new LoadOptions
        {
            Target = echo.LocalEndpoint, Mode = LoadMode.SlowRead, Duration = TimeSpan.FromMilliseconds(800), Interval = TimeSpan.FromMilliseconds(100), Message = new byte[1 << 20],
        });
        Assert.Equal(1, result.Outcomes.GetValueOrDefault("still open")); // the echo waits for its slow reader, as it may
        Assert.InRange(result.BytesReceived, 16, 16 * 12);
        await AssertServesAsync(echo.LocalEndpoint);
    }

    [Fact]
    public async Task Slow_read_counts_the_pipelined_requests_it_sent_once_they_are_out()
    {
        await using var http = await TestServer.StartAsync(ServerKind.HttpEcho, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var requests = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("GET / HTTP/1.1\r\nHost: sockit\r\n\r\n", 64)));
        var result = await RunAsync(new LoadOptions
        {
            Target = http.LocalEndpoint, Mode = LoadMode.SlowRead, Duration = TimeSpan.FromMilliseconds(800), Interval = TimeSpan.FromMilliseconds(100), Message = requests,
        });
        Assert.Equal(requests.Length, result.BytesSent);
        Assert.InRange(result.BytesReceived, 16, 16 * 12);
    }

    [Fact]
    public async Task Reset_storm_makes_many_connections_and_the_server_goes_on_serving()
    {
        await using var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var result = await RunAsync(new LoadOptions { Target = echo.LocalEndpoint, Mode = LoadMode.Reset, Connections = 4, Duration = TimeSpan.FromMilliseconds(800) });
        Assert.True(result.Requests > 200, $"{result.Requests} connections");
        Assert.Equal(result.Requests, result.Outcomes.GetValueOrDefault("reset sent"), tolerance: 8); // a few may be cut at the end
        await AssertServesAsync(echo.LocalEndpoint);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Garbage_gets_a_clear_answer_from_http_echo_and_an_echo_from_echo(bool http)
    {
        await using var server = await TestServer.StartAsync(http ? ServerKind.HttpEcho : ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var result = await RunAsync(new LoadOptions
        {
            Target = server.LocalEndpoint, Mode = LoadMode.Garbage, GarbageHttp = http, Count = 40, Message = new byte[512], Timeout = TimeSpan.FromSeconds(2),
        });
        Assert.Equal(40, result.Outcomes.GetValueOrDefault("answered")); // http-echo: a 400 (or 413, 431, 505) for each; echo: the bytes
        Assert.Empty(result.Errors);
        var summary = await server.StopAsync(Token);
        if (http) Assert.Equal(40, summary.Limits.GetValueOrDefault(HostLimit.Malformed) + summary.Limits.GetValueOrDefault(HostLimit.TooLarge));
    }
}
