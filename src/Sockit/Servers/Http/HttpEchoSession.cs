using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Sockit.Hosting;
using Sockit.Http;
using Sockit.Transport;

namespace Sockit.Servers.Http;

/// <summary>
/// One HTTP/1.1 connection of the echo server: requests come from the shared <see cref="HttpRequestReader"/> (keep-alive,
/// pipelining and every limit), and each is answered with what it received.
/// </summary>
internal sealed class HttpEchoSession : IDisposable
{
    private readonly Connection _connection;
    private readonly ConnectionContext _context;
    private readonly HttpEchoOptions _options;
    private readonly HttpRequestReader _reader;
    private readonly EchoQuery _query = new();
    private byte[]? _source;
    private ArrayBufferWriter<byte>? _response;
    private ArrayBufferWriter<byte>? _content;
    private Utf8JsonWriter? _json;

    public HttpEchoSession(Connection connection, ConnectionContext context)
    {
        _connection = connection;
        _context = context;
        _options = context.Options.Http;
        _reader = new HttpRequestReader(connection, _options.Limits, context.Stopping, context.Abort);
    }

    private RequestHead Head => _reader.Head;

    /// <summary>The client's address as the echo shows it, formatted at its first request (a client that never sends one costs nothing).</summary>
    private byte[] Source => _source ??= Encoding.ASCII.GetBytes(_connection.RemoteEndpoint.ToString());

    public async Task RunAsync()
    {
        while (true)
        {
            try
            {
                if (!await _reader.ReadRequestAsync().ConfigureAwait(false))
                {
                    _context.Outcome = _reader.EndedBecause;
                    return;
                }
                var target = _reader.Target;
                _query.Parse(target, _options);
                if (_query.Delay > TimeSpan.Zero) await Task.Delay(_query.Delay, _context.Abort).ConfigureAwait(false);
                var close = !Head.KeepAlive || _query.Close || _context.Stopping.IsCancellationRequested;
                WriteEcho(target, close);
                _reader.Done();
                if (await _connection.SendOrFailAsync(_response!.WrittenMemory, _context.Abort).ConfigureAwait(false) < 0)
                {
                    _context.Outcome = "reset by peer before the answer was sent";
                    return;
                }
                _context.Requests++;
                if (close) return;
            }
            catch (HttpError error)
            {
                await RefuseAsync(error.Status, error.Message).ConfigureAwait(false);
                return;
            }
        }
    }

    private void WriteEcho(string target, bool close)
    {
        _content ??= new ArrayBufferWriter<byte>(1024);
        _content.ResetWrittenCount();
        var json = _query.Json ?? Head.WantsJson;
        if (json) WriteJsonEcho(target);
        else WriteTextEcho();
        WriteHead(_query.Status, json ? "application/json"u8 : "text/plain; charset=utf-8"u8, close, _query.Headers, Head.IsHead);
    }

    private void WriteTextEcho()
    {
        var head = _reader.HeadBuffer;
        var content = _content!;
        content.Write("Request Method: "u8);
        content.Write(head.Slice(Head.Method.Start, Head.Method.Length));
        content.Write("\nRequest Target: "u8);
        content.Write(head.Slice(Head.Target.Start, Head.Target.Length));
        content.Write(Head.Http11 ? "\nRequest Version: HTTP/1.1\nRequest Source: "u8 : "\nRequest Version: HTTP/1.0\nRequest Source: "u8);
        content.Write(Source);
        content.Write("\nResponse Status: "u8);
        HttpWriter.Status(content, _query.Status);
        content.Write("\n\n"u8);
        foreach (var (nameStart, nameLength, valueStart, valueLength) in Head.Headers)
        {
            content.Write(head.Slice(nameStart, nameLength));
            content.Write(": "u8);
            content.Write(head.Slice(valueStart, valueLength));
            content.Write("\n"u8);
        }
        content.Write("\n"u8);
        content.Write(_reader.Body);
    }

    private void WriteJsonEcho(string target)
    {
        var head = _reader.HeadBuffer;
        if (_json is null) _json = new Utf8JsonWriter(_content!);
        else _json.Reset(_content!);
        var json = _json;
        json.WriteStartObject();
        WriteJsonString(json, "method"u8, head.Slice(Head.Method.Start, Head.Method.Length));
        json.WriteString("target"u8, target);
        json.WriteString("version"u8, Head.Http11 ? "HTTP/1.1"u8 : "HTTP/1.0"u8);
        json.WriteString("source"u8, Source);
        json.WriteNumber("status"u8, _query.Status);
        json.WriteString("reason"u8, ReasonPhrases.Of(_query.Status));
        json.WriteStartArray("headers"u8);
        foreach (var (nameStart, nameLength, valueStart, valueLength) in Head.Headers)
        {
            json.WriteStartObject();
            WriteJsonString(json, "name"u8, head.Slice(nameStart, nameLength));
            WriteJsonString(json, "value"u8, head.Slice(valueStart, valueLength));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        var body = _reader.Body;
        if (Utf8.IsValid(body)) json.WriteString("body"u8, body);
        else json.WriteBase64String("bodyBase64"u8, body);
        json.WriteNumber("bodyLength"u8, body.Length);
        json.WriteEndObject();
        json.Flush();
    }

    private static void WriteJsonString(Utf8JsonWriter json, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (Utf8.IsValid(value)) json.WriteString(name, value);
        else json.WriteString(name, Encoding.Latin1.GetString(value)); // obs-text in a header: show it as Latin-1
    }

    private void WriteHead(int status, ReadOnlySpan<byte> contentType, bool close, List<(string Name, string Value)> extra, bool headOnly)
    {
        _response ??= new ArrayBufferWriter<byte>(1024);
        _response.ResetWrittenCount();
        var response = _response;
        var hasContent = status is not (204 or 304);
        HttpWriter.StatusLine(response, status);
        response.Write("Server: sockit\r\n"u8);
        HttpWriter.Header(response, "Content-Type"u8, contentType);
        if (hasContent) HttpWriter.ContentLength(response, _content!.WrittenCount);
        if (close) response.Write("Connection: close\r\n"u8);
        else if (!Head.Http11) response.Write("Connection: keep-alive\r\n"u8);
        foreach (var (name, value) in extra) HttpWriter.Header(response, name, value);
        response.Write("\r\n"u8);
        if (hasContent && !headOnly) response.Write(_content!.WrittenSpan);
    }

    private async Task RefuseAsync(int status, string reason)
    {
        _context.Outcome = $"{status} {ReasonPhrases.Of(status)}: {reason}";
        _context.LimitHit = status switch
        {
            408 => HostLimit.HeadTimeout,
            413 or 414 or 431 => HostLimit.TooLarge,
            _ => HostLimit.Malformed,
        };
        _content ??= new ArrayBufferWriter<byte>(256);
        _content.ResetWrittenCount();
        HttpWriter.Latin1(_content, $"{status} {ReasonPhrases.Of(status)}: {reason}\n");
        WriteHead(status, "text/plain; charset=utf-8"u8, close: true, [], headOnly: false);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_context.Abort);
            deadline.CancelAfter(TimeSpan.FromSeconds(5)); // a client that does not read its error must not hold us
            await _connection.SendOrFailAsync(_response!.WrittenMemory, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // It does not read: the log still says why it was refused.
        }
    }

    public void Dispose() => _reader.Dispose();
}
