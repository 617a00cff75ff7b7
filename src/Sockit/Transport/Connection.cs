using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Sockit.Endpoints;
using Sockit.Tracing;

namespace Sockit.Transport;

/// <summary>
/// A connected stream socket (TCP or Unix), from <see cref="Listener.AcceptAsync(CancellationToken)"/> or <see cref="Dialer.ConnectAsync"/>.
/// Send and receive may run at the same time from two tasks; each on its own is not for concurrent use.
/// </summary>
public sealed class Connection : IAsyncDisposable, IDisposable
{
    private readonly Socket _socket;
    private readonly ISocketTracer? _tracer;
    private readonly int _fd;
    private long _bytesSent;
    private long _bytesReceived;
    private int _sendShutdown;
    private int _disposed;

    internal Connection(Socket socket, TransportKind transport, ISocketTracer? tracer, EndPoint? dialed = null)
    {
        _socket = socket;
        _tracer = tracer;
        _fd = tracer is null ? -1 : Traced.FdOf(socket);
        // A peer that resets at once makes getpeername() fail (ENOTCONN); the address we dialled is still the peer.
        LocalEndpoint = Describe(AddressOf(() => socket.LocalEndPoint), transport);
        RemoteEndpoint = Describe(AddressOf(() => socket.RemoteEndPoint) ?? dialed, transport);
    }

    private static EndPoint? AddressOf(Func<EndPoint?> read)
    {
        try
        {
            return read();
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>This side's address.</summary>
    public Endpoint LocalEndpoint { get; }

    /// <summary>The peer's address (for a Unix client, usually unnamed).</summary>
    public Endpoint RemoteEndpoint { get; }

    /// <summary>The underlying socket, for options Sockit does not cover.</summary>
    public Socket Socket => _socket;

    /// <summary>Bytes sent so far.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Bytes received so far.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Receives into <paramref name="buffer"/>; returns 0 once the peer has finished sending (EOF).</summary>
    /// <exception cref="SockitException">The connection was reset or failed.</exception>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_tracer is null)
        {
            // Fast path: a receive that completes at once (data was waiting) costs no state machine.
            var pending = _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (pending.IsCompletedSuccessfully)
            {
                var received = pending.Result;
                Interlocked.Add(ref _bytesReceived, received);
                return new ValueTask<int>(received);
            }
            return AwaitReceiveAsync(pending);
        }
        return TracedReceiveAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> AwaitReceiveAsync(ValueTask<int> pending)
    {
        int received;
        try
        {
            received = await pending.ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw Failures.Transfer(ex, RemoteEndpoint);
        }
        Interlocked.Add(ref _bytesReceived, received);
        return received;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> TracedReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        int received;
        try
        {
            received = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            _tracer!.Record(new SocketCallEvent(SocketCall.Recv, _fd, null, -1, ex.SocketErrorCode, start, Stopwatch.GetTimestamp()));
            throw Failures.Transfer(ex, RemoteEndpoint);
        }
        Interlocked.Add(ref _bytesReceived, received);
        _tracer!.Record(new SocketCallEvent(SocketCall.Recv, _fd, null, received, SocketError.Success, start, Stopwatch.GetTimestamp(),
            received == 0 ? "EOF: the peer has finished sending" : null));
        return received;
    }

    /// <summary>
    /// Waits until data (or EOF) can be read, without a buffer: a server holding thousands of idle connections then
    /// needs no memory for them until they speak (a zero-byte read, as Kestrel does).
    /// </summary>
    public ValueTask WaitReadableAsync(CancellationToken cancellationToken = default)
    {
        var pending = _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken);
        return pending.IsCompletedSuccessfully ? ValueTask.CompletedTask : AwaitReadableAsync(pending);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitReadableAsync(ValueTask<int> pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw Failures.Transfer(ex, RemoteEndpoint);
        }
    }

    /// <summary>Sends all of <paramref name="data"/>.</summary>
    /// <exception cref="SockitException">The connection was reset or failed.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (_tracer is null)
        {
            // Fast path: a send the kernel takes whole at once (the usual case) costs no state machine.
            var pending = _socket.SendAsync(data, SocketFlags.None, cancellationToken);
            if (pending.IsCompletedSuccessfully && pending.Result == data.Length)
            {
                Interlocked.Add(ref _bytesSent, data.Length);
                return ValueTask.CompletedTask;
            }
            return AwaitSendAsync(pending, data, cancellationToken);
        }
        return TracedSendAsync(data, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitSendAsync(ValueTask<int> pending, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            var sent = await pending.ConfigureAwait(false);
            Interlocked.Add(ref _bytesSent, sent);
            data = data[sent..];
            while (!data.IsEmpty)
            {
                sent = await _socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref _bytesSent, sent);
                data = data[sent..];
            }
        }
        catch (SocketException ex)
        {
            throw Failures.Transfer(ex, RemoteEndpoint);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask TracedSendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var start = Stopwatch.GetTimestamp();
            int sent;
            try
            {
                sent = await _socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                _tracer!.Record(new SocketCallEvent(SocketCall.Send, _fd, null, -1, ex.SocketErrorCode, start, Stopwatch.GetTimestamp()));
                throw Failures.Transfer(ex, RemoteEndpoint);
            }
            Interlocked.Add(ref _bytesSent, sent);
            _tracer!.Record(new SocketCallEvent(SocketCall.Send, _fd, null, sent, SocketError.Success, start, Stopwatch.GetTimestamp()));
            data = data[sent..];
        }
    }

    /// <summary>Counts bytes moved by a caller that reads and writes the socket's file descriptor itself (an epoll loop).</summary>
    internal void CountTransfer(long received, long sent)
    {
        if (received != 0) Interlocked.Add(ref _bytesReceived, received);
        if (sent != 0) Interlocked.Add(ref _bytesSent, sent);
    }

    /// <summary>shutdown(SHUT_WR): tells the peer no more data is coming (it reads EOF) while this side can still receive.</summary>
    public void ShutdownSend()
    {
        if (Interlocked.Exchange(ref _sendShutdown, 1) != 0 || Volatile.Read(ref _disposed) != 0) return;
        Traced.Shutdown(_socket, SocketShutdown.Send, _tracer);
    }

    /// <summary>Aborts the connection: the peer sees a reset (RST), not an orderly close.</summary>
    public void Reset()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Traced.Close(_socket, _fd, _tracer, abortive: true);
    }

    /// <summary>Closes the socket (an orderly close: the peer reads EOF once it has read what was sent).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Traced.Close(_socket, _fd, _tracer);
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static Endpoint Describe(EndPoint? address, TransportKind transport) => address switch
    {
        null => Endpoint.ForUnix("(unnamed)", transport == TransportKind.UnixDatagram),
        _ => Endpoint.FromEndPoint(address, transport),
    };
}
