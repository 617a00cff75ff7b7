using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sockit.Transport.Linux;

namespace Sockit.Transport;

/// <summary>
/// One thread of Sockit's I/O engine: an edge-triggered epoll set of sockets and the loop that waits on it. Each socket
/// is added once, for reading and writing (an accepted one only when a call on it first would block), and told of every
/// edge (<see cref="IIoEvents"/>); a socket owner tries its calls directly and only waits for an edge when the kernel
/// says it would block. So an echoed message costs one recv(), one send() and a share of one epoll_wait(), as in a C
/// epoll server, where .NET's engine spent a failed recv, a queued operation and a wake-up more. Work from other threads
/// (freeing a closed socket's handle) is posted and run between batches of events, after any event that might still
/// name that socket.
/// </summary>
internal sealed unsafe class IoLoop
{
    private const uint EpollIn = 0x001, EpollOut = 0x004, EpollErr = 0x008, EpollHup = 0x010, EpollRdHup = 0x2000, EpollEt = 1u << 31;
    private const int CtlAdd = 1;
    private const int BatchSize = 256;

    private static readonly Lazy<IoLoop[]> Loops = new(StartLoops);
    private static int _next;

    [ThreadStatic]
    private static IoLoop? _current;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly ConcurrentQueue<(Action<object?> Work, object? State)> _posted = new();
    private int _wakePending;
    private readonly int _threadId;

    // x86-64 packs struct epoll_event (4 bytes of events, then 8 of data); other 64-bit ABIs align the data to 8.
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private IoLoop(int index)
    {
        _epoll = Libc.EpollCreate1(0x80000); // EPOLL_CLOEXEC
        _wake = Libc.EventFd(0, 0x80000 | 0x800); // EFD_CLOEXEC | EFD_NONBLOCK
        if (_epoll < 0 || _wake < 0) throw new SockitException(SockitError.Other, $"the I/O engine could not start: epoll or eventfd failed ({Libc.LastError()})");
        var registration = stackalloc byte[16];
        WriteEvent(registration, EpollIn | EpollEt, 0); // data 0 marks the wake-up descriptor
        Libc.EpollCtl(_epoll, CtlAdd, _wake, registration);
        var thread = new Thread(Run) { IsBackground = true, Name = $"sockit io {index}" };
        thread.UnsafeStart(); // the engine's threads carry no execution context of whoever first used the engine
        _threadId = thread.ManagedThreadId;
    }

    /// <summary>
    /// How many loops run: one per two cores (SOCKIT_IO_LOOPS overrides), started on first use and kept for the process.
    /// A test server usually shares the machine with the client that loads it: on two cores, one loop beside the client
    /// echoed 50 connections at 0.95× a C epoll server, two loops competing with it at 0.5-0.9×.
    /// </summary>
    public static int Count => Loops.Value.Length;

    /// <summary>Every loop of the engine, started if none runs yet.</summary>
    public static IoLoop[] All => Loops.Value;

    /// <summary>The loop for a new socket: round robin, so the sockets of a busy server spread over every loop.</summary>
    public static IoLoop Next()
    {
        var loops = Loops.Value;
        return loops[(uint)Interlocked.Increment(ref _next) % (uint)loops.Length];
    }

    /// <summary>The loop whose thread this is, or null off the engine's threads.</summary>
    public static IoLoop? Current => _current;

    /// <summary>
    /// The loop for a socket a connection's own code opens (a proxy's upstream): the loop it runs on, so every socket of
    /// one exchange has the same owner thread and its continuations never hop; off the engine, the next in turn.
    /// </summary>
    public static IoLoop Here() => _current ?? Next();

    /// <summary>
    /// Awaited on a loop's thread (a service that started inline there), goes on on the thread pool; elsewhere, goes on
    /// at once. For work that takes long (a TLS handshake signs for a millisecond or more), which would hold every other
    /// socket's edges on that loop meanwhile.
    /// </summary>
    public static Departure LeaveAsync() => default;

    /// <summary>The awaitable of <see cref="LeaveAsync"/>: complete at once off the loops, else resumed by the thread pool.</summary>
    internal readonly struct Departure : ICriticalNotifyCompletion
    {
        public Departure GetAwaiter() => this;

        public bool IsCompleted => _current is null;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => ThreadPool.UnsafeQueueUserWorkItem(static c => c(), continuation, preferLocal: false);

        public void UnsafeOnCompleted(Action continuation) => OnCompleted(continuation);
    }

    /// <summary>Whether continuations of socket calls run on the loop thread that completed them (see SOCKIT_INLINE_COMPLETIONS).</summary>
    public static bool InlineCompletions { get; } = Environment.GetEnvironmentVariable("SOCKIT_INLINE_COMPLETIONS") == "1";

    private static IoLoop[] StartLoops()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("Sockit's I/O engine runs on Linux (epoll); this operating system is not supported");
        var count = int.TryParse(Environment.GetEnvironmentVariable("SOCKIT_IO_LOOPS"), out var wanted) && wanted > 0
            ? wanted
            : Math.Clamp(Environment.ProcessorCount / 2, 1, 16);
        return [.. Enumerable.Range(0, count).Select(i => new IoLoop(i))];
    }

    /// <summary>
    /// Adds <paramref name="fd"/> for every edge, reading and writing, until it is closed (closing takes it out).
    /// <paramref name="owner"/> must stay allocated until the loop has run work posted after the close.
    /// </summary>
    public SocketError Add(SafeHandle fd, GCHandle owner)
    {
        var registration = stackalloc byte[16];
        WriteEvent(registration, EpollIn | EpollOut | EpollRdHup | EpollEt, GCHandle.ToIntPtr(owner));
        var added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            return Libc.EpollCtl(_epoll, CtlAdd, (int)fd.DangerousGetHandle(), registration) == 0 ? SocketError.Success : Libc.LastError();
        }
        catch (ObjectDisposedException)
        {
            return SocketError.OperationAborted; // closed by its owner before it was ever added
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }

    /// <summary>Runs <paramref name="work"/> on this loop's thread after the events it is handling now.</summary>
    public void Post(Action<object?> work, object? state)
    {
        _posted.Enqueue((work, state));
        // On the loop's own thread (a close in a continuation it runs) the work is taken after this batch of events
        // anyway: no eventfd write and read for it, two system calls per closed connection under churn.
        if (Environment.CurrentManagedThreadId == _threadId) return;
        if (Interlocked.Exchange(ref _wakePending, 1) != 0) return;
        ulong one = 1;
        Libc.Write(_wake, (byte*)&one, 8);
    }

    /// <summary>Awaited, goes on on this loop's thread after the events it is handling now: a turn for its other sockets.</summary>
    public Turn YieldTurn() => new(this);

    /// <summary>The awaitable of <see cref="YieldTurn"/>: never complete at once, resumed by posted work on the loop.</summary>
    internal readonly struct Turn(IoLoop loop) : ICriticalNotifyCompletion
    {
        public Turn GetAwaiter() => this;

        public bool IsCompleted => false;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => loop.Post(static c => ((Action)c!)(), continuation);

        public void UnsafeOnCompleted(Action continuation) => OnCompleted(continuation);
    }

    private static void WriteEvent(byte* at, uint events, nint data)
    {
        *(uint*)at = events;
        *(nint*)(at + DataOffset) = data;
    }

    private void Run()
    {
        _current = this;
        var events = GC.AllocateArray<byte>(BatchSize * EventSize, pinned: true);
        fixed (byte* batch = events)
        {
            while (true)
            {
                // Work still queued (posted by the last drain on this thread, which sets no wake-up) only polls.
                var count = Libc.EpollWait(_epoll, batch, BatchSize, _posted.IsEmpty ? -1 : 0);
                for (var i = 0; i < count; i++)
                {
                    var at = batch + i * EventSize;
                    var data = *(nint*)(at + DataOffset);
                    if (data == 0)
                    {
                        ulong drained;
                        Libc.Read(_wake, (byte*)&drained, 8);
                        Volatile.Write(ref _wakePending, 0);
                        continue;
                    }
                    var flags = *(uint*)at;
                    // Only IIoEvents owners are ever added: no cast check on the hottest line of the engine.
                    var owner = Unsafe.As<IIoEvents>(GCHandle.FromIntPtr(data).Target!);
                    try
                    {
                        owner.OnIoEvents(readable: (flags & (EpollIn | EpollRdHup | EpollHup | EpollErr)) != 0,
                            writable: (flags & (EpollOut | EpollHup | EpollErr)) != 0,
                            peerFinished: (flags & EpollRdHup) != 0,
                            failed: (flags & (EpollHup | EpollErr)) != 0);
                    }
                    catch (Exception ex)
                    {
                        // A bug of ours (continuations keep their exceptions in their own tasks): the loop must go on
                        // serving every other socket.
                        System.Diagnostics.Debug.Fail($"I/O loop event handler threw: {ex}");
                    }
                }
                // Only what was queued before this drain: work that queues itself again (an accept loop's YieldTurn after a
                // burst) runs after the next epoll_wait, so the loop's other sockets get their turn, as the yield means.
                for (var queued = _posted.Count; queued > 0 && _posted.TryDequeue(out var item); queued--) item.Work(item.State);
            }
        }
    }
}

/// <summary>A socket owner on an <see cref="IoLoop"/>: told on the loop's thread when its socket may have become readable or writable.</summary>
internal interface IIoEvents
{
    /// <param name="readable">Data, EOF or an error may be there to read.</param>
    /// <param name="writable">There may be room to send, or an error.</param>
    /// <param name="peerFinished">The peer has finished sending (EOF waits behind any data): final for reading only, since a half-closed peer may still read.</param>
    /// <param name="failed">The socket is shut both ways or has an error: final for both directions.</param>
    void OnIoEvents(bool readable, bool writable, bool peerFinished, bool failed);
}
