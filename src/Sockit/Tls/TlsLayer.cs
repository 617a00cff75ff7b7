using System.Net.Security;
using System.Runtime.CompilerServices;
using Sockit.Transport;

namespace Sockit.Tls;

/// <summary>
/// The TLS layer of one connection: SslStream over the connection's raw bytes. Once attached, the connection's
/// receive, send, wait and shutdown go through it, so every service speaks TLS without knowing.
/// </summary>
/// <remarks>
/// SslStream keeps a read and a write apart (one lock around OpenSSL's decrypt and encrypt), but not its
/// ShutdownAsync: SSL_shutdown while another thread decrypts or encrypts corrupts the session (records cut or
/// garbled, a crash inside OpenSSL), and its close_notify would be a second send on the socket beside a write's.
/// So close_notify goes only when no write is under way and the reader is parked on the socket, not inside SslStream;
/// until then it waits, and whichever of them leaves last sends it.
/// </remarks>
internal sealed class TlsLayer(SslStream ssl, TlsSession session)
{
    private readonly Lock _gate = new();
    private int _readersInside, _writersInside; // counts: a second call that SslStream refuses leaves the first one counted
    private bool _closeNotifySent;
    private TaskCompletionSource? _closeNotify; // asked for; done once sent (or failed)
    private Exception? _readError, _writeError;
    private int _closedWrite;
    private long _bytesReceived, _bytesSent;

    /// <summary>Plaintext bytes received so far (what the application sees, not the records on the wire).</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Plaintext bytes sent so far.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public TlsSession Session { get; } = session;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        Enter(ref _readersInside);
        try
        {
            var read = await ssl.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            _bytesReceived += read; // one receive at a time
            return read;
        }
        catch (Exception ex) when (TlsFailures.Translate(ex, afterHandshake: true) is { } translated && !ReferenceEquals(translated, ex))
        {
            throw translated;
        }
        finally
        {
            Leave(ref _readersInside);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadOrFailAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        Enter(ref _readersInside);
        try
        {
            var read = await ssl.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            _bytesReceived += read;
            return read;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _readError = TlsFailures.Translate(ex, afterHandshake: true);
            return -1;
        }
        finally
        {
            Leave(ref _readersInside);
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
        Enter(ref _writersInside);
        try
        {
            await ssl.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            _bytesSent += data.Length; // one send at a time
        }
        catch (Exception ex) when (TlsFailures.Translate(ex, afterHandshake: true) is { } translated && !ReferenceEquals(translated, ex))
        {
            throw translated;
        }
        finally
        {
            Leave(ref _writersInside);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> WriteOrFailAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        Enter(ref _writersInside);
        try
        {
            await ssl.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            _bytesSent += data.Length;
            return 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _writeError = TlsFailures.Translate(ex, afterHandshake: true);
            return -1;
        }
        finally
        {
            Leave(ref _writersInside);
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
            await SendCloseNotify().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SockitException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or System.Security.Authentication.AuthenticationException)
        {
            // The peer's alert got here first (TLS 1.3 refuses a client certificate after the handshake): keep it for the
            // reader to report in words; closing must not throw.
            _writeError ??= TlsFailures.Translate(ex, afterHandshake: true);
        }
        connection.RawShutdownSend();
    }

    /// <summary>On an orderly close: close_notify if the socket takes it now; never waits.</summary>
    /// <remarks>
    /// A close_notify that must wait (a read decrypting, a write under way) is made when they leave SslStream, which is
    /// after the socket is closed: the peer then sees EOF without it, as from any close in the middle of a transfer.
    /// </remarks>
    public void CloseQuietly()
    {
        if (Interlocked.Exchange(ref _closedWrite, 1) != 0) return;
        var sent = SendCloseNotify();
        if (!sent.IsCompleted) sent.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        else _ = sent.Exception; // a close that cannot send close_notify (the peer already failed the session) is still a close
    }

    public void Dispose()
    {
        lock (_gate) ssl.Dispose(); // not in the middle of SSL_shutdown
    }

    /// <summary>The reader waits on the socket (SslStream called the raw stream): close_notify may go meanwhile.</summary>
    internal void ReaderParks() => Leave(ref _readersInside);

    /// <summary>The raw stream returns to SslStream, which will decrypt what came: after any close_notify being made.</summary>
    internal void ReaderResumes() => Enter(ref _readersInside);

    // The reader is inside SslStream, where it may decrypt, from its call until it parks on the socket and again once
    // the socket has given it bytes; a writer, for the whole write. close_notify waits for both to be out.
    private void Enter(ref int inside)
    {
        lock (_gate) inside++;
    }

    private void Leave(ref int inside)
    {
        lock (_gate)
        {
            inside--;
            SendCloseNotifyIfFree();
        }
    }

    private Task SendCloseNotify()
    {
        lock (_gate)
        {
            _closeNotify ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            SendCloseNotifyIfFree();
            return _closeNotify.Task;
        }
    }

    /// <summary>Under the gate: makes and sends close_notify, if it is asked for and nobody is inside SslStream.</summary>
    private void SendCloseNotifyIfFree()
    {
        if (_closeNotify is null || _closeNotifySent || _readersInside > 0 || _writersInside > 0) return;
        _closeNotifySent = true;
        Task sent;
        try
        {
            sent = ssl.ShutdownAsync(); // SSL_shutdown runs now, under the gate; the record's send may go on after
        }
        catch (Exception ex)
        {
            sent = Task.FromException(ex);
        }
        if (sent.IsCompleted) Forward(sent, _closeNotify);
        else sent.ContinueWith(static (t, done) => Forward(t, (TaskCompletionSource)done!), _closeNotify, TaskScheduler.Default);
    }

    private static void Forward(Task sent, TaskCompletionSource done)
    {
        if (sent.Exception is { } failed) done.TrySetException(failed.InnerExceptions);
        else done.TrySetResult();
    }
}
