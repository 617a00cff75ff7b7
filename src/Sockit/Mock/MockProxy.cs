using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Sockit.Endpoints;
using Sockit.Http;
using Sockit.Transport;

namespace Sockit.Mock;

/// <summary>
/// The proxy response: the request sent on to the real service and its answer turned into an <c>is</c> response, as
/// mountebank's tcpProxy.js (one packet back, then close) and httpProxy.js (the whole response; a JSON body parsed,
/// a binary one in base64) do. Each call has its own connection, so proxies of different requests share nothing.
/// </summary>
internal static class MockProxy
{
    private const int MaxResponse = 16 * 1024 * 1024;

    private static readonly string[] BinaryEncodings = ["gzip", "br", "compress", "deflate"];

    private static readonly string[] BinaryTypes =
    [
        "audio/", "application/epub+zip", "application/gzip", "application/java-archive", "application/msword", "application/octet-stream", "application/pdf",
        "application/rtf", "application/vnd.ms-excel", "application/vnd.ms-fontobject", "application/vnd.ms-powerpoint", "application/vnd.visio",
        "application/x-shockwave-flash", "application/x-tar", "application/zip", "font/", "image/", "model/", "video/",
    ];

    public static async Task<JsonObject> TcpAsync(string to, JsonObject request, bool binary, JsonObject proxy, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(to, UriKind.Absolute, out var url) || url.Scheme != "tcp")
            throw new MockError(MockError.InvalidProxy, "Unable to proxy to any protocol other than tcp", JsonValue.Create(to));
        var data = Js.ToText(request["data"]);
        var bytes = binary ? Convert.FromBase64String(data) : Imposter.Utf8.GetBytes(data);
        await using var upstream = await ConnectAsync(url, to, cancellationToken).ConfigureAwait(false);
        await upstream.SendAsync(bytes, cancellationToken).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var received = await upstream.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            var reply = buffer.AsSpan(0, received);
            return new JsonObject { ["data"] = binary ? Convert.ToBase64String(reply) : Imposter.Utf8.GetString(reply) };
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<Connection> ConnectAsync(Uri url, string to, CancellationToken cancellationToken)
    {
        try
        {
            var port = url.IsDefaultPort && url.Scheme == "http" ? 80 : url.Port;
            return await Dialer.ConnectAsync(Endpoint.ForHost(TransportKind.Tcp, url.Host, port), new DialOptions { ConnectTimeout = TimeSpan.FromSeconds(10) }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (SockitException ex) when (ex.Error == SockitError.UnknownHost)
        {
            throw new MockError(MockError.InvalidProxy, $"Cannot resolve {Js.Stringify(JsonValue.Create(to))}");
        }
        catch (SockitException)
        {
            throw new MockError(MockError.InvalidProxy, $"Unable to connect to {Js.Stringify(JsonValue.Create(to))}");
        }
    }

    public static async Task<JsonObject> HttpAsync(string to, JsonObject request, string? rawUrl, JsonObject proxy, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(to, UriKind.Absolute, out var url) || url.Scheme != "http")
            throw new MockError(MockError.InvalidProxy, $"Unable to connect to {Js.Stringify(JsonValue.Create(to))}");
        var headers = request["headers"]?.DeepClone() as JsonObject ?? [];
        foreach (var (key, value) in proxy["injectHeaders"] as JsonObject ?? []) headers[key] = value?.DeepClone();
        if (!(proxy["injectHeaders"] as JsonObject ?? []).Any(p => p.Key.Equals("host", StringComparison.OrdinalIgnoreCase)))
        {
            foreach (var name in headers.Select(p => p.Key).Where(k => k.Equals("host", StringComparison.OrdinalIgnoreCase)).ToList()) headers.Remove(name);
            headers["host"] = url.IsDefaultPort ? url.Host : $"{url.Host}:{url.Port}";
        }
        var body = Imposter.Utf8.GetBytes(Js.ToText(request["body"] ?? ""));
        if (body.Length > 0 && !headers.Any(p => p.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) || p.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
            headers["Content-Length"] = body.Length;
        var message = new ArrayBufferWriter<byte>(512);
        HttpWriter.Latin1(message, $"{Js.ToText(request["method"])} {rawUrl ?? Js.ToText(request["path"])} HTTP/1.1\r\n");
        foreach (var (name, value) in headers)
        {
            foreach (var one in value is JsonArray many ? [.. many] : new[] { value }) HttpWriter.Header(message, name, Js.ToText(one));
        }
        message.Write("\r\n"u8);
        message.Write(body);
        await using var upstream = await ConnectAsync(url, to, cancellationToken).ConfigureAwait(false);
        await upstream.SendAsync(message.WrittenMemory, cancellationToken).ConfigureAwait(false);
        return await ReadResponseAsync(upstream, Js.ToText(request["method"]) == "HEAD", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads one response (Content-Length, chunked, or up to the close) into mountebank's response JSON.</summary>
    private static async Task<JsonObject> ReadResponseAsync(Connection upstream, bool toHead, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        var length = 0;
        var scanned = 0;
        int headLength;
        while ((headLength = HttpHead.FindEnd(buffer.AsSpan(0, length), ref scanned)) < 0)
        {
            if (length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            if (buffer.Length > MaxResponse) throw new MockError(MockError.InvalidProxy, "the proxied response's head is too large");
            var read = await upstream.ReceiveAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new MockError(MockError.InvalidProxy, "the proxied service closed without a response");
            length += read;
        }
        if (!ResponseHead.TryParse(buffer.AsSpan(0, headLength), out var head)) throw new MockError(MockError.InvalidProxy, "the proxied service did not answer HTTP/1.x");
        var headers = ParseHeaders(Encoding.Latin1.GetString(buffer, 0, headLength));
        var body = new MemoryStream();
        body.Write(buffer, headLength, length - headLength);
        if (head.HasBody(toHead))
        {
            if (head.Chunked) body = await ReadChunkedAsync(upstream, body.ToArray(), cancellationToken).ConfigureAwait(false);
            else await ReadToAsync(upstream, body, head.ContentLength, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            body.SetLength(0);
        }
        var binary = IsBinary(headers);
        var text = binary ? Convert.ToBase64String(body.GetBuffer(), 0, (int)body.Length) : Imposter.Utf8.GetString(body.GetBuffer(), 0, (int)body.Length);
        return new JsonObject
        {
            ["statusCode"] = head.Status,
            ["headers"] = headers,
            ["body"] = Js.TryParse(text) ?? JsonValue.Create(text),
            ["_mode"] = binary ? "binary" : "text",
        };
    }

    private static async Task ReadToAsync(Connection upstream, MemoryStream body, long contentLength, CancellationToken cancellationToken)
    {
        var chunk = new byte[16 * 1024];
        while (contentLength < 0 || body.Length < contentLength)
        {
            if (body.Length > MaxResponse) throw new MockError(MockError.InvalidProxy, "the proxied response is larger than 16 MiB");
            var read = await upstream.ReceiveAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (read == 0) break;
            body.Write(chunk, 0, read);
        }
        if (contentLength >= 0 && body.Length > contentLength) body.SetLength(contentLength);
    }

    private static async Task<MemoryStream> ReadChunkedAsync(Connection upstream, byte[] start, CancellationToken cancellationToken)
    {
        var raw = new MemoryStream();
        raw.Write(start);
        var result = new MemoryStream();
        var position = 0;
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var data = raw.GetBuffer().AsSpan(0, (int)raw.Length);
            var lineEnd = data[position..].IndexOf("\r\n"u8);
            if (lineEnd >= 0)
            {
                var sizeText = Encoding.ASCII.GetString(data.Slice(position, lineEnd)).Split(';')[0].Trim();
                var size = int.Parse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0) return result;
                if (data.Length >= position + lineEnd + 2 + size + 2)
                {
                    result.Write(data.Slice(position + lineEnd + 2, size));
                    position += lineEnd + 2 + size + 2;
                    continue;
                }
            }
            if (raw.Length > MaxResponse) throw new MockError(MockError.InvalidProxy, "the proxied response is larger than 16 MiB");
            var read = await upstream.ReceiveAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (read == 0) return result;
            raw.Write(chunk, 0, read);
        }
    }

    /// <summary>The header lines of a head, in order and case as sent; a repeated name becomes an array.</summary>
    internal static JsonObject ParseHeaders(string head)
    {
        var headers = new JsonObject();
        foreach (var line in head.Split('\n').Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) continue;
            AddHeader(headers, line[..colon], line[(colon + 1)..].Trim(' ', '\t', '\r'));
        }
        return headers;
    }

    internal static void AddHeader(JsonObject headers, string name, string value)
    {
        if (!headers.TryGetPropertyValue(name, out var current)) headers[name] = value;
        else if (current is JsonArray array) array.Add((JsonNode)JsonValue.Create(value));
        else headers[name] = new JsonArray(current!.DeepClone(), JsonValue.Create(value));
    }

    private static bool IsBinary(JsonObject headers)
    {
        string Get(string name) => Js.ToText(headers.FirstOrDefault(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value ?? "");
        var encoding = Get("content-encoding");
        var type = Get("content-type");
        return BinaryEncodings.Any(e => encoding.Contains(e, StringComparison.Ordinal)) || BinaryTypes.Any(t => type.Contains(t, StringComparison.Ordinal));
    }
}
