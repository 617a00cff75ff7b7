using Sockit.Transport;

namespace Sockit.Tls;

/// <summary>
/// The raw bytes of a <see cref="Connection"/> as a Stream, for SslStream to read records from and write them to. It
/// calls the connection's raw operations, so TLS sits on the one I/O engine: same backpressure, FIN, RST and tracing.
/// </summary>
internal sealed class ConnectionStream(Connection connection, TlsRecordTrace? trace) : Stream
{
    private byte[]? _prefetched;
    private int _prefetchedStart, _prefetchedEnd;
    private TlsRecordTrace? _trace = trace;

    /// <summary>The layer told when SslStream's reader waits on the socket (set after the handshake).</summary>
    public TlsLayer? Layer { get; set; }

    /// <summary>Stops naming handshake messages (after the handshake, records are application data).</summary>
    public void EndTrace() => _trace = null;

    /// <summary>Reads the first bytes the peer sends, kept to be read again by SslStream; 0 at EOF.</summary>
    public async ValueTask<int> PrefetchAsync(CancellationToken cancellationToken)
    {
        _prefetched = new byte[512];
        _prefetchedEnd = await connection.RawReceiveAsync(_prefetched, cancellationToken).ConfigureAwait(false);
        return _prefetchedEnd;
    }

    /// <summary>The prefetched bytes.</summary>
    public ReadOnlySpan<byte> Prefetched => _prefetched.AsSpan(_prefetchedStart, _prefetchedEnd - _prefetchedStart);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_prefetchedStart < _prefetchedEnd)
        {
            if (buffer.IsEmpty) return 0;
            var n = Math.Min(buffer.Length, _prefetchedEnd - _prefetchedStart);
            _prefetched.AsSpan(_prefetchedStart, n).CopyTo(buffer.Span);
            _prefetchedStart += n;
            _trace?.Saw(received: true, buffer.Span[..n]);
            return n;
        }
        var layer = Layer;
        layer?.ReaderParks();
        try
        {
            if (buffer.IsEmpty)
            {
                // SslStream's zero-byte read: wait for data without a buffer, as an idle connection should.
                await connection.RawWaitReadableAsync(cancellationToken).ConfigureAwait(false);
                return 0;
            }
            var read = await connection.RawReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            _trace?.Saw(received: true, buffer.Span[..read]);
            return read;
        }
        finally
        {
            layer?.ReaderResumes();
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _trace?.Saw(received: false, buffer.Span);
        return connection.RawSendAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // SslStream uses the asynchronous calls; these exist for a synchronous caller's sake.
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
