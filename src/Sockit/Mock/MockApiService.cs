using System.Buffers;
using System.Text;
using System.Text.Json;
using Sockit.Hosting;
using Sockit.Http;
using Sockit.Transport;

namespace Sockit.Mock;

/// <summary>The mock API's HTTP/1.1 side on one connection, on the shared <see cref="HttpRequestReader"/>; JSON printed as express prints it (two spaces).</summary>
internal sealed class MockApiService(MockRouter router) : IConnectionService
{
    private static readonly HttpLimits Limits = new()
    {
        MaxBody = 16 * 1024 * 1024,
        HeaderTimeout = TimeSpan.FromSeconds(10),
        KeepAliveTimeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>Answers up to this size go out with their head in one send; larger ones in a second, not copied.</summary>
    private const int SmallAnswer = 64 * 1024;

    private static readonly JsonWriterOptions JsonWriterOptions = new()
    {
        Encoder = MockServer.PrettyJson.Encoder,
        Indented = true,
        IndentSize = 2,
    };

    public async Task ServeAsync(Connection connection, ConnectionContext context)
    {
        using var reader = new HttpRequestReader(connection, Limits, context.Stopping, context.Abort);
        var output = new ArrayBufferWriter<byte>(1024);
        while (true)
        {
            MockApiResponse answer;
            bool close;
            try
            {
                if (!await reader.ReadRequestAsync().ConfigureAwait(false)) return;
                close = !reader.Head.KeepAlive || context.Stopping.IsCancellationRequested;
                var host = HostHeader(reader);
                var method = reader.Method;
                var target = reader.Target;
                var body = reader.Body.ToArray();
                reader.Done();
                answer = await router.HandleAsync(method, target, host, body, context.Abort).ConfigureAwait(false);
                context.Requests++;
            }
            catch (HttpError error)
            {
                answer = new MockApiResponse(error.Status, new System.Text.Json.Nodes.JsonObject
                {
                    ["errors"] = new System.Text.Json.Nodes.JsonArray(new MockError(MockError.BadData, error.Message).ToJson()),
                });
                close = true;
            }
            // Straight to UTF-8, in a buffer of this answer's own: an imposter with many recorded requests prints to
            // megabytes, which a string, its bytes and a copy into the connection's buffer (kept while it lives) multiplied.
            var json = new ArrayBufferWriter<byte>(1024);
            using (var writer = new Utf8JsonWriter(json, JsonWriterOptions))
            {
                answer.Body.WriteTo(writer, MockServer.PrettyJson);
            }
            output.ResetWrittenCount();
            HttpWriter.StatusLine(output, answer.Status);
            output.Write("Content-Type: application/json; charset=utf-8\r\n"u8);
            if (answer.Location is not null) HttpWriter.Header(output, "Location", answer.Location);
            HttpWriter.ContentLength(output, json.WrittenCount);
            if (close) output.Write("Connection: close\r\n"u8);
            output.Write("\r\n"u8);
            var small = json.WrittenCount <= SmallAnswer;
            if (small) output.Write(json.WrittenSpan); // head and body in one send
            if (await connection.SendOrFailAsync(output.WrittenMemory, context.Abort).ConfigureAwait(false) < 0) return;
            if (!small && await connection.SendOrFailAsync(json.WrittenMemory, context.Abort).ConfigureAwait(false) < 0) return;
            if (close) return;
        }
    }

    private static string? HostHeader(HttpRequestReader reader)
    {
        var buffer = reader.HeadBuffer;
        foreach (var (nameStart, nameLength, valueStart, valueLength) in reader.Head.Headers)
        {
            if (Ascii.EqualsIgnoreCase(buffer.Slice(nameStart, nameLength), "host"u8)) return Encoding.Latin1.GetString(buffer.Slice(valueStart, valueLength));
        }
        return null;
    }
}
