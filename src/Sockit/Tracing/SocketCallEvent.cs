using System.Net.Sockets;

namespace Sockit.Tracing;

/// <summary>One socket call as it happened. A value type, so tracing a send or recv allocates nothing.</summary>
/// <param name="Call">Which call.</param>
/// <param name="Fd">The socket's file descriptor, or -1 where there is none yet.</param>
/// <param name="Arguments">The arguments after the descriptor, already formatted (null for send and recv).</param>
/// <param name="Result">The call's return value: a descriptor, a byte count, or 0.</param>
/// <param name="Error">The error the call failed with, or <see cref="SocketError.Success"/>.</param>
/// <param name="StartTimestamp">When the call began, as a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</param>
/// <param name="EndTimestamp">When the call returned, as a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</param>
/// <param name="Note">What the result means, when it needs saying (the peer of an accept, the port a bind got).</param>
internal readonly record struct SocketCallEvent(
    SocketCall Call,
    int Fd,
    string? Arguments,
    long Result,
    SocketError Error,
    long StartTimestamp,
    long EndTimestamp,
    string? Note = null)
{
    /// <summary>True for send, recv, sendto and recvfrom: the calls that move data.</summary>
    public bool IsDataCall => Call is SocketCall.Send or SocketCall.Recv or SocketCall.SendTo or SocketCall.RecvFrom;

    /// <summary>True when the call failed.</summary>
    public bool Failed => Error != SocketError.Success;
}
