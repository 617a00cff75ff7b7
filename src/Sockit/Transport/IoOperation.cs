using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace Sockit.Transport;

/// <summary>What one try of a socket call came to.</summary>
internal enum IoStatus
{
    /// <summary>The call completed; there may be more to do at once.</summary>
    Done,

    /// <summary>The call completed and found the socket drained (a short read): wait for an edge before the next try.</summary>
    DoneAndDrained,

    /// <summary>The kernel said EAGAIN: try again after the next edge.</summary>
    WouldBlock,

    /// <summary>The call failed with <see cref="IoOperation.Error"/>.</summary>
    Failed,
}

/// <summary>
/// One direction of one socket on an <see cref="IoLoop"/> (receiving, sending, accepting or connecting): the count of
/// edges the loop has seen for it, and at most one operation in progress. An operation is tried at once when an edge
/// came since the last try found nothing to do; otherwise it waits, and the loop tries it again on the next edge. The
/// waiting operation is its own <see cref="IValueTaskSource{TResult}"/>, reused, so a call that has to wait allocates
/// nothing. Its continuation runs on the loop's thread when <see cref="IoLoop.InlineCompletions"/>, else on the pool.
/// </summary>
internal abstract class IoOperation : IValueTaskSource<int>, IValueTaskSource
{
    private const int Idle = 0, Waiting = 1, Running = 2;

    private ManualResetValueTaskSourceCore<int> _core = new() { RunContinuationsAsynchronously = !IoLoop.InlineCompletions };
    private int _state;
    private int _edges;
    private int _emptyAt;
    private volatile bool _final;
    private CancellationToken _token;
    private CancellationTokenRegistration _cancellation;

    /// <param name="startsReady">
    /// Whether to try before the first edge: yes for send, connect and accept, and for a receive on a socket not yet
    /// in the epoll set; no for a receive on a socket added when it was made (the add reports a state that is already
    /// ready as an edge).
    /// </param>
    protected IoOperation(bool startsReady) => _emptyAt = startsReady ? -1 : 0;

    /// <summary>The result of the last try that completed: a byte count or a descriptor.</summary>
    public int Result { get; protected set; }

    /// <summary>Why the last try failed.</summary>
    public SocketError Error { get; protected set; }

    /// <summary>
    /// Whether a failure of the operation in progress throws (the public calls) or completes it with -1 and
    /// <see cref="Error"/> (the host's services: a peer that resets is routine there, and in Native AOT each throw
    /// through an async chain costs more than serving the connection did).
    /// </summary>
    protected bool Throws { get; set; } = true;

    /// <summary>
    /// Whether an edge came since a try last found nothing to do, or the socket reached a final state (EOF, error):
    /// that came with the edge that brought the last data, which a short read may have taken without seeing it.
    /// </summary>
    private bool MayBeReady => Volatile.Read(ref _edges) != _emptyAt || _final;

    /// <summary>Makes one try of the call; <paramref name="afterEdge"/> when the loop tries it because an edge just came.</summary>
    protected abstract IoStatus Attempt(bool afterEdge);

    /// <summary>
    /// Called before the operation waits for an edge: makes sure the socket is in its loop's epoll set (sockets are
    /// added only once a call would block), or says why it cannot be.
    /// </summary>
    protected virtual SocketError BeforeWait() => SocketError.Success;

    /// <summary>
    /// One try now, outside <see cref="Run"/> (nothing may be in progress): a try that found nothing makes the next
    /// operation wait for an edge, as a try inside it would.
    /// </summary>
    protected IoStatus TryOnce()
    {
        var edges = Volatile.Read(ref _edges);
        var status = Attempt(afterEdge: false);
        if (status is IoStatus.WouldBlock or IoStatus.DoneAndDrained) _emptyAt = edges;
        return status;
    }

    /// <summary>The exception a failure surfaces as.</summary>
    protected virtual Exception ToException(SocketError error) => new SocketException((int)error);

    /// <summary>Runs the operation: completed at once when it can be, else when a later edge lets it.</summary>
    protected ValueTask<int> Run(CancellationToken cancellationToken) => Begin(cancellationToken, out var failure) switch
    {
        Outcome.Completed => new ValueTask<int>(Result),
        Outcome.Failed => ValueTask.FromException<int>(failure!),
        Outcome.Canceled => ValueTask.FromCanceled<int>(cancellationToken),
        _ => new ValueTask<int>(this, _core.Version),
    };

    /// <summary>As <see cref="Run"/>, for a caller that wants no result (a wait).</summary>
    protected ValueTask RunWithoutResult(CancellationToken cancellationToken) => Begin(cancellationToken, out var failure) switch
    {
        Outcome.Completed => ValueTask.CompletedTask,
        Outcome.Failed => ValueTask.FromException(failure!),
        Outcome.Canceled => ValueTask.FromCanceled(cancellationToken),
        _ => new ValueTask(this, _core.Version),
    };

    private enum Outcome
    {
        Completed,
        Failed,
        Canceled,
        Waiting,
    }

    private Outcome Begin(CancellationToken cancellationToken, out Exception? failure)
    {
        failure = null;
        while (true)
        {
            if (MayBeReady)
            {
                var edges = Volatile.Read(ref _edges);
                switch (Attempt(afterEdge: false))
                {
                    case IoStatus.Done:
                        return CompletedAtOnce();
                    case IoStatus.DoneAndDrained:
                        _emptyAt = edges;
                        return CompletedAtOnce();
                    case IoStatus.Failed when Throws:
                        failure = ToException(Error);
                        return Outcome.Failed;
                    case IoStatus.Failed:
                        Result = -1;
                        return Outcome.Completed;
                }
                _emptyAt = edges;
            }
            if (cancellationToken.IsCancellationRequested) return Outcome.Canceled;
            var watched = BeforeWait();
            if (watched != SocketError.Success)
            {
                Error = watched;
                if (Throws)
                {
                    failure = ToException(watched);
                    return Outcome.Failed;
                }
                Result = -1;
                return Outcome.Completed;
            }
            _core.Reset();
            _token = cancellationToken;
            _cancellation = cancellationToken.CanBeCanceled
                ? cancellationToken.UnsafeRegister(static (state, token) => ((IoOperation)state!).Cancel(token), this)
                : default;
            // A full fence, not a release store: the read of the edge count below must not move before this write, or an
            // edge counted in between would find nothing waiting while this reads the old count (a lost wake-up; x86 lets
            // a load pass an earlier store).
            Interlocked.Exchange(ref _state, Waiting);
            // An edge that came after the try and before Waiting found nothing waiting: take the operation back and try again.
            if (MayBeReady && Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
            {
                _cancellation.Unregister();
                continue;
            }
            if (cancellationToken.IsCancellationRequested) Cancel(cancellationToken); // cancelled before it was registered
            Waited();
            return Outcome.Waiting;
        }
    }

    /// <summary>
    /// Whether a call that completed at once (with <paramref name="result"/>: bytes moved, or 0) should give up its
    /// thread instead (see <see cref="CompletedAtOnce"/>): the socket's owner counts such calls since one last waited.
    /// Never, by default.
    /// </summary>
    protected virtual bool SpentInlineBudget(int result) => false;

    /// <summary>An operation of this socket is about to wait for an edge: the owner's count of calls completed at once starts again.</summary>
    protected virtual void Waited()
    {
    }

    /// <summary>
    /// A call that completed at once, which its caller then goes on from on the same thread. A connection whose calls keep
    /// completing at once (a client that streams as fast as it is echoed) would keep that thread forever: a thread of the
    /// pool, of which a loaded machine has as many as cores, or the I/O loop itself when a service started inline there.
    /// Others then wait for the pool to add a thread, half a second and more (two streaming clients held a probe of
    /// `serve echo` for 550-660 ms; the C epoll server, 7 ms). So after a budget of such calls the result is handed over
    /// later instead: on an I/O loop's thread, by the loop itself after the events it has waiting (the loop's other
    /// sockets get their turn, and no other thread has to be woken: through the pool, a relay streaming one way lost a
    /// fifth of its rate to those wake-ups); elsewhere, through the pool's global queue, behind the work waiting there.
    /// </summary>
    private Outcome CompletedAtOnce()
    {
        if (!SpentInlineBudget(Result)) return Outcome.Completed;
        _core.Reset();
        Volatile.Write(ref _state, Running); // neither an edge, an abort nor a cancellation takes it over now
        if (IoLoop.Current is { } loop) loop.Post(static operation => ((IoOperation)operation!).Complete(null), this);
        else ThreadPool.UnsafeQueueUserWorkItem(static operation => operation.Complete(null), this, preferLocal: false);
        return Outcome.Waiting;
    }

    /// <summary>The loop saw an edge for this direction (<paramref name="final"/>: EOF or an error): a waiting operation is tried now.</summary>
    public void OnEdge(bool final)
    {
        if (final) _final = true;
        Interlocked.Increment(ref _edges);
        if (Interlocked.CompareExchange(ref _state, Running, Waiting) != Waiting) return;
        while (true)
        {
            var edges = Volatile.Read(ref _edges);
            var status = Attempt(afterEdge: true);
            if (status == IoStatus.WouldBlock)
            {
                _emptyAt = edges;
                Interlocked.Exchange(ref _state, Waiting); // a full fence, as in Begin
                if (MayBeReady && Interlocked.CompareExchange(ref _state, Running, Waiting) == Waiting) continue;
                return;
            }
            if (status == IoStatus.DoneAndDrained) _emptyAt = edges;
            Complete(status == IoStatus.Failed ? Error : null);
            return;
        }
    }

    /// <summary>
    /// Ends a waiting operation as failed with <paramref name="error"/> (the socket is being closed, or could not be
    /// added to epoll); nothing if none waits.
    /// </summary>
    public void Abort(SocketError error)
    {
        // A call that starts after the close must try, and fail at once: a closed socket brings no edge to wait for.
        _final = true;
        if (Interlocked.CompareExchange(ref _state, Running, Waiting) != Waiting) return;
        Error = error;
        Complete(error);
    }

    private void Cancel(CancellationToken token)
    {
        if (token != _token) return; // the registration of an operation that has already ended
        if (Interlocked.CompareExchange(ref _state, Running, Waiting) == Waiting) Complete(null, new OperationCanceledException(token));
    }

    /// <summary>Completes the waiting operation: with its result, or -1 or an exception when it failed with <paramref name="error"/>.</summary>
    private void Complete(SocketError? error, Exception? canceled = null)
    {
        var result = error is null ? Result : -1;
        var failure = canceled ?? (error is { } failed && Throws ? ToException(failed) : null);
        _cancellation.Unregister();
        _cancellation = default;
        Volatile.Write(ref _state, Idle); // before the continuation, which may start the next operation
        if (failure is null) _core.SetResult(result);
        else _core.SetException(failure);
    }

    int IValueTaskSource<int>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
