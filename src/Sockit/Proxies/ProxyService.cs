using System.Buffers;
using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Proxies;
using Sockit.Proxies.Faults;
using Sockit.Transport;

namespace Sockit.Proxies;

/// <summary>A server that is also a client: each accepted connection is relayed to a new connection to the upstream.</summary>
internal sealed class ProxyService(Endpoint upstream, ProxyOptions options) : IConnectionService
{
    private long _connections;
    private DialOptions? _dial;

    public async Task ServeAsync(Connection connection, ConnectionContext context)
    {
        // The same for every connection of this server: made once, not once per client.
        var dial = _dial is { } made && made.Tracer == context.Options.Tracer ? made : _dial = new DialOptions
        {
            ConnectTimeout = options.ConnectTimeout,
            Tracer = context.Options.Tracer,
            NoDelay = upstream.Transport == TransportKind.Tcp,
            Tls = options.UpstreamTls,
        };
        // Read first, as haproxy does: a client that reset while it waited in the queue (a reset storm) costs no upstream
        // connection, and what a client sent before it was accepted, or its EOF, goes on once the upstream is there.
        var buffer = ArrayPool<byte>.Shared.Rent(FaultedLink.FirstChunk);
        var read = connection.TryReceiveNow(buffer.AsMemory(0, FaultedLink.FirstChunk));
        (byte[], int)? early = read >= 0 ? (buffer, read) : null;
        if (early is null) ArrayPool<byte>.Shared.Return(buffer);
        if (read == -1)
        {
            context.Outcome = "reset by the client before the relay began; no upstream connection made";
            return;
        }
        Connection onward;
        try
        {
            onward = await Dialer.ConnectAsync(upstream, dial, context.Abort).ConfigureAwait(false);
        }
        catch (SockitException ex)
        {
            if (early is not null) ArrayPool<byte>.Shared.Return(buffer);
            context.Outcome = $"upstream failed: {ex.Message}";
            await CloseCleanlyAsync(connection, context.Abort).ConfigureAwait(false);
            return;
        }
        await using (onward)
        {
            var link = new FaultedLink(connection, onward, options.Faults ?? FaultSet.None, options.Dump?.For(Interlocked.Increment(ref _connections)));
            var ended = await link.RunAsync(early, context.Abort).ConfigureAwait(false);
            // Formatted only for a log: under a connect storm this line runs tens of thousands of times a second.
            if (context.Options.OnConnection is not null) context.Outcome = link.Cause ?? (ended ? $"closed; upstream {onward.RemoteEndpoint}" : "reset passed on");
        }
    }

    /// <summary>
    /// Ends a client whose upstream could not be reached with EOF rather than a reset: FIN first, then what it already
    /// sent is read and dropped (closing with unread bytes would send RST), for a second at most.
    /// </summary>
    private static async Task CloseCleanlyAsync(Connection client, CancellationToken abort)
    {
        client.ShutdownSend();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(abort);
        limit.CancelAfter(TimeSpan.FromSeconds(1));
        var sink = new byte[4096];
        try
        {
            while (await client.ReceiveAsync(sink, limit.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is SockitException or OperationCanceledException)
        {
        }
    }
}
