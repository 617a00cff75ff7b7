using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Sockit.Tracing;

/// <summary>Socket calls as log events: the library's tracer for a user's <see cref="ILogger"/>.</summary>
internal sealed class LoggingSocketTracer(ILogger logger) : ISocketTracer
{
    public void Record(in SocketCallEvent call)
    {
        // send and recv are the bulk: they go to Trace, so Debug shows the seven steps without the data.
        var level = call.IsDataCall ? LogLevel.Trace : LogLevel.Debug;
        if (!logger.IsEnabled(level)) return;
        SockitLog.SocketCall(logger, level, TextSocketTracer.Format(call),
            (long)Stopwatch.GetElapsedTime(call.StartTimestamp, call.EndTimestamp).TotalMicroseconds);
    }
}
