using System.Security.Cryptography;
using System.Text;
using Sockit.Endpoints;
using Sockit.Piping;
using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Tests;

/// <summary>The library over real loopback sockets of every kind, without the CLI.</summary>
public sealed class TransportTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public static TheoryData<string> StreamEndpoints => new()
    {
        "127.0.0.1:0",
        "[::1]:0",
        $"unix:///tmp/sockit-lib-{Guid.NewGuid():N}.sock",
        $"unix://@sockit-lib-{Guid.NewGuid():N}",
    };

    [Theory]
    [MemberData(nameof(StreamEndpoints))]
    public async Task Stream_round_trip_with_half_close(string endpoint)
    {
        await using var listener = await Listener.StartAsync(Endpoint.Parse(endpoint), cancellationToken: Token);
        var accepting = listener.AcceptAsync(Token);
        await using var client = await Dialer.ConnectAsync(listener.LocalEndpoint, cancellationToken: Token);
        await using var server = await accepting;

        var request = RandomNumberGenerator.GetBytes(300_000);
        var sending = client.SendAndShutdownAsync(request);
        var received = await server.ReadToEndAsync();
        await sending;
        Assert.Equal(SHA256.HashData(request), SHA256.HashData(received));

        // The client half-closed, yet still receives the reply sent after its EOF.
        await server.SendAsync("reply after EOF"u8.ToArray(), Token);
        server.Dispose();
        Assert.Equal("reply after EOF", Encoding.UTF8.GetString(await client.ReadToEndAsync()));
        Assert.Equal(request.Length, client.BytesSent);
    }

    /// <summary>
    /// The kernel says "reset" once and EOF after it; a wait's peek that met the reset must not leave the receive to
    /// report an orderly EOF (a relay would turn the upstream's RST into a FIN for its client).
    /// </summary>
    [Fact]
    public async Task A_reset_stays_a_reset_after_a_wait_and_on_every_later_receive()
    {
        await using var listener = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var accepting = listener.AcceptAsync(Token);
        await using var client = await Dialer.ConnectAsync(listener.LocalEndpoint, cancellationToken: Token);
        var server = await accepting;
        server.Reset();
        var buffer = new byte[16];
        for (var attempt = 0; attempt < 2; attempt++)
        {
            await client.WaitReadableOrFailAsync(Token);
            Assert.Equal(-1, await client.ReceiveOrFailAsync(buffer, Token));
            Assert.Equal(SockitError.ConnectionReset, Assert.IsType<SockitException>(client.LastError()).Error);
        }
    }

    /// <summary>
    /// An accepted socket joins its loop's epoll set only when a call on it would block: a client whose request (or EOF,
    /// or RST) was there when it was accepted costs no epoll_ctl(). Read from the kernel's own list of each epoll set.
    /// </summary>
    [Fact]
    public async Task An_accepted_socket_joins_the_epoll_set_only_when_a_call_would_block()
    {
        await using var listener = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        await using var client = await Dialer.ConnectAsync(listener.LocalEndpoint, cancellationToken: Token);
        await client.SendAsync("first"u8.ToArray(), Token);
        await using var server = await listener.AcceptAsync(Token);
        var buffer = new byte[64];
        // The bytes were sent before the accept: loopback has delivered them, so the first receive completes at once.
        Assert.Equal("first", Encoding.UTF8.GetString(buffer, 0, await server.ReceiveAsync(buffer, Token)));
        Assert.False(InAnEpollSet(server.Fd), "a receive that found its data at once added the socket to epoll");

        var waiting = server.ReceiveAsync(buffer, Token);
        Assert.False(waiting.IsCompleted);
        Assert.True(InAnEpollSet(server.Fd), "a receive that has to wait did not add the socket to epoll");
        await client.SendAsync("second"u8.ToArray(), Token);
        Assert.Equal("second", Encoding.UTF8.GetString(buffer, 0, await waiting));
    }

    /// <summary>
    /// A connection closed while a call on another thread is still in its system call: close() waits for that call, and
    /// until it runs the socket is still in the epoll set, so an event may still name the connection. The handle that
    /// event carries must stay allocated until close() has run; freed at once, a reused handle sent it to another object.
    /// </summary>
    [Fact]
    public async Task A_connection_closed_during_another_call_stays_named_by_its_events_until_close_runs()
    {
        await using var listener = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        await using var client = await Dialer.ConnectAsync(listener.LocalEndpoint, cancellationToken: Token);
        var server = await listener.AcceptAsync(Token);
        var waiting = server.ReceiveAsync(new byte[64], Token);
        var (handle, loop, _) = server.Engine;
        Assert.True(InAnEpollSet(handle.Fd));
        var held = false;
        handle.DangerousAddRef(ref held); // what a send or receive does for the length of its system call
        server.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await waiting);
        await client.SendAsync("late"u8.ToArray(), Token); // an edge on a socket still in the set
        await DrainedAsync(loop);
        Assert.True(InAnEpollSet(handle.Fd), "close() ran while a call still used the descriptor");
        Assert.True(server.Engine.NamedByEvents, "the handle epoll events carry was freed before close() ran");

        handle.DangerousRelease(); // the call returns: close() runs now
        await DrainedAsync(loop);
        Assert.False(server.Engine.NamedByEvents);
    }

    /// <summary>
    /// Work that takes long (a TLS handshake) leaves an I/O loop's thread first, so the loop's other sockets are not held
    /// up meanwhile; off the loops there is nothing to leave, and it goes on at once.
    /// </summary>
    [Fact]
    public async Task Leaving_the_loop_goes_on_off_its_thread_and_elsewhere_at_once()
    {
        Assert.Null(IoLoop.Current);
        Assert.True(IoLoop.LeaveAsync().IsCompleted);
        var seen = new TaskCompletionSource<(bool OnLoopBefore, bool CompletedThere, bool OnLoopAfter)>(TaskCreationOptions.RunContinuationsAsynchronously);
        IoLoop.Next().Post(static state => _ = LeaveFromAsync((TaskCompletionSource<(bool, bool, bool)>)state!), seen);
        var (before, completedThere, after) = await seen.Task.WaitAsync(Token);
        Assert.True(before);
        Assert.False(completedThere);
        Assert.False(after, "the continuation after LeaveAsync ran on the loop's thread");

        static async Task LeaveFromAsync(TaskCompletionSource<(bool, bool, bool)> seen)
        {
            var before = IoLoop.Current is not null;
            var departure = IoLoop.LeaveAsync();
            var completedThere = departure.IsCompleted;
            await departure;
            seen.SetResult((before, completedThere, IoLoop.Current is not null));
        }
    }

    /// <summary>Completes once <paramref name="loop"/> has handled the events it had and run the work posted before this.</summary>
    private static Task DrainedAsync(IoLoop loop)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(static state => ((TaskCompletionSource)state!).SetResult(), done);
        return done.Task;
    }

    /// <summary>Whether any epoll set of this process watches <paramref name="fd"/> (its "tfd:" lines in /proc/self/fdinfo).</summary>
    private static bool InAnEpollSet(int fd) => Directory.GetFiles("/proc/self/fd").Any(path =>
    {
        try
        {
            return new FileInfo(path).LinkTarget == "anon_inode:[eventpoll]"
                && File.ReadLines($"/proc/self/fdinfo/{Path.GetFileName(path)}").Any(line => line.StartsWith($"tfd: {fd,8} ", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false; // a descriptor closed while we looked
        }
    });

    /// <summary>
    /// A connection whose calls keep completing at once (a client that streams as fast as it is served) must not keep
    /// its thread: after a budget of such calls one completes later, through the thread pool, so the pool's few threads
    /// and the I/O loop go round every connection. Every byte still arrives, in order.
    /// </summary>
    [Fact]
    public async Task Calls_that_keep_completing_at_once_give_up_their_thread_now_and_then()
    {
        await using var listener = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        await using var client = await Dialer.ConnectAsync(listener.LocalEndpoint, cancellationToken: Token);
        var data = RandomNumberGenerator.GetBytes(32 * 1024); // less than the socket's buffers hold before the accept
        await client.SendAsync(data, Token);
        client.ShutdownSend();
        await using var server = await listener.AcceptAsync(Token);

        // Everything is already in the socket: read in 256-byte pieces, each call could complete at once.
        var received = new MemoryStream();
        var buffer = new byte[256];
        int later = 0, streak = 0, longest = 0;
        while (true)
        {
            var pending = server.ReceiveAsync(buffer, Token);
            if (pending.IsCompleted) longest = Math.Max(longest, ++streak);
            else (later, streak) = (later + 1, 0);
            var n = await pending;
            if (n == 0) break;
            received.Write(buffer, 0, n);
        }
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received.ToArray()));
        Assert.True(later >= 2, $"only {later} of 128 receives gave up their thread");
        Assert.True(longest < 64, $"{longest} receives in a row completed at once");
    }

    /// <summary>A closed socket brings no edge: a call that starts after the close must fail at once, not wait for one.</summary>
    [Fact]
    public async Task Calls_that_start_after_a_close_or_a_reset_fail_at_once()
    {
        await using var listener = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var accepting = listener.AcceptAsync(Token);
        var client = await Dialer.ConnectAsync(listener.LocalEndpoint, cancellationToken: Token);
        var server = await accepting;
        server.Reset();
        client.Dispose();
        foreach (var closed in new[] { server, client })
        {
            Assert.Equal(-1, await closed.WaitReadableOrFailAsync(Token).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Token));
            Assert.Equal(-1, await closed.ReceiveOrFailAsync(new byte[16], Token).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Token));
            await Assert.ThrowsAsync<ObjectDisposedException>(() => closed.ReceiveAsync(new byte[16], Token).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Token));
        }
    }

    [Fact]
    public async Task Unix_listener_removes_its_socket_file()
    {
        var path = $"/tmp/sockit-lib-{Guid.NewGuid():N}.sock";
        var listener = await Listener.StartAsync(Endpoint.ForUnix(path), cancellationToken: Token);
        Assert.True(UnixSocketFile.IsSocket(path));
        listener.Dispose();
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("udp://127.0.0.1:0")]
    [InlineData("udp://[::1]:0")]
    [InlineData("unixgram:///tmp/sockit-lib-dgram.sock")]
    public async Task Datagrams_round_trip(string endpoint)
    {
        await using var server = await DatagramChannel.BindAsync(Endpoint.Parse(endpoint), cancellationToken: Token);
        await using var client = await DatagramChannel.ConnectAsync(server.LocalEndpoint, cancellationToken: Token);
        await client.SendAsync("ping"u8.ToArray(), Token);
        var buffer = new byte[100];
        var from = await server.ReceiveFromAsync(buffer, Token);
        Assert.Equal("ping", Encoding.UTF8.GetString(buffer, 0, from.Length));
        await server.SendToAsync("pong"u8.ToArray(), from.From, Token);
        var n = await client.ReceiveAsync(buffer, Token);
        Assert.Equal("pong", Encoding.UTF8.GetString(buffer, 0, n));
    }

    [Fact]
    public async Task Stream_bridge_half_closes_and_keeps_reading_the_reply()
    {
        await using var listener = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var serving = Task.Run(async () =>
        {
            await using var server = await listener.AcceptAsync(Token);
            var request = await server.ReadToEndAsync(); // returns only at the client's EOF
            await server.SendAsync(Encoding.UTF8.GetBytes($"got {request.Length}"), Token);
        }, Token);

        await using var client = await Dialer.ConnectAsync(listener.LocalEndpoint, cancellationToken: Token);
        var output = new MemoryStream();
        var result = await StreamBridge.RunAsync(client, new MemoryStream(new byte[12345]), output, cancellationToken: Token);
        await serving;

        Assert.Equal("got 12345", Encoding.UTF8.GetString(output.ToArray()));
        Assert.Equal(BridgeEnding.Completed, result.Ending);
        Assert.Equal(12345, result.BytesSent);
        Assert.Equal(9, result.BytesReceived);
    }

    [Fact]
    public async Task Tracer_sees_the_seven_steps()
    {
        var output = new StringWriter();
        using var tracer = new TextSocketTracer(output);
        await using (var listener = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), new ListenerOptions { Tracer = tracer.WithLabel("server") }, Token))
        {
            var accepting = listener.AcceptAsync(Token);
            await using var client = await Dialer.ConnectAsync(listener.LocalEndpoint, new DialOptions { Tracer = tracer.WithLabel("client") }, Token);
            await using var server = await accepting;
            await client.SendAsync("x"u8.ToArray(), Token);
            await server.ReceiveAsync(new byte[1], Token);
        }
        tracer.Flush();
        var text = output.ToString();
        foreach (var call in new[] { "[server] socket(", "[server] bind(", "[server] listen(", "[server] accept(", "[client] socket(", "[client] connect(", "[client] send(", "[server] recv(", "close(" })
            Assert.Contains(call, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_errors_are_typed()
    {
        var refused = await Assert.ThrowsAsync<SockitException>(() => Dialer.ConnectAsync(Endpoint.Parse("127.0.0.1:1"), cancellationToken: Token));
        Assert.Equal(SockitError.ConnectionRefused, refused.Error);
        var missing = await Assert.ThrowsAsync<SockitException>(() => Dialer.ConnectAsync(Endpoint.ForUnix("/tmp/sockit-none.sock"), cancellationToken: Token));
        Assert.Equal(SockitError.NoSuchSocketFile, missing.Error);
        var unknown = await Assert.ThrowsAsync<SockitException>(() => Dialer.ConnectAsync(Endpoint.Parse("nonexistent.invalid:1"), cancellationToken: Token));
        Assert.Equal(SockitError.UnknownHost, unknown.Error);
    }

    [Fact]
    public async Task Binding_a_taken_port_says_address_in_use()
    {
        await using var first = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var ex = await Assert.ThrowsAsync<SockitException>(() => Listener.StartAsync(first.LocalEndpoint, cancellationToken: Token));
        Assert.Equal(SockitError.AddressInUse, ex.Error);
        Assert.Contains($"port {first.LocalEndpoint.Port} is already in use", ex.Message, StringComparison.Ordinal);
    }
}
