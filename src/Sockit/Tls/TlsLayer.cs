using System.Net.Security;
using System.Runtime.CompilerServices;
using Sockit.Transport;

namespace Sockit.Tls;

/// <summary>
/// The TLS layer of one connection: SslStream over the connection's raw bytes. Once attached, the connection's
/// receive, send, wait and shutdown go through it, so every service speaks TLS without knowing.
/// </summary>
internal sealed class TlsLayer(SslStream ssl, TlsSession session)
{
    private Exception? _readError, _writeError;
    private int _closedWrite;
    private long _bytesReceived, _bytesSent;

    /// <summary>Plaintext bytes received so far (what the application sees, not the records on the wire).</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Plaintext bytes sent so far.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public TlsSession Session { get; } = session;

    public SslStream Ssl => ssl;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            var read = await ssl.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            _bytesReceived += read; // one receive at a time
            return read;
        }
        catch (Exception ex) when (TlsFailures.Translate(ex) is { } translated && !ReferenceEquals(translated, ex))
        {
            throw translated;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadOrFailAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            var read = await ssl.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            _bytesReceived += read;
            return read;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _readError = TlsFailures.Translate(ex);
            return -1;
        }
    }

    /// <summary>
    /// Waits until plaintext (or EOF) can be read. SslStream's zero-byte read returns at once when it holds decrypted
    /// bytes, and otherwise waits on the socket without a buffer: a raw readable edge alone would miss records it holds.
    /// </summary>
    public async ValueTask WaitAsync(CancellationToken cancellationToken) => await ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);

    public async ValueTask<int> WaitOrFailAsync(CancellationToken cancellationToken) =>
        await ReadOrFailAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false) < 0 ? -1 : 0;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await ssl.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            _bytesSent += data.Length; // one send at a time
        }
        catch (Exception ex) when (TlsFailures.Translate(ex) is { } translated && !ReferenceEquals(translated, ex))
        {
            throw translated;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> WriteOrFailAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await ssl.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            _bytesSent += data.Length;
            return 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _writeError = TlsFailures.Translate(ex);
            return -1;
        }
    }

    public Exception? LastError(bool send) => send ? _writeError : _readError;

    /// <summary>
    /// close_notify, then shutdown(SHUT_WR): the peer reads EOF the TLS way, and this side can still read (TLS 1.3
    /// allows a half-close). The alert is one small record, which the socket almost always takes at once.
    /// </summary>
    public async Task CloseWriteAsync(Connection connection)
    {
        if (Interlocked.Exchange(ref _closedWrite, 1) != 0) return;
        try
        {
            await ssl.ShutdownAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SockitException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or System.Security.Authentication.AuthenticationException)
        {
            // The peer's alert got here first (TLS 1.3 refuses a client certificate after the handshake): keep it for the
            // reader to report in words; closing must not throw.
            _writeError ??= TlsFailures.Translate(ex);
        }
        connection.RawShutdownSend();
    }

    /// <summary>On an orderly close: close_notify if the socket takes it now; never waits.</summary>
    public void CloseQuietly()
    {
        if (Interlocked.Exchange(ref _closedWrite, 1) == 0)
        {
            try
            {
                var sent = ssl.ShutdownAsync();
                if (!sent.IsCompleted) sent.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
                else _ = sent.Exception;
            }
            catch (Exception ex) when (ex is IOException or SockitException or ObjectDisposedException or InvalidOperationException or NotSupportedException
                or System.Security.Cryptography.CryptographicException or System.Security.Authentication.AuthenticationException)
            {
                // A close that cannot send close_notify (the peer already failed the session) is still a close.
            }
        }
    }

    public void Dispose() => ssl.Dispose();
}
