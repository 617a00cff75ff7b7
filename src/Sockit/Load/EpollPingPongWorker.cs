using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Sockit.Transport;

namespace Sockit.Load;

/// <summary>
/// Closed-loop pingpong over many TCP or Unix connections from one thread with its own epoll loop, as the C reference
/// client and wrk do. Through .NET's socket engine every round trip costs a failed recv, a queued operation and a
/// wake-up; here it is one epoll_wait for many connections, one read() and one write(), which is what lets one core
/// keep many connections busy. Used on Linux x64 when nothing needs the general path (no rate, small messages; off
/// with SOCKIT_NO_EPOLL=1); everything else goes through <see cref="PingPongWorker"/>.
/// </summary>
internal sealed unsafe class EpollPingPongWorker(LoadRun run, int index, int connections) : LoadWorker(run, index)
{
    private const int PollMilliseconds = 20;

    /// <summary>Whether a run can take this path: closed-loop pingpong on a stream endpoint, Linux x64, a message a socket takes whole.</summary>
    public static bool Suits(LoadOptions options) =>
        Epoll.Available && options.Mode == LoadMode.PingPong && options.Target.IsStream && options.Rate is null && options.Message.Length <= 16 * 1024;

    private System.Net.EndPoint? _address;

    private sealed class Link
    {
        public Socket? Socket;
        public int Fd = -1;
        public long SentAt;
        public int Got;
        public long RetryAt;
    }

    public override Task RunAsync() => Task.Factory.StartNew(Loop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Loop()
    {
        var epoll = Epoll.Create();
        var links = new Link[connections];
        for (var i = 0; i < links.Length; i++) links[i] = new Link();
        var message = Options.Message.ToArray();
        var replyLength = Options.ReplyLength ?? message.Length;
        var delimiter = Options.ReplyDelimiter;
        var buffer = new byte[64 * 1024];
        var events = new Epoll.Event[256];
        try
        {
            fixed (byte* input = buffer)
            fixed (byte* output = message)
            fixed (Epoll.Event* ready = events)
            {
                for (var i = 0; i < links.Length && Run.MayStart(); i++) Open(epoll, links, i, output, message.Length);
                while (!Run.Stop.IsCancellationRequested && Stopwatch.GetTimestamp() < Run.Deadline)
                {
                    var count = Epoll.Wait(epoll, ready, events.Length, PollMilliseconds);
                    var now = Stopwatch.GetTimestamp();
                    for (var e = 0; e < count; e++)
                    {
                        var link = links[(int)ready[e].Data];
                        if (link.Fd < 0) continue;
                        var read = Epoll.Read(link.Fd, input, buffer.Length);
                        if (read < 0 && Marshal.GetLastPInvokeError() == Epoll.EAgain) continue;
                        if (read <= 0)
                        {
                            Drop(link, read == 0 ? "short reply" : "reset", now);
                            continue;
                        }
                        link.Got += (int)read;
                        var whole = delimiter is { } end ? new ReadOnlySpan<byte>(input, (int)read).Contains(end) : link.Got >= replyLength;
                        if (!whole) continue;
                        Record(now - link.SentAt, now, message.Length, link.Got);
                        if (!Run.MayStart())
                        {
                            Drop(link, null, now);
                            continue;
                        }
                        Send(link, output, message.Length);
                    }
                    if ((count == 0 || count == events.Length) && !Tend(epoll, links, output, message.Length, now)) break;
                }
            }
        }
        finally
        {
            foreach (var link in links) link.Socket?.Dispose();
            Epoll.Close(epoll);
        }
    }

    /// <summary>Between bursts: times out stuck requests and reopens dropped connections; false once none is left to run.</summary>
    private bool Tend(int epoll, Link[] links, byte* output, int length, long now)
    {
        var alive = false;
        for (var i = 0; i < links.Length; i++)
        {
            var link = links[i];
            if (link.Fd >= 0 && now - link.SentAt > Run.TimeoutTicks) Drop(link, "timeout", now);
            if (link.Fd < 0 && link.RetryAt != 0 && now >= link.RetryAt)
            {
                if (Run.MayStart()) Open(epoll, links, i, output, length);
                else link.RetryAt = 0; // the count is used up: this connection is done
            }
            alive |= link.Fd >= 0 || link.RetryAt != 0;
        }
        return alive;
    }

    private void Open(int epoll, Link[] links, int index, byte* output, int length)
    {
        var link = links[index];
        link.RetryAt = 0;
        try
        {
            _address ??= Resolver.ResolveAsync(Options.Target, Run.Stop).GetAwaiter().GetResult()[0];
            var unix = _address.AddressFamily == AddressFamily.Unix;
            var socket = new Socket(_address.AddressFamily, SocketType.Stream, unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
            if (!unix) socket.NoDelay = true;
            socket.Connect(_address); // blocking, and never an async call: .NET's engine never registers this socket
            socket.Blocking = false;
            link.Socket = socket;
            link.Fd = (int)socket.Handle;
            if (!Epoll.Control(epoll, Epoll.CtlAdd, link.Fd, Epoll.In | Epoll.Err | Epoll.Hup, index)) throw new SocketException(Marshal.GetLastPInvokeError());
            Send(link, output, length);
        }
        catch (SocketException ex)
        {
            Drop(link, ex.SocketErrorCode == SocketError.ConnectionRefused ? "refused" : "other", Stopwatch.GetTimestamp());
        }
        catch (SockitException ex)
        {
            Drop(link, ex.Error == SockitError.UnknownHost ? "unknown host" : "other", Stopwatch.GetTimestamp());
        }
    }

    private void Send(Link link, byte* output, int length)
    {
        link.Got = 0;
        link.SentAt = Stopwatch.GetTimestamp();
        if (Epoll.Write(link.Fd, output, length) != length) Drop(link, "reset", link.SentAt); // a small message goes whole, or the peer is gone
    }

    /// <summary>Closes a connection (counting why, if it failed) and schedules a new one shortly.</summary>
    private void Drop(Link link, string? error, long now)
    {
        if (error is not null) CountError(error);
        link.Socket?.Dispose(); // closing the fd also takes it out of the epoll set
        link.Socket = null;
        link.Fd = -1;
        link.RetryAt = error is null ? 0 : now + Stopwatch.Frequency / 100;
    }
}
