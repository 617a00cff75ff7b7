using System.Runtime.InteropServices;
using Sockit.Transport.Linux;

namespace Sockit.Transport;

/// <summary>A socket descriptor owned by Sockit's engine: closed once, when the last call using it has returned.</summary>
internal sealed class SocketHandle : SafeHandle
{
    public SocketHandle(int fd) : base(-1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle < 0;

    /// <summary>The descriptor's number, for traces and logs.</summary>
    public int Fd => (int)handle;

    /// <summary>Told once close() has run, by the thread that let go of the descriptor last.</summary>
    public IDescriptorCloseListener? CloseListener { get; set; }

    protected override bool ReleaseHandle()
    {
        var closed = Libc.Close((int)handle) == 0;
        CloseListener?.OnDescriptorClosed();
        return closed;
    }
}

/// <summary>An owner that must know when its descriptor is really closed, not only asked to close.</summary>
internal interface IDescriptorCloseListener
{
    /// <summary>close() has run: the descriptor has left every epoll set, and no new event will name it.</summary>
    void OnDescriptorClosed();
}
