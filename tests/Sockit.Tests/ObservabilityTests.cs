using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Mock;
using Sockit.Proxies;
using Sockit.Proxies.Faults;
using Sockit.Servers;
using Sockit.Transport;

namespace Sockit.Tests;

/// <summary>What dotnet-counters, OpenTelemetry and an ILogger see of a server under real traffic.</summary>
public sealed class ObservabilityTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Meter_counts_connections_and_bytes_of_one_server()
    {
        using var metrics = new Measurements();
        var server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var endpoint = server.LocalEndpoint.ToString();
        long sent = 0;
        for (var i = 0; i < 3; i++)
        {
            await using var client = await Dialer.ConnectAsync(server.LocalEndpoint, cancellationToken: Token);
            var data = RandomNumberGenerator.GetBytes(1000 * (i + 1));
            var sending = client.SendAndShutdownAsync(data);
            Assert.Equal(data.Length, (await client.ReadToEndAsync()).Length);
            await sending;
            sent += data.Length;
        }
        await server.StopAsync(Token); // every connection has ended, and been counted, when the stop returns

        Assert.Equal(3, metrics.Sum("sockit.connections.accepted", endpoint));
        Assert.Equal(0, metrics.Sum("sockit.connections.open", endpoint));
        Assert.Equal(sent, metrics.Sum("sockit.bytes.received", endpoint));
        Assert.Equal(sent, metrics.Sum("sockit.bytes.sent", endpoint));
        Assert.Equal(3, metrics.Count("sockit.connection.duration", endpoint));
    }

    [Fact]
    public async Task Meter_counts_rejections_by_reason_and_toxics_fired()
    {
        using var metrics = new Measurements();
        await using var upstream = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        await using var proxy = await Proxy.StartAsync("metered", Endpoint.Parse("127.0.0.1:0"), upstream.LocalEndpoint,
            serverOptions: new ServerOptions { MaxConnectionsPerClient = 1 }, cancellationToken: Token);
        proxy.Faults.Add(Toxic.Create("latency", attributes: [new("latency", 1)]));
        await using var first = await Dialer.ConnectAsync(proxy.Listen, cancellationToken: Token);
        await first.SendAsync("ping"u8.ToArray(), Token);
        var buffer = new byte[4];
        var read = 0;
        while (read < 4) read += await first.ReceiveAsync(buffer.AsMemory(read), Token);

        // A second connection from the same address is over the per-client limit: reset at accept.
        // The reset may come while connecting or at the first read.
        var reset = await Assert.ThrowsAsync<SockitException>(async () =>
        {
            await using var second = await Dialer.ConnectAsync(proxy.Listen, cancellationToken: Token);
            while (await second.ReceiveAsync(buffer, Token) > 0) { }
            throw new SockitException(SockitError.Other, "closed instead of reset");
        });
        Assert.Equal(SockitError.ConnectionReset, reset.Error);

        Assert.Equal(1, metrics.Sum("sockit.connections.rejected", proxy.Listen.ToString(), ("reason", "per-client")));
        Assert.True(metrics.Sum("sockit.toxics.fired", null, ("type", "latency")) >= 1);
    }

    [Fact]
    public async Task Meter_counts_mock_matches_and_misses()
    {
        using var metrics = new Measurements();
        await using var mock = await MockServer.StartAsync("http", Token);
        mock.Stub(s => s.Equals("path", "/known").Is(200, "ok"));
        using var http = new HttpClient { BaseAddress = mock.Url };
        Assert.Equal(200, (int)(await http.GetAsync("/known", Token)).StatusCode);
        Assert.Equal(200, (int)(await http.GetAsync("/known", Token)).StatusCode);
        await http.GetAsync("/unknown", Token); // mountebank's default response: 200 with an empty body

        var port = ("sockit.mock.port", mock.Url.Port);
        Assert.Equal(2, metrics.Sum("sockit.mock.matches", null, port));
        Assert.Equal(1, metrics.Sum("sockit.mock.misses", null, port));
    }

    [Fact]
    public async Task Logger_receives_socket_calls_and_finished_connections()
    {
        var logger = new ListLogger();
        var server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), new ServerOptions { Logger = logger }, Token);
        await using (var client = await Dialer.ConnectAsync(server.LocalEndpoint, new DialOptions { Logger = logger }, Token))
        {
            var sending = client.SendAndShutdownAsync("hello"u8.ToArray());
            Assert.Equal(5, (await client.ReadToEndAsync()).Length);
            await sending;
        }
        await server.StopAsync(Token);

        var entries = logger.Entries.ToList();
        Assert.Contains(entries, e => e.Level == LogLevel.Debug && e.Event == "SocketCall" && e.Message.StartsWith("listen(", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Level == LogLevel.Debug && e.Event == "SocketCall" && e.Message.StartsWith("connect(", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Level == LogLevel.Trace && e.Event == "SocketCall" && e.Message.StartsWith("send(", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Level == LogLevel.Information && e.Event == "ConnectionEnded" && e.Message.Contains("5 bytes in, 5 bytes out", StringComparison.Ordinal));
    }

    /// <summary>
    /// A logger's scopes live in the execution context (as Microsoft.Extensions.Logging's do). A server started inside a
    /// scope must not log every later connection in it: connections do not run in the context of the code that started
    /// the server, as Kestrel's do not.
    /// </summary>
    [Fact]
    public async Task Connections_are_not_logged_in_the_scope_the_server_was_started_in()
    {
        var logger = new ScopedLogger();
        TestServer server;
        using (logger.BeginScope("starting the server"))
            server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), new ServerOptions { Logger = logger }, Token);
        await using (var client = await Dialer.ConnectAsync(server.LocalEndpoint, cancellationToken: Token))
        {
            var sending = client.SendAndShutdownAsync("hello"u8.ToArray());
            Assert.Equal(5, (await client.ReadToEndAsync()).Length);
            await sending;
        }
        await server.StopAsync(Token);

        var served = logger.Entries.Where(e => e.Event == "ConnectionEnded" || (e.Event == "SocketCall" && e.Message.StartsWith("send(", StringComparison.Ordinal))).ToList();
        Assert.NotEmpty(served);
        Assert.All(served, e => Assert.Null(e.Scope));
        Assert.Contains(logger.Entries, e => e.Message.StartsWith("listen(", StringComparison.Ordinal) && e.Scope == "starting the server");
    }

    /// <summary>The same for the UDP proxy, whose sessions end on its own reaper loop: an idle session's end is not logged in the starter's scope.</summary>
    [Fact]
    public async Task Udp_proxy_sessions_are_not_logged_in_the_scope_the_proxy_was_started_in()
    {
        var logger = new ScopedLogger();
        await using var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("udp://127.0.0.1:0"), cancellationToken: Token);
        Proxy proxy;
        using (logger.BeginScope("starting the proxy"))
        {
            proxy = await Proxy.StartAsync("udp", Endpoint.Parse("udp://127.0.0.1:0"), echo.LocalEndpoint, serverOptions: new ServerOptions { Logger = logger },
                proxyOptions: new ProxyOptions { DatagramIdleTimeout = TimeSpan.FromMilliseconds(200) }, cancellationToken: Token);
        }
        await using var _ = proxy;
        var ending = logger.FirstAsync("ConnectionEnded"); // watched before the session starts, so its end cannot come first
        await using (var client = await DatagramChannel.ConnectAsync(proxy.Listen, cancellationToken: Token))
        {
            await client.SendAsync("hello"u8.ToArray(), Token);
            Assert.Equal(5, await client.ReceiveAsync(new byte[64], Token));
        }

        var ended = await ending.WaitAsync(TimeSpan.FromSeconds(10), Token); // the reaper ends the idle session
        Assert.Contains("idle", ended.Message, StringComparison.Ordinal);
        Assert.Null(ended.Scope);
    }

    /// <summary>Listens to the Sockit meter and sums what was measured, by instrument and tags.</summary>
    private sealed class Measurements : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> _seen = new();

        public Measurements()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Sockit") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _seen.Enqueue((instrument.Name, value, tags.ToArray())));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => _seen.Enqueue((instrument.Name, value, tags.ToArray())));
            _listener.Start();
        }

        public long Sum(string name, string? endpoint, params (string Key, object Value)[] tags) =>
            (long)Matching(name, endpoint, tags).Sum(m => m.Value);

        public int Count(string name, string? endpoint) => Matching(name, endpoint, []).Count();

        private IEnumerable<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> Matching(string name, string? endpoint, (string Key, object Value)[] tags) =>
            _seen.Where(m => m.Name == name
                && (endpoint is null || m.Tags.Any(t => t.Key == "sockit.endpoint" && (string?)t.Value == endpoint))
                && tags.All(wanted => m.Tags.Any(t => t.Key == wanted.Key && Equals(t.Value, wanted.Value))));

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>Records each entry with the scope it was logged in, kept in an AsyncLocal as LoggerFactoryScopeProvider keeps it.</summary>
    private sealed class ScopedLogger : ILogger
    {
        private readonly AsyncLocal<string?> _scope = new();

        public ConcurrentQueue<(string? Event, string Message, string? Scope)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            var outer = _scope.Value;
            _scope.Value = state.ToString();
            return new Scope(() => _scope.Value = outer);
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var entry = (eventId.Name, formatter(state, exception), _scope.Value);
            Entries.Enqueue(entry);
            lock (_waiting)
                foreach (var (name, found) in _waiting)
                    if (name == eventId.Name) found.TrySetResult(entry);
        }

        private readonly List<(string Event, TaskCompletionSource<(string? Event, string Message, string? Scope)> Found)> _waiting = [];

        /// <summary>The first entry of <paramref name="eventName"/> logged from now on.</summary>
        public Task<(string? Event, string Message, string? Scope)> FirstAsync(string eventName)
        {
            var found = new TaskCompletionSource<(string? Event, string Message, string? Scope)>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_waiting) _waiting.Add((eventName, found));
            return found.Task;
        }

        private sealed class Scope(Action end) : IDisposable
        {
            public void Dispose() => end();
        }
    }

    private sealed class ListLogger : ILogger
    {
        public ConcurrentQueue<(LogLevel Level, string? Event, string Message)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, eventId.Name, formatter(state, exception)));
    }
}
