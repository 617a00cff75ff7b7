using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Sockit.Transport;

namespace Sockit.Servers;

/// <summary>
/// Echo without .NET's socket engine in the data path: connections are accepted, limited and logged as usual, then
/// their file descriptors join one epoll loop per pair of cores that reads and writes them directly. Through the
/// engine each echoed message cost a failed recv, a queued operation and a wake-up, which held 50 busy connections to
/// about half a C epoll server's round trips on a small machine. Backpressure as before: a client that does not read
/// gets its reply held (one read's worth) and nothing more is read from it until that is written.
/// Used on Linux x64 without a tracer (a traced server shows every call, so it takes the general path).
/// </summary>
internal sealed unsafe class EpollEchoLoop : IDisposable
{
    private const int BufferSize = 64 * 1024;

    private readonly int _epoll;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<Link> _cuts = new();
    private volatile bool _stopping;

    private EpollEchoLoop()
    {
        _epoll = Epoll.Create();
        _thread = new Thread(Run) { IsBackground = true, Name = "sockit echo epoll" };
        _thread.Start();
    }

    /// <summary>Loops for an echo server, or null where the general path must serve (not Linux x64, or traced).</summary>
    public static EpollEchoLoop[]? CreateFor(ServerOptions options)
    {
        if (!Epoll.Available || options.Tracer is not null) return null;
        return [.. Enumerable.Range(0, Math.Max(1, Environment.ProcessorCount / 2)).Select(_ => new EpollEchoLoop())];
    }

    /// <summary>One connection in the loop. It holds a reference on the socket's handle, so the fd cannot be closed (and its number reused) under the loop.</summary>
    private sealed class Link(Connection connection)
    {
        public readonly Connection Connection = connection;
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public GCHandle Self;
        public int Fd;
        public byte[]? Pending;
        public int PendingStart, PendingEnd;
        public bool Finished, Referenced;
        public CancellationTokenRegistration Abort;
    }

    /// <summary>Echoes on <paramref name="connection"/> until the client's EOF (then returns), a reset, or the abort.</summary>
    public Task ServeAsync(Connection connection, CancellationToken abort)
    {
        var link = new Link(connection);
        connection.Socket.Blocking = false; // read() and write() must say EAGAIN, not wait
        var handle = connection.Socket.SafeHandle;
        handle.DangerousAddRef(ref link.Referenced);
        link.Fd = (int)handle.DangerousGetHandle();
        link.Self = GCHandle.Alloc(link);
        if (!Epoll.Control(_epoll, Epoll.CtlAdd, link.Fd, Epoll.In, GCHandle.ToIntPtr(link.Self)))
        {
            link.Self.Free();
            handle.DangerousRelease();
            return Task.FromException(new SockitException(SockitError.Other, $"epoll_ctl failed (errno {Marshal.GetLastPInvokeError()})"));
        }
        link.Abort = abort.Register(static state =>
        {
            var (loop, cut) = ((EpollEchoLoop, Link))state!;
            loop._cuts.Enqueue(cut); // the loop thread alone touches a link's fd
        }, (this, link));
        return link.Done.Task;
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        Epoll.Close(_epoll);
    }

    private void Run()
    {
        var buffer = GC.AllocateArray<byte>(BufferSize, pinned: true);
        var events = GC.AllocateArray<Epoll.Event>(256, pinned: true);
        fixed (byte* data = buffer)
        fixed (Epoll.Event* ready = events)
        {
            while (!_stopping)
            {
                var count = Epoll.Wait(_epoll, ready, events.Length, 50);
                for (var i = 0; i < count; i++)
                {
                    var link = (Link)GCHandle.FromIntPtr(ready[i].Data).Target!;
                    if (link.Finished) continue;
                    if ((ready[i].Events & Epoll.Out) != 0 && link.Pending is not null) Flush(link);
                    else if (link.Pending is null) Echo(link, data);
                }
                while (_cuts.TryDequeue(out var cut)) Finish(cut, new OperationCanceledException("cut at shutdown"));
            }
        }
    }

    private void Echo(Link link, byte* data)
    {
        var read = Epoll.Read(link.Fd, data, BufferSize);
        if (read < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is not (Epoll.EAgain or Epoll.EIntr)) Finish(link, Reset());
            return;
        }
        if (read == 0)
        {
            Finish(link, null); // the client's EOF: the host closes, after everything was echoed
            return;
        }
        var written = Epoll.Write(link.Fd, data, read);
        if (written < 0)
        {
            if (Marshal.GetLastPInvokeError() is not (Epoll.EAgain or Epoll.EIntr))
            {
                link.Connection.CountTransfer(read, 0);
                Finish(link, Reset());
                return;
            }
            written = 0;
        }
        link.Connection.CountTransfer(read, written);
        if (written == read) return;
        // The client is not reading: keep the rest, stop reading, and wait until the socket can take it.
        link.Pending = ArrayPool<byte>.Shared.Rent(BufferSize);
        new ReadOnlySpan<byte>(data + written, (int)(read - written)).CopyTo(link.Pending);
        (link.PendingStart, link.PendingEnd) = (0, (int)(read - written));
        Watch(link, Epoll.Out);
    }

    private void Flush(Link link)
    {
        fixed (byte* pending = link.Pending)
        {
            var written = Epoll.Write(link.Fd, pending + link.PendingStart, link.PendingEnd - link.PendingStart);
            if (written < 0)
            {
                if (Marshal.GetLastPInvokeError() is not (Epoll.EAgain or Epoll.EIntr)) Finish(link, Reset());
                return;
            }
            link.Connection.CountTransfer(0, written);
            link.PendingStart += (int)written;
        }
        if (link.PendingStart < link.PendingEnd) return;
        ArrayPool<byte>.Shared.Return(link.Pending!);
        link.Pending = null;
        Watch(link, Epoll.In);
    }

    private void Watch(Link link, uint events)
    {
        if (!Epoll.Control(_epoll, Epoll.CtlMod, link.Fd, events, GCHandle.ToIntPtr(link.Self))) Finish(link, Reset());
    }

    private SockitException Reset() => new(SockitError.ConnectionReset, "connection reset by peer");

    /// <summary>Takes the link out of the loop and lets go of the fd; the host then closes it and logs the outcome.</summary>
    private void Finish(Link link, Exception? error)
    {
        if (link.Finished) return;
        link.Finished = true;
        Epoll.Control(_epoll, Epoll.CtlDel, link.Fd, 0, 0);
        if (link.Pending is not null) ArrayPool<byte>.Shared.Return(link.Pending);
        link.Pending = null;
        link.Abort.Dispose();
        link.Self.Free();
        if (link.Referenced) link.Connection.Socket.SafeHandle.DangerousRelease();
        if (error is null) link.Done.TrySetResult();
        else link.Done.TrySetException(error);
    }
}
