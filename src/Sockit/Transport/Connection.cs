using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sockit.Endpoints;
using Sockit.Tracing;
using Sockit.Transport.Linux;

namespace Sockit.Transport;

/// <summary>
/// A connected stream socket (TCP or Unix), from <see cref="Listener.AcceptAsync(CancellationToken)"/> or <see cref="Dialer.ConnectAsync"/>.
/// Send and receive may run at the same time from two tasks; each on its own is not for concurrent use.
/// </summary>
/// <remarks>
/// The one owner of its socket: every call on it goes through here, on Sockit's I/O engine (<see cref="IoLoop"/>), so
/// backpressure, FIN and RST, byte counts and tracing exist once. A call the kernel can complete at once completes at
/// once; one that would block waits for the socket's next edge, without a thread and without allocating.
/// </remarks>
public sealed class Connection : IAsyncDisposable, IDisposable, IIoEvents, IDescriptorCloseListener
{
    private readonly SocketHandle _handle;
    private readonly IoLoop _loop;
    private readonly TransportKind _transport;
    private readonly ISocketTracer? _tracer;
    private readonly ReceiveOperation _receive;
    private readonly SendOperation _send;
    private GCHandle _self;
    private EndPoint? _peerAddress;
    private Endpoint? _local;
    private Endpoint? _remote;
    private long _bytesSent;
    private long _bytesReceived;
    private long _lastActivity = Environment.TickCount64;
    private int _sendShutdown;
    private int _disposed;
    private int _watch; // Unwatched, Adding, Watched, Closed or AddFailed: the socket's place in its loop's epoll set
    private int _completedAtOnce; // calls, either way, that completed without waiting since one last waited (not exact: two threads count)
    private SocketError _watchError;
    private Tls.TlsLayer? _tls;

    /// <param name="handle">The connected (or connecting) socket, non-blocking.</param>
    /// <param name="transport">TCP or Unix.</param>
    /// <param name="tracer">Receives every call, or null.</param>
    /// <param name="peer">The peer's address when already known (accept() returns it; a dialer knows whom it dialled).</param>
    /// <param name="loop">The loop that owns it; null: the next in turn.</param>
    /// <param name="watchNow">
    /// Whether to add the socket to the loop's epoll set now (a dialled socket, whose connect waits anyway) or only once
    /// a call would block (an accepted one). A client that sent its request, EOF or RST before it was accepted is then
    /// served by calls that complete at once, and costs no epoll_ctl() and no removal from the set when it is closed:
    /// under connection churn and reset storms, most clients.
    /// </param>
    internal Connection(SocketHandle handle, TransportKind transport, ISocketTracer? tracer, EndPoint? peer, IoLoop? loop = null, bool watchNow = true)
    {
        _handle = handle;
        _transport = transport;
        _tracer = tracer;
        _peerAddress = peer;
        _receive = new ReceiveOperation(this, startsReady: !watchNow);
        _send = new SendOperation(this);
        _self = GCHandle.Alloc(this);
        _loop = loop ?? IoLoop.Next();
        if (watchNow && Watch() is var added && added != SocketError.Success)
        {
            _self.Free();
            handle.Dispose();
            throw new SockitException(SockitError.Other, $"the I/O engine could not watch a new socket: epoll_ctl failed ({ErrnoNames.Of(added)})");
        }
        handle.CloseListener = this; // from here on, close() frees _self
    }

    private const int Unwatched = 0, Adding = 1, Watched = 2, Closed = 3, AddFailed = 4;

    /// <summary>
    /// How much may complete at once, in a row, before a call hands its result over later (on the loop, after its waiting
    /// events, or through the thread pool): 16 calls, each of up to 64 KiB (one of a relay's 2 MiB reads spends it all).
    /// A thread then goes round its other work at least every megabyte or so.
    /// </summary>
    private const int InlineBudget = 16;

    /// <summary>Counts a call that completed at once, moving <paramref name="bytes"/>; true (and the count starts again) when the budget is spent.</summary>
    private bool SpendInline(int bytes)
    {
        _completedAtOnce += Math.Max(1, bytes >> 16);
        if (_completedAtOnce < InlineBudget) return false;
        _completedAtOnce = 0;
        return true;
    }

    /// <summary>
    /// Adds the socket to its loop's epoll set, once, when the first call would block (or at once for a dialled socket).
    /// An add reports a state that is already ready as an edge, so data that came between that call's try and the add is
    /// not missed. Success also while another call's add is under way: its edge will come, or its failure ends both calls.
    /// </summary>
    private SocketError Watch()
    {
        if (Volatile.Read(ref _watch) == Watched) return SocketError.Success; // every wait after the first: no locked instruction
        switch (Interlocked.CompareExchange(ref _watch, Adding, Unwatched))
        {
            case Unwatched:
                break;
            case Adding or Watched:
                return SocketError.Success;
            case Closed:
                return SocketError.OperationAborted;
            default:
                return _watchError;
        }
        var error = _loop.Add(_handle, _self);
        if (error != SocketError.Success) _watchError = error;
        // Closed while this added it: the add held the descriptor open, and close() came after it.
        if (Interlocked.CompareExchange(ref _watch, error == SocketError.Success ? Watched : AddFailed, Adding) != Adding) return SocketError.OperationAborted;
        if (error != SocketError.Success)
        {
            // A call of the other direction may be waiting on this add: it ends with the same failure.
            _receive.Abort(error);
            _send.Abort(error);
        }
        return error;
    }

    /// <summary>This side's address.</summary>
    public Endpoint LocalEndpoint => _local ??= Describe(SocketAddresses.Local(_handle), _transport);

    /// <summary>The peer's address (for a Unix client, usually unnamed).</summary>
    // A peer that resets at once makes getpeername() fail (ENOTCONN); the address accept() reported or we dialled stays.
    public Endpoint RemoteEndpoint => _remote ??= Describe(_peerAddress ??= SocketAddresses.Peer(_handle), _transport);

    /// <summary>The peer's IP address as accept() or connect() knew it, without formatting it; null for Unix sockets.</summary>
    internal System.Net.IPAddress? PeerAddress => (_peerAddress ??= SocketAddresses.Peer(_handle)) is IPEndPoint ip ? ip.Address : null;

    /// <summary>Bytes sent so far (over TLS, plaintext bytes: what the application sent).</summary>
    public long BytesSent => _tls?.BytesSent ?? Interlocked.Read(ref _bytesSent);

    /// <summary>Bytes received so far (over TLS, plaintext bytes).</summary>
    public long BytesReceived => _tls?.BytesReceived ?? Interlocked.Read(ref _bytesReceived);

    /// <summary>When data last moved either way (<see cref="Environment.TickCount64"/>), for a host's idle timeout.</summary>
    internal long LastActivity => Volatile.Read(ref _lastActivity);

    /// <summary>Whether this side closed the connection (Dispose or Reset), which ends every call on it.</summary>
    internal bool Aborted => Volatile.Read(ref _disposed) != 0;

    /// <summary>The I/O loop that owns the socket and runs its continuations.</summary>
    internal IoLoop Loop => _loop;

    /// <summary>The descriptor, for traces.</summary>
    internal int Fd => _handle.Fd;

    /// <summary>The descriptor, the loop that watches it, and whether its events can still name this connection (for tests).</summary>
    internal (SocketHandle Handle, IoLoop Loop, bool NamedByEvents) Engine => (_handle, _loop, _self.IsAllocated);

    /// <summary>Where this connection's calls are traced, or null.</summary>
    internal ISocketTracer? Tracer => _tracer;

    /// <summary>
    /// What the TLS handshake agreed, when the connection speaks TLS (a <c>tls://</c> endpoint); null for plain bytes.
    /// Once TLS is attached, every receive, send, wait and shutdown below carries plaintext through it.
    /// </summary>
    public Tls.TlsSession? Tls => _tls?.Session;

    /// <summary>Routes the connection's calls through a finished TLS layer; its raw calls (Raw*) stay for the layer.</summary>
    internal void AttachTls(Tls.TlsLayer layer) => _tls = layer;

    /// <summary>Receives into <paramref name="buffer"/>; returns 0 once the peer has finished sending (EOF).</summary>
    /// <exception cref="SockitException">The connection was reset or failed.</exception>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _tls is not null ? _tls.ReadAsync(buffer, cancellationToken) : RawReceiveAsync(buffer, cancellationToken);

    /// <summary>recv() on the socket itself, below any TLS layer.</summary>
    internal ValueTask<int> RawReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _tracer is null ? _receive.Start(buffer, cancellationToken) : TracedReceiveAsync(buffer, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> TracedReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        int received;
        try
        {
            received = await _receive.Start(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (SockitException ex) when (ex.InnerException is SocketException socket)
        {
            _tracer!.Record(new SocketCallEvent(SocketCall.Recv, Fd, null, -1, socket.SocketErrorCode, start, Stopwatch.GetTimestamp()));
            throw;
        }
        _tracer!.Record(new SocketCallEvent(SocketCall.Recv, Fd, null, received, SocketError.Success, start, Stopwatch.GetTimestamp(),
            received == 0 ? "EOF: the peer has finished sending" : null));
        return received;
    }

    /// <summary>
    /// Waits until data (or EOF) can be read, without a buffer: a server holding thousands of idle connections then
    /// needs no memory for them until they speak.
    /// </summary>
    public ValueTask WaitReadableAsync(CancellationToken cancellationToken = default) =>
        _tls is not null ? _tls.WaitAsync(cancellationToken) : _receive.Wait(cancellationToken);

    /// <summary>Waits until the socket itself is readable, below any TLS layer.</summary>
    internal ValueTask RawWaitReadableAsync(CancellationToken cancellationToken = default) => _receive.Wait(cancellationToken);

    /// <summary>Sends all of <paramref name="data"/>.</summary>
    /// <exception cref="SockitException">The connection was reset or failed.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        _tls is not null ? _tls.WriteAsync(data, cancellationToken) : RawSendAsync(data, cancellationToken);

    /// <summary>send() on the socket itself, below any TLS layer.</summary>
    internal ValueTask RawSendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        _tracer is null ? _send.Start(data, cancellationToken) : TracedSendAsync(data, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask TracedSendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var before = Interlocked.Read(ref _bytesSent);
        try
        {
            await _send.Start(data, cancellationToken).ConfigureAwait(false);
        }
        catch (SockitException ex) when (ex.InnerException is SocketException socket)
        {
            _tracer!.Record(new SocketCallEvent(SocketCall.Send, Fd, null, -1, socket.SocketErrorCode, start, Stopwatch.GetTimestamp()));
            throw;
        }
        _tracer!.Record(new SocketCallEvent(SocketCall.Send, Fd, null, Interlocked.Read(ref _bytesSent) - before, SocketError.Success, start, Stopwatch.GetTimestamp()));
    }

    /// <summary>
    /// Receives as <see cref="ReceiveAsync"/> does, but a reset or failure is the result -1 (<see cref="LastError"/> says
    /// which) rather than an exception: for the host's services, where a peer that resets is routine.
    /// </summary>
    internal ValueTask<int> ReceiveOrFailAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _tls is not null ? _tls.ReadOrFailAsync(buffer, cancellationToken)
        : _tracer is null ? _receive.Start(buffer, cancellationToken, throws: false) : OrFail(TracedReceiveAsync(buffer, cancellationToken));

    /// <summary>Waits as <see cref="WaitReadableAsync"/> does, without throwing on a failed socket (the next receive says how it failed).</summary>
    internal ValueTask<int> WaitReadableOrFailAsync(CancellationToken cancellationToken = default) =>
        _tls is not null ? _tls.WaitOrFailAsync(cancellationToken) : _receive.WaitOrFail(cancellationToken);

    /// <summary>Sends as <see cref="SendAsync"/> does; 0 when all went, -1 on a reset or failure (<see cref="LastError"/>).</summary>
    internal ValueTask<int> SendOrFailAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        _tls is not null ? _tls.WriteOrFailAsync(data, cancellationToken)
        : _tracer is null ? _send.StartOrFail(data, cancellationToken) : OrFail(TracedSendAsync(data, cancellationToken));

    /// <summary>
    /// A receive tried at once, with no wait (a relay reads before it dials, as haproxy does): bytes, 0 at EOF, -1 when the
    /// socket failed (<see cref="LastError"/>), or -2 when nothing is there yet, over TLS, or while tracing (the calls
    /// a trace shows stay the ones it explains). Only before any other receive on the connection.
    /// </summary>
    internal int TryReceiveNow(Memory<byte> buffer) => _tls is not null || _tracer is not null ? -2 : _receive.TryNow(buffer);

    /// <summary>Why the last receive or send that returned -1 failed, as the exception the public calls would have thrown.</summary>
    internal Exception LastError(bool send = false) => _tls?.LastError(send) ?? Failure(send ? _send.Error : _receive.Error);

    private static async ValueTask<int> OrFail(ValueTask call)
    {
        try
        {
            await call.ConfigureAwait(false);
            return 0;
        }
        catch (Exception ex) when (ex is SockitException or ObjectDisposedException)
        {
            return -1;
        }
    }

    private static async ValueTask<int> OrFail(ValueTask<int> call)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SockitException or ObjectDisposedException)
        {
            return -1;
        }
    }

    /// <summary>Waits for a connect() that said EINPROGRESS to finish; throws the SocketException it failed with.</summary>
    internal ValueTask FinishConnectAsync(CancellationToken cancellationToken) => _send.StartConnect(cancellationToken);

    /// <summary>Whether bytes wait to be read (FIONREAD), without reading them.</summary>
    internal unsafe bool HasUnreadBytes
    {
        get
        {
            var count = 0;
            try
            {
                return Libc.Ioctl(_handle, Libc.Fionread, &count) == 0 && count > 0;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }

    /// <summary>shutdown(SHUT_WR): tells the peer no more data is coming (it reads EOF) while this side can still receive.</summary>
    /// <remarks>Over TLS, close_notify goes first, so the peer can tell the end from a cut.</remarks>
    public void ShutdownSend()
    {
        if (_tls is not null)
        {
            _ = _tls.CloseWriteAsync(this); // never throws; the alert is one small record
            return;
        }
        RawShutdownSend();
    }

    /// <summary>shutdown(SHUT_WR) on the socket itself, below any TLS layer.</summary>
    internal void RawShutdownSend()
    {
        if (Interlocked.Exchange(ref _sendShutdown, 1) != 0 || Volatile.Read(ref _disposed) != 0) return;
        Traced.Shutdown(_handle, _tracer);
    }

    /// <summary>Aborts the connection: the peer sees a reset (RST), not an orderly close.</summary>
    public unsafe void Reset()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        var linger = stackalloc int[2] { 1, 0 }; // SO_LINGER with a zero timeout: close() sends RST and drops what is unsent
        try
        {
            Libc.SetSockOpt(_handle, Libc.SolSocket, Libc.SoLinger, linger, 8);
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        Close(abortive: true);
    }

    /// <summary>Closes the socket (an orderly close: the peer reads EOF once it has read what was sent).</summary>
    public void Dispose() => Close(abortive: false);

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void Close(bool abortive)
    {
        if (!abortive && Volatile.Read(ref _disposed) == 0) _tls?.CloseQuietly();
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        var fd = Fd;
        var start = Stopwatch.GetTimestamp();
        // A call still waiting ends now; close() takes the socket out of the epoll set, so no edge would ever wake it.
        _receive.Abort(SocketError.OperationAborted);
        _send.Abort(SocketError.OperationAborted);
        Volatile.Write(ref _watch, Closed); // no add after this; one under way finds it and gives up
        _handle.Dispose(); // close() runs when a call that is using the descriptor returns; then OnDescriptorClosed
        _tls?.Dispose();
        _tracer?.Record(new SocketCallEvent(SocketCall.Close, fd, null, 0, SocketError.Success, start, Stopwatch.GetTimestamp(),
            abortive ? "with SO_LINGER 0: the peer sees RST" : null));
    }

    // The handle epoll events carry is freed on the loop, after any event it is handling now that might still name this
    // connection, and only once close() has run: until then (a call on another thread still in its system call holds
    // the descriptor open) the socket stays in the epoll set, and a new event would name a freed handle.
    void IDescriptorCloseListener.OnDescriptorClosed() => _loop.Post(static self => ((Connection)self!)._self.Free(), this);

    void IIoEvents.OnIoEvents(bool readable, bool writable, bool peerFinished, bool failed)
    {
        if (readable) _receive.OnEdge(final: peerFinished || failed);
        // A peer that has only finished sending may still read: a send that would block must go on waiting for room,
        // not be retried on every edge (a final state makes every later edge look ready).
        if (writable) _send.OnEdge(final: failed);
    }

    /// <summary>What a failed call surfaces as: closed under the caller, or the reset or failure in the user's words.</summary>
    private Exception Failure(SocketError error) => error == SocketError.OperationAborted
        ? new ObjectDisposedException(nameof(Connection), "the connection was closed")
        : Failures.Transfer(new SocketException((int)error), RemoteEndpoint);

    private static Endpoint Describe(EndPoint? address, TransportKind transport) => address switch
    {
        null => Endpoint.ForUnix("(unnamed)", transport == TransportKind.UnixDatagram),
        _ => Endpoint.FromEndPoint(address, transport),
    };

    /// <summary>What both directions share: the socket joins epoll before a wait, and both count calls that completed at once.</summary>
    private abstract class OwnedOperation(Connection owner, bool startsReady) : IoOperation(startsReady)
    {
        protected Connection Owner { get; } = owner;

        protected override SocketError BeforeWait() => Owner.Watch();

        protected override bool SpentInlineBudget(int result) => Owner.SpendInline(result);

        protected override void Waited() => Owner._completedAtOnce = 0;
    }

    /// <summary>recv(), or with an empty buffer a wait until the socket is readable.</summary>
    // A socket added to epoll when it was made (a dialled one) is not ready before the first edge: the add reports data
    // already there as an edge, and a first receive that tried at once would find nothing on most new connections and
    // cost a recv() that says EAGAIN. An accepted socket is added only once a call would block, so its first receive tries.
    private sealed unsafe class ReceiveOperation(Connection connection, bool startsReady) : OwnedOperation(connection, startsReady)
    {
        private Memory<byte> _buffer;

        // The kernel reports a reset once (recv clears the socket's error, even a peek's) and EOF after it. Kept here,
        // a wait's peek that met the reset cannot turn the receive after it into an orderly EOF (a relay would pass a FIN).
        private int _failure; // a SocketError; an int so that threads can read and write it with Volatile

        /// <summary>Makes every later receive fail with <paramref name="error"/>, which another call took from the kernel.</summary>
        public void KeepFailure(SocketError error) => Volatile.Write(ref _failure, (int)error); // from the send side's thread

        public ValueTask<int> Start(Memory<byte> buffer, CancellationToken cancellationToken, bool throws = true)
        {
            _buffer = buffer;
            Throws = throws;
            return Run(cancellationToken);
        }

        /// <summary>
        /// One recv() now, before any edge says there is something: the byte count, 0 at EOF, -1 when the socket failed
        /// (<see cref="IoOperation.Error"/>), or -2 when nothing is there yet. Only while no receive is under way.
        /// </summary>
        public int TryNow(Memory<byte> buffer)
        {
            _buffer = buffer;
            Throws = false;
            return TryOnce() switch
            {
                IoStatus.Done or IoStatus.DoneAndDrained => Result,
                IoStatus.WouldBlock => -2,
                _ => -1,
            };
        }

        public ValueTask Wait(CancellationToken cancellationToken)
        {
            _buffer = Memory<byte>.Empty;
            Throws = true;
            return RunWithoutResult(cancellationToken);
        }

        /// <summary>A wait that does not throw on a failed socket: the receive after it says how it failed.</summary>
        public ValueTask<int> WaitOrFail(CancellationToken cancellationToken)
        {
            _buffer = Memory<byte>.Empty;
            Throws = false;
            return Run(cancellationToken);
        }

        protected override IoStatus Attempt(bool afterEdge)
        {
            if (_buffer.IsEmpty && afterEdge)
            {
                Result = 0; // a readable edge just came: that is all a wait asks
                return IoStatus.Done;
            }
            var failure = (SocketError)Volatile.Read(ref _failure);
            if (failure != SocketError.Success || Owner.Aborted)
            {
                // Closed: fail without asking the kernel (the descriptor may still be open while the close runs the
                // continuations it ends, and a try there would find EAGAIN and wait for an edge that never comes).
                Error = Owner.Aborted ? SocketError.OperationAborted : failure;
                return IoStatus.Failed;
            }
            byte peek;
            var length = _buffer.Length;
            try
            {
                fixed (byte* start = _buffer.Span)
                while (true)
                {
                    // An empty buffer asks whether anything is there: a one-byte peek, which reads nothing.
                    var n = length == 0
                        ? Libc.Recv(Owner._handle, &peek, 1, 0x2 /* MSG_PEEK */)
                        : Libc.Recv(Owner._handle, start, length, 0);
                    if (n >= 0)
                    {
                        Result = length == 0 ? 0 : (int)n;
                        if (n > 0 && length > 0)
                        {
                            Owner._bytesReceived += n; // one receive at a time; the CAS that hands it over orders it
                            Owner._lastActivity = Environment.TickCount64; // coarse and cheap: it is only read by an idle sweep
                        }
                        // A short read emptied the socket: the next receive waits for an edge instead of trying first.
                        return n > 0 && n < length ? IoStatus.DoneAndDrained : IoStatus.Done;
                    }
                    var error = Libc.LastError();
                    if (error == SocketError.Interrupted) continue;
                    if (error == SocketError.WouldBlock) return IoStatus.WouldBlock;
                    Error = error;
                    Volatile.Write(ref _failure, (int)error);
                    return IoStatus.Failed;
                }
            }
            catch (ObjectDisposedException)
            {
                Error = SocketError.OperationAborted;
                return IoStatus.Failed;
            }
        }

        protected override Exception ToException(SocketError error) => Owner.Failure(error);
    }

    /// <summary>send() until all is sent, or while connecting, the end of a connect() that said EINPROGRESS.</summary>
    private sealed unsafe class SendOperation(Connection connection) : OwnedOperation(connection, startsReady: true)
    {
        private ReadOnlyMemory<byte> _data;
        private int _sent;
        private bool _connecting;

        public ValueTask Start(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            (_data, _sent, _connecting) = (data, 0, false);
            Throws = true;
            return RunWithoutResult(cancellationToken);
        }

        /// <summary>A send whose failure is -1 (see <see cref="IoOperation.Error"/>) instead of an exception.</summary>
        public ValueTask<int> StartOrFail(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            (_data, _sent, _connecting) = (data, 0, false);
            Throws = false;
            return Run(cancellationToken);
        }

        public ValueTask StartConnect(CancellationToken cancellationToken)
        {
            _connecting = true;
            Throws = true;
            return RunWithoutResult(cancellationToken);
        }

        protected override IoStatus Attempt(bool afterEdge)
        {
            if (Owner.Aborted)
            {
                Error = SocketError.OperationAborted; // closed: as for a receive
                return IoStatus.Failed;
            }
            try
            {
                return _connecting ? AttemptConnect(afterEdge) : AttemptSend();
            }
            catch (ObjectDisposedException)
            {
                Error = SocketError.OperationAborted;
                return IoStatus.Failed;
            }
        }

        /// <summary>
        /// The handshake has succeeded when the socket has a peer, failed when SO_ERROR says so, else goes on. The peer
        /// is asked first: one system call for a connect that worked, which under connection churn is nearly all of them.
        /// </summary>
        private IoStatus AttemptConnect(bool afterEdge)
        {
            var peer = stackalloc byte[SocketAddresses.MaxSize];
            var peerLength = SocketAddresses.MaxSize;
            if (Libc.GetPeerName(Owner._handle, peer, &peerLength) == 0) return IoStatus.Done;
            int error = 0, length = 4;
            if (Libc.GetSockOpt(Owner._handle, Libc.SolSocket, Libc.SoError, &error, &length) != 0) error = Marshal.GetLastPInvokeError();
            if (error == 0) return IoStatus.WouldBlock;
            Error = Libc.ToSocketError(error);
            return IoStatus.Failed;
        }

        private IoStatus AttemptSend()
        {
            fixed (byte* start = _data.Span)
            while (_sent < _data.Length)
            {
                var n = Libc.Send(Owner._handle, start + _sent, _data.Length - _sent, Libc.MsgNosignal);
                if (n >= 0)
                {
                    _sent += (int)n;
                    Owner._bytesSent += n; // one send at a time
                    Owner._lastActivity = Environment.TickCount64;
                    continue;
                }
                var error = Libc.LastError();
                if (error == SocketError.Interrupted) continue;
                if (error == SocketError.WouldBlock) return IoStatus.WouldBlock;
                // A send that meets the reset takes the kernel's one report of it: the receive must still say reset, not EOF.
                if (error == SocketError.ConnectionReset) Owner._receive.KeepFailure(error);
                Error = error;
                return IoStatus.Failed;
            }
            Result = _sent;
            return IoStatus.Done;
        }

        // A connect's failure is the dialer's to explain (it knows the endpoint as the user wrote it).
        protected override Exception ToException(SocketError error) => _connecting ? new SocketException((int)error) : Owner.Failure(error);
    }
}
