using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Sockit.Hosting;

namespace Sockit.Tracing;

/// <summary>Socket calls as log events: the library's tracer for a user's <see cref="ILogger"/>.</summary>
internal sealed class LoggingSocketTracer(ILogger logger) : ISocketTracer
{
    // One tracer and one connection log per logger, made when first asked for: options records hand them out on every
    // connection, and a logger is usually one for the life of the process.
    private static readonly ConditionalWeakTable<ILogger, LoggingSocketTracer> Tracers = new();
    private static readonly ConditionalWeakTable<ILogger, Action<ConnectionRecord>> ConnectionLogs = new();

    /// <summary>The tracer that logs to <paramref name="logger"/>, or null for none.</summary>
    public static LoggingSocketTracer? For(ILogger? logger) => logger is null ? null : Tracers.GetValue(logger, static l => new LoggingSocketTracer(l));

    /// <summary>What logs each finished connection to <paramref name="logger"/>, or null for none.</summary>
    public static Action<ConnectionRecord>? ConnectionLogFor(ILogger? logger) =>
        logger is null ? null : ConnectionLogs.GetValue(logger, static l => record => SockitLog.ConnectionEnded(l, record));

    public void Record(in SocketCallEvent call)
    {
        // send and recv are the bulk: they go to Trace, so Debug shows the seven steps without the data.
        var level = call.IsDataCall ? LogLevel.Trace : LogLevel.Debug;
        if (!logger.IsEnabled(level)) return;
        SockitLog.SocketCall(logger, level, TextSocketTracer.Format(call),
            (long)Stopwatch.GetElapsedTime(call.StartTimestamp, call.EndTimestamp).TotalMicroseconds);
    }
}
