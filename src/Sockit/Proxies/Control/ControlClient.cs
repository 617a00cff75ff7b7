using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sockit.Endpoints;
using Sockit.Http;
using Sockit.Transport;

namespace Sockit.Proxies.Control;

/// <summary>An answer of a control API: the status and the body as sent.</summary>
/// <param name="Status">The HTTP status code.</param>
/// <param name="Body">The body (JSON for every answer but 204).</param>
internal sealed record ControlReply(int Status, byte[] Body)
{
    /// <summary>Whether the API did what was asked (a 2xx status).</summary>
    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>The API's error text (the <c>"error"</c> field, or the body as text when it is not that JSON).</summary>
    public string Error
    {
        get
        {
            try
            {
                using var json = JsonDocument.Parse(Body);
                if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String)
                    return error.GetString()!;
            }
            catch (JsonException)
            {
                // not toxiproxy's JSON error: the text says what it is
            }
            return Encoding.UTF8.GetString(Body).Trim();
        }
    }
}

/// <summary>
/// A client of a toxiproxy-style control API, Sockit's own or toxiproxy's: one request per connection, written and read
/// with Sockit's HTTP codec. It asks in HTTP/1.0, so the answer ends with the connection and is never chunked.
/// </summary>
internal static class ControlClient
{
    private const int MaxReply = 16 * 1024 * 1024;

    /// <summary>Sends one request to the API at <paramref name="api"/> and reads the whole answer.</summary>
    /// <param name="api">Where the API listens (toxiproxy's default is 127.0.0.1:8474).</param>
    /// <param name="method">GET, POST, PATCH or DELETE.</param>
    /// <param name="path">The path, such as <c>/proxies</c>; names in it must be escaped by the caller.</param>
    /// <param name="json">The JSON body, or empty for none.</param>
    /// <param name="timeout">How long the whole exchange may take (default 10 seconds).</param>
    /// <param name="cancellationToken">Cancels the exchange.</param>
    /// <exception cref="SockitException">The API cannot be reached, does not answer in time, or does not answer HTTP.</exception>
    public static async Task<ControlReply> SendAsync(Endpoint api, string method, string path, ReadOnlyMemory<byte> json = default,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(api);
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            await using var connection = await Dialer.ConnectAsync(api, cancellationToken: deadline.Token).ConfigureAwait(false);
            await connection.SendAsync(Request(api, method, path, json), deadline.Token).ConfigureAwait(false);
            var reply = new ArrayBufferWriter<byte>(4096);
            try
            {
                int received;
                while ((received = await connection.ReceiveAsync(reply.GetMemory(4096), deadline.Token).ConfigureAwait(false)) > 0)
                {
                    reply.Advance(received);
                    if (reply.WrittenCount > MaxReply) throw new SockitException(SockitError.Other, $"the control API at {api} sent more than {MaxReply / 1024 / 1024} MiB");
                }
            }
            catch (SockitException ex) when (ex.Error == SockitError.ConnectionReset && reply.WrittenCount > 0)
            {
                // A server that answers and closes before reading all of the request resets; what arrived is the answer.
            }
            return Parse(api, reply.WrittenMemory);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new SockitException(SockitError.TimedOut, $"the control API at {api} did not answer within {limit.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s");
        }
    }

    private static byte[] Request(Endpoint api, string method, string path, ReadOnlyMemory<byte> json)
    {
        var host = api.IsUnixDomain ? "localhost" : api.Host!.Contains(':', StringComparison.Ordinal) ? $"[{api.Host}]:{api.Port}" : $"{api.Host}:{api.Port}";
        var request = new ArrayBufferWriter<byte>(256 + json.Length);
        HttpWriter.Latin1(request, $"{method} {path} HTTP/1.0\r\n");
        HttpWriter.Header(request, "Host", host);
        HttpWriter.Header(request, "User-Agent", "sockit");
        if (!json.IsEmpty || method is "POST" or "PATCH")
        {
            HttpWriter.Header(request, "Content-Type", "application/json");
            HttpWriter.ContentLength(request, json.Length);
        }
        request.Write("\r\n"u8);
        request.Write(json.Span);
        return request.WrittenSpan.ToArray();
    }

    private static ControlReply Parse(Endpoint api, ReadOnlyMemory<byte> reply)
    {
        var scanned = 0;
        var headEnd = HttpHead.FindEnd(reply.Span, ref scanned);
        if (headEnd < 0 || !ResponseHead.TryParse(reply.Span[..headEnd], out var head))
            throw new SockitException(SockitError.Other, $"{api} did not answer HTTP; is it a toxiproxy-compatible control API (sockit proxy --api, toxiproxy-server)?");
        var body = reply[headEnd..];
        if (head.ContentLength >= 0 && head.ContentLength < body.Length) body = body[..(int)head.ContentLength];
        return new ControlReply(head.Status, body.ToArray());
    }
}
