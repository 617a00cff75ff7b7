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

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
