using Microsoft.Extensions.Logging;
using Sockit.Hosting;

namespace Sockit.Tracing;

/// <summary>Every message the library logs, defined once so that each costs nothing when its level is off.</summary>
internal static partial class SockitLog
{
    [LoggerMessage(EventId = 1, EventName = "SocketCall", Message = "{SocketCall} in {Microseconds} us")]
    public static partial void SocketCall(ILogger logger, LogLevel level, string socketCall, long microseconds);

    [LoggerMessage(EventId = 2, EventName = "ConnectionEnded", Level = LogLevel.Information,
        Message = "{Peer}: {Outcome} after {Duration}, {BytesReceived} bytes in, {BytesSent} bytes out, {Requests} requests")]
    private static partial void ConnectionEnded(ILogger logger, string peer, string outcome, TimeSpan duration, long bytesReceived, long bytesSent, int requests);

    public static void ConnectionEnded(ILogger logger, ConnectionRecord record) =>
        ConnectionEnded(logger, record.Peer.ToString(), record.Outcome, record.Duration, record.BytesReceived, record.BytesSent, record.Requests);
}
