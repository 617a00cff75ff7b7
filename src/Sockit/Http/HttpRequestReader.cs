using System.Buffers;
using System.Globalization;
using System.Text;
using Sockit.Transport;

namespace Sockit.Http;

/// <summary>
/// The server side of Sockit's one HTTP/1.1 codec, for one connection: waits for a request holding no buffer, reads its
/// head (a CRLF or bare LF ends each line, as RFC 9112 lets a recipient accept) and its body (Content-Length or chunked,
/// with 100-continue), and enforces every limit of <see cref="HttpLimits"/> with its status. Keep-alive and pipelining
/// work: bytes after one request stay for the next. Buffers come from the pool and go back while the connection idles.
/// Used by http-echo, the control API and the mock.
/// </summary>
internal sealed class HttpRequestReader : IDisposable
{
    private const int InitialBuffer = 4096;
    private const int MaxChunkLine = 4096;
    private static readonly byte[] Continue = "HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray();

    private readonly Connection _connection;
    private readonly HttpLimits _limits;
    private readonly CancellationToken _stopping;
    private readonly CancellationToken _abort;
    private readonly CancellationTokenRegistration _onStopping;
    private CancellationTokenSource _timer;
    private byte[]? _buffer;
    private int _start;
    private int _end;
    private byte[]? _body;
    private int _bodyLength;
    private int _headStart;
    private int _headLength;
    private bool _inRequest;
    private volatile bool _idle;

    /// <param name="connection">The connection to read.</param>
    /// <param name="limits">What to accept.</param>
    /// <param name="stopping">Cancelled when the server drains: a request already sent is still read, none is waited for.</param>
    /// <param name="abort">Cancelled when the server stops at once.</param>
    public HttpRequestReader(Connection connection, HttpLimits limits, CancellationToken stopping, CancellationToken abort)
    {
        _connection = connection;
        _limits = limits;
        _stopping = stopping;
        _abort = abort;
        _timer = CancellationTokenSource.CreateLinkedTokenSource(abort);
        _onStopping = stopping.Register(static s => ((HttpRequestReader)s!).WakeIfIdle(), this);
    }

    /// <summary>The request read last.</summary>
    /// <remarks>Valid after <see cref="ReadRequestAsync"/> returned true.</remarks>
    public RequestHead Head { get; } = new();

    /// <summary>The buffer <see cref="Head"/>'s ranges point into, valid until the next read.</summary>
    public ReadOnlySpan<byte> HeadBuffer => _buffer;

    /// <summary>The request's body, valid until the next read.</summary>
    public ReadOnlySpan<byte> Body => _body.AsSpan(0, _bodyLength);

    /// <summary>The request's method, as a string.</summary>
    public string Method => Encoding.ASCII.GetString(_buffer!, Head.Method.Start, Head.Method.Length);

    /// <summary>The request target, as sent (path and query).</summary>
    public string Target => Encoding.Latin1.GetString(_buffer!, Head.Target.Start, Head.Target.Length);

    /// <summary>Why the last wait ended without a request: the client closed, or the connection sat idle too long.</summary>
    public string? EndedBecause { get; private set; }

    /// <summary>
    /// Waits for the next request without holding a buffer, then reads its head and body. False when the connection
    /// should end without an answer: the client closed between requests, the keep-alive timeout passed, or the server
    /// is stopping and nothing was sent.
    /// </summary>
    /// <exception cref="HttpError">The request is malformed, over a limit, or too slow (408); answer it and close.</exception>
    public async Task<bool> ReadRequestAsync()
    {
        if (!await WaitForRequestAsync().ConfigureAwait(false)) return false;
        try
        {
            ResetTimer(_limits.HeaderTimeout);
            var headLength = await ReadHeadAsync().ConfigureAwait(false);
            if (headLength == 0)
            {
                EndedBecause ??= "closed by the client";
                return false;
            }
            _headStart = _start;
            _headLength = headLength;
            _inRequest = true; // from here the head stays in the buffer, for the caller to read
            Head.Parse(_buffer.AsSpan(_headStart, headLength), _headStart, _limits);
            _start = _headStart + headLength;
            await ReadBodyAsync().ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
        {
            throw new HttpError(408, $"the request did not arrive within {Durations.Format(_limits.HeaderTimeout)}{Raise(_limits.HeaderTimeoutOption)}");
        }
    }

    /// <summary>Marks the request answered: its head and body may be overwritten by the next one.</summary>
    public void Done()
    {
        _inRequest = false;
        _bodyLength = 0;
    }

    /// <summary>Whether bytes of a next request (pipelined) are already buffered.</summary>
    public bool HasBufferedRequest => _end > _start;

    private static string Raise(string? option) => option is null ? "" : $" ({option})";

    /// <summary>Waits, holding no buffer, until the next request starts; false when the connection should end.</summary>
    private async Task<bool> WaitForRequestAsync()
    {
        if (_end > _start) return true; // a pipelined request is already here
        ReleaseBuffer();
        // A request that arrived before the stop is still answered; none is waited for after it.
        if (_stopping.IsCancellationRequested) return HasUnreadBytes() || Ended("closed idle keep-alive at shutdown");
        ResetTimer(_limits.KeepAliveTimeout);
        _idle = true;
        try
        {
            if (_stopping.IsCancellationRequested) return HasUnreadBytes() || Ended("closed idle keep-alive at shutdown");
            await _connection.WaitReadableOrFailAsync(_timer.Token).ConfigureAwait(false); // a reset shows in the read that follows
            return true;
        }
        catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
        {
            return HasUnreadBytes() || Ended(_stopping.IsCancellationRequested ? "closed idle keep-alive at shutdown" : "closed idle keep-alive");
        }
        finally
        {
            _idle = false;
        }
    }

    private bool Ended(string why)
    {
        EndedBecause = why;
        return false;
    }

    /// <summary>Reads until the blank line that ends the head; returns its length, or 0 when the peer closed between requests.</summary>
    private async Task<int> ReadHeadAsync()
    {
        var scanned = 0;
        while (true)
        {
            if (SkipLeadingBlankLines()) scanned = 0;
            var data = _buffer is null ? default : _buffer.AsSpan(_start, _end - _start);
            var end = HttpHead.FindEnd(data, ref scanned);
            if (end > 0) return end;
            var firstLine = data.IndexOf((byte)'\n');
            if ((firstLine < 0 ? data.Length : firstLine) > _limits.MaxRequestLine)
                throw new HttpError(414, $"request line longer than {_limits.MaxRequestLine} bytes");
            if (data.Length > _limits.MaxRequestLine + _limits.MaxHeaderBytes + 2)
                throw new HttpError(431, $"header block larger than {_limits.MaxHeaderBytes} bytes");
            if (await FillAsync().ConfigureAwait(false) == 0)
            {
                if (_end == _start || EndedBecause is not null) return 0; // closed between requests, or reset: nobody to answer
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

    /// <summary>
    /// Reads more bytes into the buffer, compacting or growing it within the limits; returns 0 at EOF, and also when the
    /// peer reset the connection (then <see cref="EndedBecause"/> says so: a reset is routine, not worth an exception).
    /// </summary>
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
                    Head.Rebase(keep);
                }
            }
            else
            {
                var limit = _limits.MaxRequestLine + _limits.MaxHeaderBytes + MaxChunkLine + InitialBuffer;
                if (_buffer.Length >= limit) throw new HttpError(431, $"request head and framing over {limit} bytes");
                var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, limit));
                Buffer.BlockCopy(_buffer, 0, larger, 0, _end);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }
        }
        var read = await _connection.ReceiveOrFailAsync(_buffer.AsMemory(_end), _timer.Token).ConfigureAwait(false);
        if (read < 0)
        {
            EndedBecause = "reset by peer";
            return 0;
        }
        _end += read;
        return read;
    }

    private async Task ReadBodyAsync()
    {
        _bodyLength = 0;
        if (!Head.Chunked && Head.ContentLength <= 0) return;
        if (Head.ContentLength > _limits.MaxBody)
            throw new HttpError(413, $"body of {Head.ContentLength} bytes is over the {_limits.MaxBody}-byte limit{Raise(_limits.MaxBodyOption)}");
        if (Head.ExpectContinue) await _connection.SendAsync(Continue, _timer.Token).ConfigureAwait(false);
        ResetTimer(_limits.HeaderTimeout); // the body gets the same allowance as the head
        if (Head.Chunked) await ReadChunkedAsync().ConfigureAwait(false);
        else await ReadIntoBodyAsync((int)Head.ContentLength).ConfigureAwait(false);
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
                    if (trailers > _limits.MaxHeaderCount) throw new HttpError(431, $"more than {_limits.MaxHeaderCount} trailer fields");
                    if ((await ReadLineAsync().ConfigureAwait(false)).Length == 0) return;
                }
            }
            if (_bodyLength + size > _limits.MaxBody) throw new HttpError(413, $"chunked body over the {_limits.MaxBody}-byte limit{Raise(_limits.MaxBodyOption)}");
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

    private void ResetTimer(TimeSpan limit)
    {
        if (!_timer.TryReset())
        {
            _timer.Dispose();
            _timer = CancellationTokenSource.CreateLinkedTokenSource(_abort);
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
        ReleaseBuffer();
    }
}
