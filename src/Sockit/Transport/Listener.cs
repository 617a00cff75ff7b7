using System.Net.Sockets;
using Sockit.Endpoints;
using Sockit.Tracing;

namespace Sockit.Transport;

/// <summary>
/// A listening stream socket (TCP or Unix): socket(), bind(), listen() on start, accept() on demand.
/// A Unix socket file it created is removed when it is disposed.
/// </summary>
public sealed class Listener : IAsyncDisposable, IDisposable
{
    private readonly Socket _socket;
    private readonly ISocketTracer? _tracer;
    private readonly Endpoint _requested;
    private readonly int _fd;
    private int _disposed;

    private Listener(Socket socket, Endpoint requested, ISocketTracer? tracer)
    {
        _socket = socket;
        _requested = requested;
        _tracer = tracer;
        _fd = tracer is null ? -1 : Traced.FdOf(socket);
        LocalEndpoint = Binder.BoundEndpoint(socket, requested);
    }

    /// <summary>The address it listens on, with the real port when port 0 was asked for.</summary>
    public Endpoint LocalEndpoint { get; }

    /// <summary>The underlying socket, for options Sockit does not cover.</summary>
    public Socket Socket => _socket;

    /// <summary>Creates, binds and starts a listening socket. Throws <see cref="SockitException"/> with a clear message on failure.</summary>
    public static async Task<Listener> StartAsync(Endpoint endpoint, ListenerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!endpoint.IsStream)
            throw new ArgumentException($"{endpoint} is a datagram endpoint; use DatagramChannel.BindAsync for it.", nameof(endpoint));
        options ??= new ListenerOptions();
        var socket = await Binder.BindAsync(endpoint, options.Tracer, options.UnixFileMode, cancellationToken).ConfigureAwait(false);
        try
        {
            Traced.Listen(socket, options.Backlog, options.Tracer);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw Failures.Bind(ex, endpoint);
        }
        return new Listener(socket, endpoint, options.Tracer);
    }

    /// <summary>Waits for the next client and returns its connection.</summary>
    public async Task<Connection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                var socket = await Traced.AcceptAsync(_socket, _tracer, cancellationToken).ConfigureAwait(false);
                return new Connection(socket, LocalEndpoint.Transport, _tracer);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                // The client gave up while queued; wait for the next one.
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.OperationAborted && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }
    }

    /// <summary>
    /// Waits for the next client that <paramref name="policy"/> allows; others are reset at once (they see ECONNRESET
    /// rather than hanging) and reported to <paramref name="onRejected"/>.
    /// </summary>
    public async Task<Connection> AcceptAsync(AccessPolicy policy, Action<Endpoint>? onRejected, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        while (true)
        {
            var connection = await AcceptAsync(cancellationToken).ConfigureAwait(false);
            if (policy.Allows(connection.RemoteEndpoint)) return connection;
            onRejected?.Invoke(connection.RemoteEndpoint);
            connection.Reset();
        }
    }

    /// <summary>Closes the listening socket and removes its socket file, if it has one.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Binder.RemoveUnixPath(_requested, _tracer); // before close(): .NET would otherwise remove the file silently
        Traced.Close(_socket, _fd, _tracer);
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
