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
                    answer = ControlRouter.Error(403, "browsers may not use the control API (as in toxiproxy); use curl or a client library");
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
        if (answer.Status != 204)
        {
            response.Write("Content-Type: application/json\r\n"u8);
            HttpWriter.ContentLength(response, answer.Body.Length + 1);
        }
        if (close) response.Write("Connection: close\r\n"u8);
        response.Write("\r\n"u8);
        if (answer.Status == 204) return;
        response.Write(answer.Body);
        response.Write("\n"u8);
    }
}
