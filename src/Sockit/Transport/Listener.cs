using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Sockit.Endpoints;
using Sockit.Tracing;
using Sockit.Transport.Linux;

namespace Sockit.Transport;

/// <summary>
/// A listening stream socket (TCP or Unix): socket(), bind(), listen() on start, accept() on demand, on Sockit's I/O
/// engine. A Unix socket file it created is removed when it is disposed.
/// </summary>
public sealed class Listener : IAsyncDisposable, IDisposable
{
    private readonly Socket _socket;
    private readonly ISocketTracer? _tracer;
    private readonly Endpoint _requested;
    private readonly int _fd;
    private readonly Port[] _ports;
    private int _disposed;

    private Listener(Socket socket, Endpoint requested, ISocketTracer? tracer)
    {
        _socket = socket;
        _requested = requested;
        _tracer = tracer;
        _fd = Traced.FdOf(socket);
        LocalEndpoint = Binder.BoundEndpoint(socket, requested);
        socket.Blocking = false; // accept4() says EAGAIN when the queue is empty, and the engine waits for the next edge
        // Every loop watches the listening socket and accepts into itself, as each thread of haproxy or nginx does: a
        // client's sockets are then owned by the loop that accepted it, with no hand-over between threads.
        var loops = IoLoop.All;
        _ports = new Port[loops.Length];
        for (var i = 0; i < loops.Length; i++)
        {
            _ports[i] = new Port(this, loops[i]);
            var added = loops[i].Add(socket.SafeHandle, _ports[i].Self);
            if (added == SocketError.Success) continue;
            for (var j = 0; j <= i; j++) _ports[j].Self.Free();
            throw new SockitException(SockitError.Other, $"the I/O engine could not watch {requested}: epoll_ctl failed ({ErrnoNames.Of(added)})");
        }
    }

    /// <summary>How many loops accept from it; each has its own turn at <see cref="AcceptConnectionAsync(int, CancellationToken)"/>.</summary>
    internal int Ports => _ports.Length;

    /// <summary>The address it listens on, with the real port when port 0 was asked for.</summary>
    public Endpoint LocalEndpoint { get; }

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
            if (options.NoDelay && endpoint.Transport == TransportKind.Tcp)
                Traced.SetOption(socket, SocketOptionLevel.Tcp, SocketOptionName.NoDelay, 1, options.Tracer);
            Traced.Listen(socket, options.Backlog, options.Tracer);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw Failures.Bind(ex, endpoint);
        }
        try
        {
            return new Listener(socket, endpoint, options.Tracer);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Waits for the next client and returns its connection.</summary>
    public async Task<Connection> AcceptAsync(CancellationToken cancellationToken = default) =>
        await AcceptConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The next client; a client already queued comes back at once, without a task. A host that accepts in a loop so
    /// takes a burst of clients in one go, while the loop's other sockets wait for one edge at most.
    /// </summary>
    internal ValueTask<Connection> AcceptConnectionAsync(CancellationToken cancellationToken) => AcceptConnectionAsync(0, cancellationToken);

    /// <summary>As <see cref="AcceptConnectionAsync(CancellationToken)"/>, on loop <paramref name="port"/>, which will own the connection.</summary>
    internal ValueTask<Connection> AcceptConnectionAsync(int port, CancellationToken cancellationToken)
    {
        var start = _tracer is null ? 0 : Stopwatch.GetTimestamp();
        var accept = _ports[port].Accept;
        var pending = accept.Start(cancellationToken);
        if (!pending.IsCompletedSuccessfully) return AwaitAcceptAsync(pending, accept, start, cancellationToken);
        return new ValueTask<Connection>(Accepted(pending.Result, accept, start));
    }

    private async ValueTask<Connection> AwaitAcceptAsync(ValueTask<int> pending, AcceptOperation accept, long start, CancellationToken cancellationToken)
    {
        try
        {
            return Accepted(await pending.ConfigureAwait(false), accept, start);
        }
        catch (SocketException ex)
        {
            _tracer?.Record(new SocketCallEvent(SocketCall.Accept, _fd, null, -1, ex.SocketErrorCode, start, Stopwatch.GetTimestamp()));
            if (ex.SocketErrorCode == SocketError.OperationAborted && cancellationToken.IsCancellationRequested) throw new OperationCanceledException(cancellationToken);
            throw;
        }
    }

    /// <summary>Awaited, lets the other sockets of this listener's loop have their turn before the next accept.</summary>
    internal IoLoop.Turn YieldTurn(int port = 0) => _ports[port].Loop.YieldTurn();

    private Connection Accepted(int fd, AcceptOperation accept, long start)
    {
        var handle = new SocketHandle(fd);
        var peer = accept.Peer;
        _tracer?.Record(new SocketCallEvent(SocketCall.Accept, _fd, null, fd, SocketError.Success, start, Stopwatch.GetTimestamp(),
            peer is null ? null : $"peer {Traced.Describe(peer)}"));
        return new Connection(handle, LocalEndpoint.Transport, _tracer, peer, accept.Loop, watchNow: false);
    }

    /// <summary>
    /// Waits for the next client that <paramref name="policy"/> allows; others are reset at once (they see ECONNRESET
    /// rather than hanging) and reported to <paramref name="onRejected"/>.
    /// </summary>
    internal async Task<Connection> AcceptAsync(AccessPolicy policy, Action<Endpoint>? onRejected, CancellationToken cancellationToken = default)
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
        foreach (var port in _ports) port.Accept.Abort(SocketError.OperationAborted);
        Binder.RemoveUnixPath(_requested, _tracer); // before close(): .NET would otherwise remove the file silently
        Traced.Close(_socket, _fd, _tracer);
        foreach (var port in _ports) port.Loop.Post(static port => ((Port)port!).Self.Free(), port);
    }

    /// <summary>The listening socket as one loop watches it: that loop's accept.</summary>
    private sealed class Port : IIoEvents
    {
        public Port(Listener owner, IoLoop loop)
        {
            Loop = loop;
            Accept = new AcceptOperation(owner, loop);
            Self = GCHandle.Alloc(this);
        }

        public IoLoop Loop { get; }

        public AcceptOperation Accept { get; }

        public GCHandle Self { get; }

        void IIoEvents.OnIoEvents(bool readable, bool writable, bool peerFinished, bool failed)
        {
            if (readable) Accept.OnEdge(final: false); // a listener has no EOF
        }
    }

    /// <summary>accept4(): a queued client as a non-blocking descriptor, with its address.</summary>
    private sealed unsafe class AcceptOperation(Listener owner, IoLoop loop) : IoOperation(startsReady: true)
    {
        /// <summary>The loop this accept runs on, which owns what it accepts.</summary>
        public IoLoop Loop => loop;

        private readonly byte[] _address = new byte[SocketAddresses.MaxSize];
        private int _addressLength;

        /// <summary>The address of the client the last accept returned.</summary>
        public System.Net.EndPoint? Peer => SocketAddresses.Parse(_address.AsSpan(0, Math.Min(_addressLength, _address.Length)));

        public ValueTask<int> Start(CancellationToken cancellationToken) => Run(cancellationToken);

        protected override IoStatus Attempt(bool afterEdge)
        {
            if (Volatile.Read(ref owner._disposed) != 0)
            {
                Error = SocketError.OperationAborted; // closing: fail at once rather than find EAGAIN until the close is done
                return IoStatus.Failed;
            }
            try
            {
                fixed (byte* address = _address)
                while (true)
                {
                    var length = _address.Length;
                    var fd = Libc.Accept4(owner._socket.SafeHandle, address, &length, Libc.SockNonblock | Libc.SockCloexec);
                    if (fd >= 0)
                    {
                        _addressLength = length;
                        Result = fd;
                        return IoStatus.Done;
                    }
                    var error = Libc.LastError();
                    // A client that gave up while queued (ECONNABORTED), or a signal: take the next one.
                    if (error is SocketError.Interrupted or SocketError.ConnectionAborted) continue;
                    if (error == SocketError.WouldBlock) return IoStatus.WouldBlock;
                    Error = error;
                    return IoStatus.Failed;
                }
            }
            catch (ObjectDisposedException)
            {
                Error = SocketError.OperationAborted;
                return IoStatus.Failed;
            }
        }
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
