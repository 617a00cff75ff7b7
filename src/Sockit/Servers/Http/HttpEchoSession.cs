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
/// One HTTP/1.1 connection of the echo server: reads requests (keep-alive and pipelined), enforces every limit, and
/// answers each with what it received. Buffers are pooled and released while the connection is idle.
/// </summary>
internal sealed class HttpEchoSession : IDisposable
{
    private const int InitialBuffer = 4096;
    private const int MaxChunkLine = 4096;
    private static readonly byte[] Continue = "HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray();

    private readonly Connection _connection;
    private readonly ConnectionContext _context;
    private readonly HttpEchoOptions _options;
    private readonly RequestHead _head = new();
    private readonly EchoQuery _query = new();
    private readonly byte[] _source;
    private readonly CancellationTokenRegistration _onStopping;
    private CancellationTokenSource _timer;
    private ArrayBufferWriter<byte>? _response;
    private ArrayBufferWriter<byte>? _content;
    private Utf8JsonWriter? _json;
    private byte[]? _buffer;
    private int _start;
    private int _end;
    private byte[]? _body;
    private int _bodyLength;
    private int _headStart;
    private bool _inRequest;
    private volatile bool _idle;

    public HttpEchoSession(Connection connection, ConnectionContext context)
    {
        _connection = connection;
        _context = context;
        _options = context.Options.Http;
        _source = Encoding.ASCII.GetBytes(connection.RemoteEndpoint.ToString());
        _timer = CancellationTokenSource.CreateLinkedTokenSource(context.Abort);
        _onStopping = context.Stopping.Register(static s => ((HttpEchoSession)s!).WakeIfIdle(), this);
    }

    public async Task RunAsync()
    {
        while (true)
        {
            if (!await WaitForRequestAsync().ConfigureAwait(false)) return;
            try
            {
                ResetTimer(_options.HeaderTimeout);
                var headLength = await ReadHeadAsync().ConfigureAwait(false);
                if (headLength == 0) return;
                _headStart = _start;
                _inRequest = true; // from here the head must stay in the buffer: the echo copies it
                _head.Parse(_buffer.AsSpan(_headStart, headLength), _headStart, _options);
                var target = Encoding.Latin1.GetString(_buffer!, _head.Target.Start, _head.Target.Length);
                _query.Parse(target, _options);
                _start = _headStart + headLength;
                await ReadBodyAsync().ConfigureAwait(false);
                if (_query.Delay > TimeSpan.Zero) await Task.Delay(_query.Delay, _context.Abort).ConfigureAwait(false);

                var close = !_head.KeepAlive || _query.Close || _context.Stopping.IsCancellationRequested;
                WriteEcho(target, close);
                _inRequest = false;
                await SendResponseAsync().ConfigureAwait(false);
                _context.Requests++;
                if (close) return;
            }
            catch (HttpError error)
            {
                await RefuseAsync(error.Status, error.Message).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (!_context.Abort.IsCancellationRequested)
            {
                await RefuseAsync(408, $"the request did not arrive within {Durations.Format(_options.HeaderTimeout)} (--header-timeout)").ConfigureAwait(false);
                return;
            }
        }
    }

    /// <summary>Waits, holding no buffer, until the next request starts; false when the connection should end.</summary>
    private async Task<bool> WaitForRequestAsync()
    {
        if (_end > _start) return true; // a pipelined request is already here
        ReleaseBuffer();
        // A request that arrived before the stop is still answered; none is waited for after it.
        if (_context.Stopping.IsCancellationRequested) return HasUnreadBytes();
        ResetTimer(_options.KeepAliveTimeout);
        _idle = true;
        try
        {
            if (_context.Stopping.IsCancellationRequested) return HasUnreadBytes();
            await _connection.WaitReadableAsync(_timer.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!_context.Abort.IsCancellationRequested)
        {
            if (HasUnreadBytes()) return true;
            _context.Outcome = _context.Stopping.IsCancellationRequested ? "closed idle keep-alive at shutdown" : "closed idle keep-alive";
            return false;
        }
        finally
        {
            _idle = false;
        }
    }

    /// <summary>Reads until the blank line that ends the head; returns its length, or 0 when the peer closed between requests.</summary>
    private async Task<int> ReadHeadAsync()
    {
        var scanned = 0;
        while (true)
        {
            if (SkipLeadingBlankLines()) scanned = 0;
            var data = _buffer is null ? default : _buffer.AsSpan(_start, _end - _start);
            var end = FindHeadEnd(data, ref scanned);
            if (end > 0) return end;
            var firstLine = data.IndexOf((byte)'\n');
            if ((firstLine < 0 ? data.Length : firstLine) > _options.MaxRequestLine)
                throw new HttpError(414, $"request line longer than {_options.MaxRequestLine} bytes");
            if (data.Length > _options.MaxRequestLine + _options.MaxHeaderBytes + 2)
                throw new HttpError(431, $"header block larger than {_options.MaxHeaderBytes} bytes");
            if (await FillAsync().ConfigureAwait(false) == 0)
            {
                if (_end == _start) return 0;
                throw new HttpError(400, "the client stopped sending in the middle of the request head");
            }
        }
    }

    private bool SkipLeadingBlankLines()
    {
        // RFC 9112 §2.2: ignore at least one empty line before a request line.
        var skipped = false;
        while (_buffer is not null && _end > _start && (_buffer[_start] == '\n' || (_buffer[_start] == '\r' && _end > _start + 1 && _buffer[_start + 1] == '\n')))
        {
            _start += _buffer[_start] == '\r' ? 2 : 1;
            skipped = true;
        }
        return skipped;
    }

    private static int FindHeadEnd(ReadOnlySpan<byte> data, ref int scanned)
    {
        var from = Math.Max(0, scanned - 3);
        while (true)
        {
            var lf = data[from..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                scanned = data.Length;
                return -1;
            }
            var at = from + lf;
            if (at + 1 < data.Length && data[at + 1] == '\n') return at + 2;
            if (at + 2 < data.Length && data[at + 1] == '\r' && data[at + 2] == '\n') return at + 3;
            if (at + 2 >= data.Length)
            {
                scanned = at;
                return -1;
            }
            from = at + 1;
        }
    }

    /// <summary>Reads more bytes into the buffer, compacting or growing it within the limits; returns 0 at EOF.</summary>
    private async ValueTask<int> FillAsync()
    {
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            // Keep what is still needed (the head of a request in progress, else the unread bytes) at the front.
            var keep = _inRequest ? _headStart : _start;
            if (keep > 0)
            {
                Buffer.BlockCopy(_buffer, keep, _buffer, 0, _end - keep);
                _start -= keep;
                _end -= keep;
                if (_inRequest)
                {
                    _headStart = 0;
                    _head.Rebase(keep);
                }
            }
            else
            {
                var limit = _options.MaxRequestLine + _options.MaxHeaderBytes + MaxChunkLine + InitialBuffer;
                if (_buffer.Length >= limit) throw new HttpError(431, $"request head and framing over {limit} bytes");
                var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, limit));
                Buffer.BlockCopy(_buffer, 0, larger, 0, _end);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }
        }
        var read = await _connection.ReceiveAsync(_buffer.AsMemory(_end), _timer.Token).ConfigureAwait(false);
        _end += read;
        return read;
    }

    private async Task ReadBodyAsync()
    {
        _bodyLength = 0;
        if (!_head.Chunked && _head.ContentLength <= 0) return;
        if (_head.ContentLength > _options.MaxBody) throw new HttpError(413, $"body of {_head.ContentLength} bytes is over the {_options.MaxBody}-byte limit (--max-body)");
        if (_head.ExpectContinue) await _connection.SendAsync(Continue, _timer.Token).ConfigureAwait(false);
        ResetTimer(_options.HeaderTimeout); // the body gets the same allowance as the head
        if (_head.Chunked) await ReadChunkedAsync().ConfigureAwait(false);
        else await ReadIntoBodyAsync((int)_head.ContentLength).ConfigureAwait(false);
    }

    private async Task ReadChunkedAsync()
    {
        while (true)
        {
            var line = await ReadLineAsync().ConfigureAwait(false);
            var size = ParseChunkSize(line);
            if (size == 0)
            {
                // Trailer fields, then the blank line that ends the message.
                for (var trailers = 0; ; trailers++)
                {
                    if (trailers > _options.MaxHeaderCount) throw new HttpError(431, $"more than {_options.MaxHeaderCount} trailer fields");
                    if ((await ReadLineAsync().ConfigureAwait(false)).Length == 0) return;
                }
            }
            if (_bodyLength + size > _options.MaxBody) throw new HttpError(413, $"chunked body over the {_options.MaxBody}-byte limit (--max-body)");
            await ReadIntoBodyAsync((int)size).ConfigureAwait(false);
            if ((await ReadLineAsync().ConfigureAwait(false)).Length != 0) throw new HttpError(400, "chunk data not followed by CRLF");
        }
    }

    private static long ParseChunkSize(string line)
    {
        var end = line.IndexOfAny([';', ' ', '\t']);
        var digits = end < 0 ? line : line[..end];
        if (digits.Length is 0 or > 8 || !long.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size))
            throw new HttpError(400, $"malformed chunk size '{(line.Length > 20 ? line[..20] + "…" : line)}'");
        return size;
    }

    /// <summary>Reads one CRLF- or LF-terminated line of the body framing (chunk sizes, trailers) and consumes it.</summary>
    private async Task<string> ReadLineAsync()
    {
        while (true)
        {
            var data = _buffer is null ? default : _buffer.AsSpan(_start, _end - _start);
            var lf = data.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var line = Encoding.Latin1.GetString(data[..(lf > 0 && data[lf - 1] == '\r' ? lf - 1 : lf)]);
                _start += lf + 1;
                return line;
            }
            if (data.Length > MaxChunkLine) throw new HttpError(400, $"chunk-size or trailer line longer than {MaxChunkLine} bytes");
            if (await FillAsync().ConfigureAwait(false) == 0) throw new HttpError(400, "the client stopped sending in the middle of a chunked body");
        }
    }

    private async Task ReadIntoBodyAsync(int count)
    {
        if (_body is null || _body.Length < _bodyLength + count)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_bodyLength + count, 4096));
            if (_body is not null)
            {
                Buffer.BlockCopy(_body, 0, larger, 0, _bodyLength);
                ArrayPool<byte>.Shared.Return(_body);
            }
            _body = larger;
        }
        var buffered = Math.Min(count, _end - _start);
        if (buffered > 0) Buffer.BlockCopy(_buffer!, _start, _body, _bodyLength, buffered);
        _start += buffered;
        _bodyLength += buffered;
        for (var left = count - buffered; left > 0;)
        {
            var read = await _connection.ReceiveAsync(_body.AsMemory(_bodyLength, left), _timer.Token).ConfigureAwait(false);
            if (read == 0) throw new HttpError(400, $"the client stopped sending {left} bytes short of the body");
            _bodyLength += read;
            left -= read;
        }
    }

    private void WriteEcho(string target, bool close)
    {
        _content ??= new ArrayBufferWriter<byte>(1024);
        _content.ResetWrittenCount();
        var json = _query.Json ?? _head.WantsJson;
        if (json) WriteJsonEcho(target);
        else WriteTextEcho();
        WriteHead(_query.Status, json ? "application/json"u8 : "text/plain; charset=utf-8"u8, close, _query.Headers, _head.IsHead);
    }

    private void WriteTextEcho()
    {
        var head = _buffer.AsSpan();
        var content = _content!;
        content.Write("Request Method: "u8);
        content.Write(head.Slice(_head.Method.Start, _head.Method.Length));
        content.Write("\nRequest Target: "u8);
        content.Write(head.Slice(_head.Target.Start, _head.Target.Length));
        content.Write(_head.Http11 ? "\nRequest Version: HTTP/1.1\nRequest Source: "u8 : "\nRequest Version: HTTP/1.0\nRequest Source: "u8);
        content.Write(_source);
        content.Write("\nResponse Status: "u8);
        WriteStatus(content, _query.Status);
        content.Write("\n\n"u8);
        foreach (var (nameStart, nameLength, valueStart, valueLength) in _head.Headers)
        {
            content.Write(head.Slice(nameStart, nameLength));
            content.Write(": "u8);
            content.Write(head.Slice(valueStart, valueLength));
            content.Write("\n"u8);
        }
        content.Write("\n"u8);
        if (_bodyLength > 0) content.Write(_body.AsSpan(0, _bodyLength));
    }

    private void WriteJsonEcho(string target)
    {
        var head = _buffer.AsSpan();
        if (_json is null) _json = new Utf8JsonWriter(_content!);
        else _json.Reset(_content!);
        var json = _json;
        json.WriteStartObject();
        WriteJsonString(json, "method"u8, head.Slice(_head.Method.Start, _head.Method.Length));
        json.WriteString("target"u8, target);
        json.WriteString("version"u8, _head.Http11 ? "HTTP/1.1"u8 : "HTTP/1.0"u8);
        json.WriteString("source"u8, _source);
        json.WriteNumber("status"u8, _query.Status);
        json.WriteString("reason"u8, ReasonPhrases.Of(_query.Status));
        json.WriteStartArray("headers"u8);
        foreach (var (nameStart, nameLength, valueStart, valueLength) in _head.Headers)
        {
            json.WriteStartObject();
            WriteJsonString(json, "name"u8, head.Slice(nameStart, nameLength));
            WriteJsonString(json, "value"u8, head.Slice(valueStart, valueLength));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        var body = _body.AsSpan(0, _bodyLength);
        if (Utf8.IsValid(body)) json.WriteString("body"u8, body);
        else json.WriteBase64String("bodyBase64"u8, body);
        json.WriteNumber("bodyLength"u8, _bodyLength);
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
        response.Write("HTTP/1.1 "u8);
        WriteStatus(response, status);
        response.Write("\r\nServer: sockit\r\nContent-Type: "u8);
        response.Write(contentType);
        if (hasContent)
        {
            response.Write("\r\nContent-Length: "u8);
            WriteNumber(response, _content!.WrittenCount);
        }
        if (close) response.Write("\r\nConnection: close"u8);
        else if (!_head.Http11) response.Write("\r\nConnection: keep-alive"u8);
        foreach (var (name, value) in extra)
        {
            response.Write("\r\n"u8);
            WriteLatin1(response, name);
            response.Write(": "u8);
            WriteLatin1(response, value);
        }
        response.Write("\r\n\r\n"u8);
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
        WriteLatin1(_content, $"{status} {ReasonPhrases.Of(status)}: {reason}\n");
        WriteHead(status, "text/plain; charset=utf-8"u8, close: true, [], headOnly: false);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_context.Abort);
            deadline.CancelAfter(TimeSpan.FromSeconds(5)); // a client that does not read its error must not hold us
            await _connection.SendAsync(_response!.WrittenMemory, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SockitException or OperationCanceledException)
        {
            // It left or does not read: the log still says why it was refused.
        }
    }

    private async Task SendResponseAsync()
    {
        _bodyLength = 0;
        await _connection.SendAsync(_response!.WrittenMemory, _context.Abort).ConfigureAwait(false);
    }

    private static void WriteStatus(ArrayBufferWriter<byte> writer, int status)
    {
        WriteNumber(writer, status);
        writer.Write(" "u8);
        WriteLatin1(writer, ReasonPhrases.Of(status));
    }

    private static void WriteNumber(ArrayBufferWriter<byte> writer, long value)
    {
        value.TryFormat(writer.GetSpan(20), out var written, provider: CultureInfo.InvariantCulture);
        writer.Advance(written);
    }

    private static void WriteLatin1(ArrayBufferWriter<byte> writer, string text)
    {
        var written = Encoding.Latin1.GetBytes(text, writer.GetSpan(text.Length));
        writer.Advance(written);
    }

    private void ResetTimer(TimeSpan limit)
    {
        if (!_timer.TryReset())
        {
            _timer.Dispose();
            _timer = CancellationTokenSource.CreateLinkedTokenSource(_context.Abort);
        }
        _timer.CancelAfter(limit);
    }

    private bool HasUnreadBytes()
    {
        try
        {
            return _connection.HasUnreadBytes;
        }
        catch (Exception ex) when (ex is ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private void WakeIfIdle()
    {
        if (_idle) _timer.Cancel();
    }

    private void ReleaseBuffer()
    {
        if (_buffer is not null) ArrayPool<byte>.Shared.Return(_buffer);
        if (_body is not null) ArrayPool<byte>.Shared.Return(_body);
        _buffer = _body = null;
        _start = _end = _headStart = 0;
        _inRequest = false;
    }

    public void Dispose()
    {
        _onStopping.Dispose();
        _timer.Dispose();
        _json?.Dispose();
        ReleaseBuffer();
    }
}
