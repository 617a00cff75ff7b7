using System.Runtime.CompilerServices;
using System.Text;
using Sockit.Http;
using Sockit.Transport;

namespace Sockit.Load;

/// <summary>
/// HTTP/1.1 over keep-alive: one request, the whole response read (Content-Length, chunked, or to EOF), its status
/// counted, repeat; a new connection whenever the server closes one. The request is built once.
/// </summary>
internal sealed class HttpWorker : LoadWorker
{
    private readonly byte[] _request;
    private readonly bool _head;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start, _end; // unread bytes of _buffer

    public HttpWorker(LoadRun run, int index) : base(run, index)
    {
        var options = run.Options;
        _head = options.HttpMethod == "HEAD";
        var withBody = options.HttpMethod is not ("GET" or "HEAD");
        var host = options.Target.IsUnixDomain ? "localhost" : options.Target.Host!.Contains(':', StringComparison.Ordinal)
            ? $"[{options.Target.Host}]:{options.Target.Port}" : $"{options.Target.Host}:{options.Target.Port}";
        var head = $"{options.HttpMethod} {options.HttpPath} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: sockit-bench\r\n" +
                   (withBody ? $"Content-Type: application/octet-stream\r\nContent-Length: {options.Message.Length}\r\n" : "") + "\r\n";
        _request = [.. Encoding.ASCII.GetBytes(head), .. withBody ? options.Message.ToArray() : []];
    }

    public override Task RunAsync() => RunRequestsAsync(ExchangeAsync, connected: () => _start = _end = 0);

    /// <summary>One request and its whole response; true when the connection may carry the next.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // no allocation per request once warm
    private async ValueTask<bool> ExchangeAsync(Connection connection)
    {
        await connection.SendAsync(_request, Run.Stop).ConfigureAwait(false);
        Sent(_request.Length);
        var (status, keepAlive) = await ReadResponseAsync(connection).ConfigureAwait(false);
        if (Run.Counts(System.Diagnostics.Stopwatch.GetTimestamp())) Statuses[status]++;
        return keepAlive;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(int Status, bool KeepAlive)> ReadResponseAsync(Connection connection)
    {
        int headEnd, scanned = 0;
        while ((headEnd = HttpHead.FindEnd(_buffer.AsSpan(_start, _end - _start), ref scanned)) < 0)
        {
            var before = _start;
            await FillAsync(connection).ConfigureAwait(false);
            scanned -= before - _start; // the unread bytes moved to the front
        }
        if (!ResponseHead.TryParse(_buffer.AsSpan(_start, headEnd), out var head)) throw new UnexpectedReplyException();
        _start += headEnd;
        if (!head.HasBody(_head)) return (head.Status, head.KeepAlive);
        if (head.Chunked) await SkipChunkedAsync(connection).ConfigureAwait(false);
        else if (head.ContentLength >= 0) await SkipAsync(connection, head.ContentLength).ConfigureAwait(false);
        else
        {
            while (true) // no length: the body ends when the server closes
            {
                _start = _end = 0;
                if (!await TryFillAsync(connection).ConfigureAwait(false)) return (head.Status, false);
            }
        }
        return (head.Status, head.KeepAlive);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SkipChunkedAsync(Connection connection)
    {
        while (true)
        {
            int lineEnd;
            while ((lineEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0) await FillAsync(connection).ConfigureAwait(false);
            var sizeText = _buffer.AsSpan(_start, lineEnd);
            var semicolon = sizeText.IndexOf((byte)';');
            if (semicolon >= 0) sizeText = sizeText[..semicolon];
            if (!long.TryParse(sizeText.Trim(" \t"u8), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var size) || size < 0)
                throw new UnexpectedReplyException();
            _start += lineEnd + 2;
            if (size == 0)
            {
                // Trailer fields, then the blank line.
                while (true)
                {
                    while ((lineEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0) await FillAsync(connection).ConfigureAwait(false);
                    _start += lineEnd + 2;
                    if (lineEnd == 0) return;
                }
            }
            await SkipAsync(connection, size + 2).ConfigureAwait(false); // the data and its CRLF
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SkipAsync(Connection connection, long count)
    {
        while (true)
        {
            var available = _end - _start;
            if (available >= count)
            {
                _start += (int)count;
                return;
            }
            count -= available;
            _start = _end = 0;
            await FillAsync(connection).ConfigureAwait(false);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FillAsync(Connection connection)
    {
        if (!await TryFillAsync(connection).ConfigureAwait(false)) throw new ShortReplyException();
    }

    /// <summary>Reads more after the unread bytes (moving them to the front first); false at EOF.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> TryFillAsync(Connection connection)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) throw new UnexpectedReplyException(); // a response head over 64 KiB
        var read = await connection.ReceiveAsync(_buffer.AsMemory(_end), Run.Stop).ConfigureAwait(false);
        Received(read);
        _end += read;
        return read > 0;
    }
}
