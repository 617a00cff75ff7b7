using Sockit.Tracing;

namespace Sockit.Transport;

/// <summary>How a <see cref="Listener"/> or a bound <see cref="DatagramChannel"/> is set up.</summary>
public sealed record ListenerOptions
{
    /// <summary>How many connections the kernel may queue before accept() takes them (listen()'s backlog).</summary>
    public int Backlog { get; init; } = 512;

    /// <summary>Receives every socket call, or null for none.</summary>
    public ISocketTracer? Tracer { get; init; }

    /// <summary>Permissions for a Unix socket file, such as 0600 for the owner only; null keeps the umask's.</summary>
    public UnixFileMode? UnixFileMode { get; init; }
}
