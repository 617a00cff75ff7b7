using Microsoft.Extensions.Logging;
using Sockit.Tracing;

namespace Sockit.Transport;

/// <summary>How a <see cref="Listener"/> or a bound <see cref="DatagramChannel"/> is set up.</summary>
public sealed record ListenerOptions
{
    /// <summary>How many connections the kernel may queue before accept() takes them (listen()'s backlog).</summary>
    public int Backlog { get; init; } = 512;

    /// <summary>
    /// TCP_NODELAY on the listening socket, which Linux passes on to every connection it accepts: answers go out at
    /// once, not held back to be merged (Nagle), without a setsockopt() per connection.
    /// </summary>
    public bool NoDelay { get; init; }

    /// <summary>
    /// Where a listener logs: each socket call at <c>Trace</c> level (data calls) or <c>Debug</c> (the rest). Null logs nothing.
    /// </summary>
    public ILogger? Logger { get; init; }

    /// <summary>Receives every socket call, or null (then the <see cref="Logger"/>'s tracer, if any).</summary>
    internal ISocketTracer? Tracer { get => field ?? LoggingSocketTracer.For(Logger); init; }

    /// <summary>Permissions for a Unix socket file, such as 0600 for the owner only; null keeps the umask's.</summary>
    public UnixFileMode? UnixFileMode { get; init; }
}
