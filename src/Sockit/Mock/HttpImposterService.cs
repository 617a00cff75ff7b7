using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Sockit.Hosting;
using Sockit.Http;
using Sockit.Transport;

namespace Sockit.Mock;

/// <summary>
/// An http imposter on one connection, on the shared <see cref="HttpRequestReader"/>: each request becomes
/// mountebank's request JSON (method, path, query, headers as sent, body), and the stub's response is written as node
/// writes it for mountebank: the stub's headers in order, <c>Connection: close</c> unless the stub says otherwise, a
/// Date, and the body chunked unless the stub gave a Content-Length (which is then corrected to the body's size).
/// </summary>
internal sealed class HttpImposterService(Imposter imposter) : IConnectionService
{
    private static readonly HttpLimits Limits = new()
    {
        MaxBody = 16 * 1024 * 1024,
        HeaderTimeout = TimeSpan.FromSeconds(30),
        KeepAliveTimeout = TimeSpan.FromMinutes(5),
    };

    public async Task ServeAsync(Connection connection, ConnectionContext context)
    {
        using var reader = new HttpRequestReader(connection, Limits, context.Stopping, context.Abort);
        var output = new ArrayBufferWriter<byte>(1024);
        var requestFrom = Imposter.SocketName(connection.RemoteEndpoint);
        try
        {
            while (true)
            {
                JsonObject request;
                string rawUrl;
                bool isHead, http11, clientKeepAlive;
                try
                {
                    if (!await reader.ReadRequestAsync().ConfigureAwait(false)) return;
                    rawUrl = reader.Target;
                    request = ToRequest(reader, requestFrom, connection.RemoteEndpoint.Host ?? "");
                    isHead = reader.Head.IsHead;
                    http11 = reader.Head.Http11;
                    clientKeepAlive = reader.Head.KeepAlive;
                    reader.Done();
                }
                catch (HttpError error)
                {
                    // A malformed request gets its status and a close; the imposter goes on serving others.
                    output.ResetWrittenCount();
                    HttpWriter.StatusLine(output, error.Status);
                    output.Write("Connection: close\r\nContent-Length: 0\r\n\r\n"u8);
                    await connection.SendOrFailAsync(output.WrittenMemory, context.Abort).ConfigureAwait(false);
                    return;
                }
                context.Requests++;
                var (answer, errors, toxics) = await imposter.TryRespondAsync(request, rawUrl, context.Abort).ConfigureAwait(false);
                var response = answer ?? ErrorResponse(errors!); // as mountebank's 500
                switch (response["fault"] is JsonNode f ? Js.ToText(f) : null)
                {
                    case "CONNECTION_RESET_BY_PEER":
                        context.Outcome = "fault CONNECTION_RESET_BY_PEER";
                        return;
                    case "RANDOM_DATA_THEN_CLOSE":
                        context.Outcome = "fault RANDOM_DATA_THEN_CLOSE";
                        await connection.SendOrFailAsync(TcpImposterService.RandomData, context.Abort).ConfigureAwait(false);
                        return;
                }
                var close = WriteResponse(output, response, imposter.DefaultResponse, isHead, http11) || !clientKeepAlive || context.Stopping.IsCancellationRequested;
                if (toxics is not null)
                {
                    var end = await toxics.SendAsync(connection, output.WrittenMemory, context.Abort).ConfigureAwait(false);
                    if (end == ReplyEnd.Reset) TcpImposterService.ResetByToxic(connection, context);
                    if (end != ReplyEnd.KeepOpen || close) return;
                    continue;
                }
                if (await connection.SendOrFailAsync(output.WrittenMemory, context.Abort).ConfigureAwait(false) < 0 || close) return;
            }
        }
        catch (OperationCanceledException)
        {
            // the imposter is stopping
        }
    }

    private static JsonObject ErrorResponse(List<MockError> errors) => new()
    {
        ["statusCode"] = 500,
        ["headers"] = new JsonObject { ["content-type"] = "application/json" },
        ["body"] = Js.Stringify(new JsonObject { ["errors"] = new JsonArray([.. errors.Select(e => e.ToJson())]) }),
    };

    /// <summary>mountebank's request JSON (httpRequest.js).</summary>
    internal static JsonObject ToRequest(HttpRequestReader reader, string requestFrom, string ip)
    {
        var target = reader.Target;
        var question = target.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? target : target[..question];
        // An absolute-form target (a proxy's request) has its path taken out; "/x" is a path already (and on Unix would parse as a file URI).
        if (!path.StartsWith('/') && Uri.TryCreate(path, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("http", StringComparison.Ordinal)) path = absolute.AbsolutePath;
        var headers = new JsonObject();
        var buffer = reader.HeadBuffer;
        string? contentType = null;
        foreach (var (nameStart, nameLength, valueStart, valueLength) in reader.Head.Headers)
        {
            var name = Encoding.Latin1.GetString(buffer.Slice(nameStart, nameLength));
            var value = Encoding.Latin1.GetString(buffer.Slice(valueStart, valueLength));
            if (name.Equals("content-type", StringComparison.OrdinalIgnoreCase)) contentType ??= value;
            MockProxy.AddHeader(headers, name, value);
        }
        var body = Imposter.Utf8.GetString(reader.Body);
        var request = new JsonObject
        {
            ["requestFrom"] = requestFrom,
            ["method"] = reader.Method,
            ["path"] = path.Length == 0 ? "/" : path,
            ["query"] = ParseQuery(question < 0 ? "" : target[(question + 1)..]),
            ["headers"] = headers,
            ["body"] = body,
            ["ip"] = ip,
        };
        if (body.Length > 0 && contentType is not null && contentType.Split(';')[0].Trim() == "application/x-www-form-urlencoded") request["form"] = ParseQuery(body);
        return request;
    }

    /// <summary>node's querystring.parse: '+' is a space, a repeated key an array, a key without '=' the empty string.</summary>
    internal static JsonObject ParseQuery(string query)
    {
        var result = new JsonObject();
        foreach (var pair in query.Split('&'))
        {
            if (pair.Length == 0) continue;
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Decode(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
            MockProxy.AddHeader(result, key, value);
        }
        return result;
    }

    private static string Decode(string text)
    {
        text = text.Replace('+', ' ');
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            return text;
        }
    }

    /// <summary>
    /// <see cref="Write"/>, from the prepared bytes when the response is a stub's fixed one and the request the usual
    /// kind (HTTP/1.1, not HEAD): only the Date changes from one reply to the next.
    /// </summary>
    private static bool WriteResponse(ArrayBufferWriter<byte> output, JsonObject response, JsonObject? defaultResponse, bool isHead, bool http11)
    {
        if (isHead || !http11 || PreparedReply.For(response) is not { } slot) return Write(output, response, defaultResponse, isHead, http11, out _);
        if (slot.Http is not { } prepared)
        {
            var made = new ArrayBufferWriter<byte>(256);
            var close = Write(made, response, defaultResponse, isHead, http11, out var dateAt, date: false);
            slot.Http = prepared = new PreparedHttp(made.WrittenSpan.ToArray(), dateAt, close);
        }
        output.ResetWrittenCount();
        if (prepared.DateAt < 0)
        {
            output.Write(prepared.Bytes);
            return prepared.Close;
        }
        output.Write(prepared.Bytes.AsSpan(0, prepared.DateAt));
        output.Write(HttpDate.Line());
        output.Write(prepared.Bytes.AsSpan(prepared.DateAt));
        return prepared.Close;
    }

    /// <summary>
    /// Writes the response as node's http server does for mountebank; true when the connection closes after it.
    /// <paramref name="dateAt"/> is where the Date header goes (or went) when the stub gave none, -1 when it gave one;
    /// with <paramref name="date"/> false its place is left empty, for a prepared reply.
    /// </summary>
    private static bool Write(ArrayBufferWriter<byte> output, JsonObject stubResponse, JsonObject? defaultResponse, bool isHead, bool http11, out int dateAt, bool date = true)
    {
        var status = Js.TryInteger(stubResponse["statusCode"], out var s) && s > 0 ? (int)s
            : Js.TryInteger(defaultResponse?["statusCode"], out var d) && d > 0 ? (int)d : 200;
        var (headers, body) = Finish(stubResponse, defaultResponse);
        string? Find(string name) => headers.Select(p => p.Key).FirstOrDefault(k => k.Equals(name, StringComparison.OrdinalIgnoreCase));
        var hasBody = !isHead && status is not (204 or 304) && status >= 200;
        output.ResetWrittenCount();
        HttpWriter.StatusLine(output, status);
        foreach (var (name, value) in headers)
        {
            foreach (var one in value is JsonArray many ? [.. many] : new[] { value }) HttpWriter.Header(output, name, Js.ToText(one));
        }
        dateAt = -1;
        if (Find("Date") is null)
        {
            dateAt = output.WrittenCount;
            if (date) output.Write(HttpDate.Line());
        }
        var chunked = hasBody && Find("Content-Length") is null && Find("Transfer-Encoding") is null && http11;
        if (chunked) output.Write("Transfer-Encoding: chunked\r\n"u8);
        output.Write("\r\n"u8);
        if (hasBody)
        {
            if (chunked && body.Length > 0) HttpWriter.Latin1(output, body.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n");
            output.Write(body);
            if (chunked) output.Write(body.Length > 0 ? "\r\n0\r\n\r\n"u8 : "0\r\n\r\n"u8);
        }
        var connection = Js.ToText(headers[Find("Connection")!]);
        return connection.Equals("close", StringComparison.OrdinalIgnoreCase) || !http11 && !connection.Equals("keep-alive", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The headers and body as they go out (baseHttpServer.js postProcess): the stub's or the default's, Connection:
    /// close added unless given, a Content-Length corrected to the body's size; an object body printed as JSON.
    /// </summary>
    internal static (JsonObject Headers, byte[] Body) Finish(JsonObject stubResponse, JsonObject? defaultResponse)
    {
        var headers = (stubResponse["headers"] ?? defaultResponse?["headers"] ?? new JsonObject()).DeepClone() as JsonObject ?? [];
        var bodyNode = Js.Truthy(stubResponse["body"]) ? stubResponse["body"] : Js.Truthy(defaultResponse?["body"]) ? defaultResponse!["body"] : null;
        var mode = Js.ToText(stubResponse["_mode"] ?? defaultResponse?["_mode"] ?? "text");
        byte[] body;
        if (bodyNode is null) body = [];
        else if (Js.IsObject(bodyNode)) body = Imposter.Utf8.GetBytes(Js.StringifyPretty(bodyNode));
        else if (mode == "binary") body = FromBase64(Js.ToText(bodyNode));
        else body = Imposter.Utf8.GetBytes(Js.ToText(bodyNode));
        string? Find(string name) => headers.Select(p => p.Key).FirstOrDefault(k => k.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (Find("Connection") is null) headers["Connection"] = "close";
        if (Find("Content-Length") is string length) headers[length] = body.Length;
        return (headers, body);
    }

    private static byte[] FromBase64(string text)
    {
        var clean = new string([.. text.Where(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=')]);
        try
        {
            return Convert.FromBase64String(clean);
        }
        catch (FormatException)
        {
            return [];
        }
    }
}

/// <summary>A stub's fixed HTTP response as bytes, with the place of the Date header that each reply fills in.</summary>
internal sealed record PreparedHttp(byte[] Bytes, int DateAt, bool Close);
