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
            var json = Encoding.UTF8.GetBytes(answer.Body.ToJsonString(MockServer.PrettyJson));
            output.ResetWrittenCount();
            HttpWriter.StatusLine(output, answer.Status);
            output.Write("Content-Type: application/json; charset=utf-8\r\n"u8);
            if (answer.Location is not null) HttpWriter.Header(output, "Location", answer.Location);
            HttpWriter.ContentLength(output, json.Length);
            if (close) output.Write("Connection: close\r\n"u8);
            output.Write("\r\n"u8);
            output.Write(json);
            if (await connection.SendOrFailAsync(output.WrittenMemory, context.Abort).ConfigureAwait(false) < 0 || close) return;
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
