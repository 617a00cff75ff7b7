using System.Buffers;
using System.Text;
using Sockit.Hosting;
using Sockit.Http;
using Sockit.Transport;

namespace Sockit.Proxies.Control;

/// <summary>
/// The control API's HTTP/1.1 side on one connection, on the shared <see cref="HttpRequestReader"/> (keep-alive,
/// Content-Length and chunked bodies, an idle timeout), with toxiproxy's guard against browsers: a web page must not be
/// able to reconfigure a test network.
/// </summary>
internal sealed class ControlService(ControlRouter router) : IConnectionService
{
    private static readonly HttpLimits Limits = new()
    {
        MaxBody = 1024 * 1024,
        HeaderTimeout = TimeSpan.FromSeconds(10),
        KeepAliveTimeout = TimeSpan.FromSeconds(60),
    };

    public async Task ServeAsync(Connection connection, ConnectionContext context)
    {
        using var reader = new HttpRequestReader(connection, Limits, context.Stopping, context.Abort);
        var response = new ArrayBufferWriter<byte>(512);
        while (true)
        {
            ControlResponse answer;
            bool close;
            try
            {
                if (!await reader.ReadRequestAsync().ConfigureAwait(false)) return;
                close = !reader.Head.KeepAlive || context.Stopping.IsCancellationRequested;
                if (IsBrowser(reader))
                {
                    // toxiproxy's words and form (http.Error: plain text and a newline): a web page may not reconfigure a test network.
                    answer = new ControlResponse(403, "User agent not allowed\n"u8.ToArray(), "text/plain; charset=utf-8");
                    close = true;
                }
                else
                {
                    var target = reader.Target;
                    var query = target.IndexOf('?', StringComparison.Ordinal);
                    answer = await router.HandleAsync(reader.Method, query < 0 ? target : target[..query], reader.Body.ToArray(), context.Abort).ConfigureAwait(false);
                    context.Requests++;
                }
                reader.Done();
            }
            catch (HttpError error)
            {
                answer = ControlRouter.Error(error.Status, error.Message);
                close = true;
            }
            Write(response, answer, close);
            if (await connection.SendOrFailAsync(response.WrittenMemory, context.Abort).ConfigureAwait(false) < 0 || close) return;
        }
    }

    private static bool IsBrowser(HttpRequestReader reader)
    {
        var buffer = reader.HeadBuffer;
        foreach (var (nameStart, nameLength, valueStart, valueLength) in reader.Head.Headers)
        {
            if (Ascii.EqualsIgnoreCase(buffer.Slice(nameStart, nameLength), "user-agent"u8) && buffer.Slice(valueStart, valueLength).StartsWith("Mozilla/"u8))
                return true;
        }
        return false;
    }

    private static void Write(ArrayBufferWriter<byte> response, ControlResponse answer, bool close)
    {
        response.ResetWrittenCount();
        HttpWriter.StatusLine(response, answer.Status);
        response.Write("X-Toxiproxy-Request-Id: "u8);
        RequestIds.Write(response);
        response.Write("\r\n"u8);
        if (answer.Status != 204)
        {
            HttpWriter.Header(response, "Content-Type", answer.ContentType);
            HttpWriter.ContentLength(response, answer.Body.Length);
        }
        if (close) response.Write("Connection: close\r\n"u8);
        response.Write("\r\n"u8);
        if (answer.Status != 204) response.Write(answer.Body);
    }
}

/// <summary>
/// Ids for toxiproxy's <c>X-Toxiproxy-Request-Id</c> header, in the form its logger (zerolog's hlog, an xid) gives
/// them: 20 characters of base32hex over 4 bytes of time, 5 of this process and a 3-byte counter, unique per request.
/// </summary>
internal static class RequestIds
{
    private static readonly byte[] Process = System.Security.Cryptography.RandomNumberGenerator.GetBytes(5);
    private static int _counter = Random.Shared.Next();

    public static void Write(IBufferWriter<byte> writer)
    {
        Span<byte> raw = stackalloc byte[12];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(raw, (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Process.CopyTo(raw[4..]);
        var count = Interlocked.Increment(ref _counter);
        raw[9] = (byte)(count >> 16);
        raw[10] = (byte)(count >> 8);
        raw[11] = (byte)count;
        var text = writer.GetSpan(20);
        var alphabet = "0123456789abcdefghijklmnopqrstuv"u8;
        for (var i = 0; i < 20; i++)
        {
            // the i-th group of 5 bits of the 96 (the last group padded with zeros)
            var bit = i * 5;
            var pair = (raw[bit / 8] << 8) | (bit / 8 + 1 < 12 ? raw[bit / 8 + 1] : 0);
            text[i] = alphabet[(pair >> (11 - bit % 8)) & 31];
        }
        writer.Advance(20);
    }
}
