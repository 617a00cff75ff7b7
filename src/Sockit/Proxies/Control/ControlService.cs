using System.Globalization;
using System.Text;
using Sockit.Hosting;
using Sockit.Http;
using Sockit.Servers;
using Sockit.Servers.Http;
using Sockit.Transport;

namespace Sockit.Proxies.Control;

/// <summary>
/// The control API's HTTP/1.1 side on one connection: keep-alive, Content-Length bodies up to a limit, an idle
/// timeout, and toxiproxy's guard against browsers (a web page must not be able to reconfigure a test network).
/// </summary>
internal sealed class ControlService(ControlRouter router) : IConnectionService
{
    private const int MaxHeadBytes = 32 * 1024;
    private const int MaxBodyBytes = 1024 * 1024;
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);
    private static readonly HttpEchoOptions HeadLimits = new();

    public async Task ServeAsync(Connection connection, ConnectionContext context)
    {
        var buffer = new byte[4096];
        var filled = 0;
        var head = new RequestHead();
        while (!context.Stopping.IsCancellationRequested)
        {
            int headEnd;
            while ((headEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (filled == MaxHeadBytes)
                {
                    await RespondAsync(connection, ControlRouter.Error(431, $"request head larger than {MaxHeadBytes} bytes"), close: true, context).ConfigureAwait(false);
                    return;
                }
                if (filled == buffer.Length) Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaxHeadBytes));
                var received = await FillAsync(connection, buffer, filled, context).ConfigureAwait(false);
                if (received == 0) return;
                filled += received;
            }
            headEnd += 4;
            try
            {
                head.Parse(buffer.AsSpan(0, headEnd), 0, HeadLimits);
            }
            catch (HttpError error)
            {
                await RespondAsync(connection, ControlRouter.Error(error.Status, error.Message), close: true, context).ConfigureAwait(false);
                return;
            }
            var refusal = Refusal(head, buffer);
            if (refusal is { } refused)
            {
                await RespondAsync(connection, refused, close: true, context).ConfigureAwait(false);
                return;
            }
            var length = (int)Math.Max(0, head.ContentLength);
            if (head.ExpectContinue && length > 0 && filled == headEnd)
                await connection.SendAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), context.Abort).ConfigureAwait(false);
            var total = headEnd + length;
            if (buffer.Length < total) Array.Resize(ref buffer, total);
            while (filled < total)
            {
                var read = await FillAsync(connection, buffer, filled, context).ConfigureAwait(false);
                if (read == 0) return;
                filled += read;
            }
            var method = Encoding.ASCII.GetString(buffer, head.Method.Start, head.Method.Length);
            var target = Encoding.ASCII.GetString(buffer, head.Target.Start, head.Target.Length);
            var query = target.IndexOf('?');
            var response = await router.HandleAsync(method, query < 0 ? target : target[..query], buffer.AsMemory(headEnd, length), context.Abort).ConfigureAwait(false);
            context.Requests++;
            await RespondAsync(connection, response, close: !head.KeepAlive, context).ConfigureAwait(false);
            if (!head.KeepAlive) return;
            buffer.AsSpan(total, filled - total).CopyTo(buffer);
            filled -= total;
        }
    }

    /// <summary>Requests refused before they are read: browsers, chunked bodies and bodies over the limit.</summary>
    private static ControlResponse? Refusal(RequestHead head, byte[] buffer)
    {
        foreach (var (nameStart, nameLength, valueStart, valueLength) in head.Headers)
        {
            if (Ascii.EqualsIgnoreCase(buffer.AsSpan(nameStart, nameLength), "user-agent"u8) && buffer.AsSpan(valueStart, valueLength).StartsWith("Mozilla/"u8))
                return ControlRouter.Error(403, "browsers may not use the control API (as in toxiproxy); use curl or a client library");
        }
        if (head.Chunked) return ControlRouter.Error(411, "send the body with Content-Length, not chunked");
        if (head.ContentLength > MaxBodyBytes) return ControlRouter.Error(413, $"body larger than {MaxBodyBytes} bytes");
        return null;
    }

    /// <summary>Reads more into <paramref name="buffer"/>; 0 at EOF, after the idle timeout, or when the server stops.</summary>
    private static async Task<int> FillAsync(Connection connection, byte[] buffer, int filled, ConnectionContext context)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(context.Stopping);
        idle.CancelAfter(IdleTimeout);
        try
        {
            return await connection.ReceiveAsync(buffer.AsMemory(filled), idle.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.Abort.IsCancellationRequested)
        {
            return 0;
        }
    }

    private static async Task RespondAsync(Connection connection, ControlResponse response, bool close, ConnectionContext context)
    {
        var head = new StringBuilder(160)
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {response.Status} {ReasonPhrases.Of(response.Status)}\r\n");
        if (response.Status != 204)
            head.Append(CultureInfo.InvariantCulture, $"Content-Type: application/json\r\nContent-Length: {response.Body.Length + 1}\r\n");
        if (close) head.Append("Connection: close\r\n");
        head.Append("\r\n");
        var bytes = Encoding.ASCII.GetBytes(head.ToString());
        await connection.SendAsync(response.Status == 204 ? bytes : [.. bytes, .. response.Body, (byte)'\n'], context.Abort).ConfigureAwait(false);
    }
}
