using Microsoft.Extensions.Logging;
using Sockit.Tracing;

namespace Sockit.Transport;

/// <summary>How <see cref="Dialer"/> and <see cref="DatagramChannel.ConnectAsync"/> connect.</summary>
public sealed record DialOptions
{
    /// <summary>The longest a connect may take, over every address the host resolves to; null waits as long as the OS does.</summary>
    public TimeSpan? ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Sets TCP_NODELAY, so small writes go out at once rather than waiting to be merged (Nagle).</summary>
    public bool NoDelay { get; init; }

    /// <summary>SO_RCVBUF before connecting (the kernel doubles it): a small one makes a slow reader, as slow-read attacks are.</summary>
    public int? ReceiveBufferSize { get; init; }

    /// <summary>How to speak TLS to a <c>tls://</c> endpoint (trust, name, ALPN, client certificate); null is the defaults.</summary>
    public Tls.TlsClientOptions? Tls { get; init; }

    /// <summary>
    /// Where a client logs: each socket call at <c>Trace</c> level (data calls) or <c>Debug</c> (the rest). Null logs nothing.
    /// </summary>
    public ILogger? Logger { get; init; }

    /// <summary>Receives every socket call, or null (then the <see cref="Logger"/>'s tracer, if any).</summary>
    internal ISocketTracer? Tracer { get => field ?? LoggingSocketTracer.For(Logger); init; }
}
