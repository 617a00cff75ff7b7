using Microsoft.Extensions.Logging;
using Sockit.Servers.Http;
using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Hosting;

/// <summary>How a server runs: its limits, access rules, log and drain. Every limit has a safe default and counts what it cut.</summary>
public sealed record ServerOptions
{
    /// <summary>
    /// Connections served at once. Over it the server stops accepting, and new clients wait in the listen queue (the
    /// kernel's backlog) until a connection ends, as haproxy does: none is refused or reset for being one too many.
    /// </summary>
    public int MaxConnections { get; init; } = 1024;

    /// <summary>
    /// Connected clients the kernel holds until the server accepts them (listen()'s backlog, which the kernel caps at
    /// net.core.somaxconn). Null: the server's own default, <see cref="DefaultBacklog"/> for the test servers and mocks,
    /// as nginx has, and <see cref="MaxConnections"/> for a proxy, as haproxy has (511 if that is less). A short queue
    /// sheds a connect storm early (the kernel drops the SYNs it cannot queue, and the attacker slows down), so a client
    /// already queued waits less; a long one lets a burst of clients wait instead of retrying a second later.
    /// </summary>
    public int? Backlog { get; init; }

    /// <summary>The listen backlog of a server that names none: 511, nginx's default.</summary>
    public const int DefaultBacklog = 511;

    /// <summary>
    /// Connections served at once from one client address; more are reset at once. 0 is no limit (the default: on
    /// loopback every client has the same address).
    /// </summary>
    public int MaxConnectionsPerClient { get; init; }

    /// <summary>
    /// A connection with no data either way for this long is closed. Null uses the server's own default (five
    /// minutes for the test servers; none for a proxy, whose clients may hold idle connections on purpose).
    /// </summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Which clients are accepted; the others are reset at once.</summary>
    internal AccessPolicy Policy { get; init; } = AccessPolicy.AllowAll;

    /// <summary>How long open exchanges may run on after a stop is asked for, before they are cut.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>For a <c>tls://</c> endpoint: the certificate and TLS rules; each connection handshakes before its service starts.</summary>
    public Tls.TlsServerOptions? Tls { get; init; }

    /// <summary>
    /// Where a server logs: each socket call at <c>Trace</c> level (data calls) or <c>Debug</c> (the rest), and each finished connection at <c>Information</c>. Null logs nothing.
    /// </summary>
    public ILogger? Logger { get; init; }

    /// <summary>Receives every socket call, or null (then the <see cref="Logger"/>'s tracer, if any).</summary>
    internal ISocketTracer? Tracer { get => field ?? LoggingSocketTracer.For(Logger); init; }

    /// <summary>Permissions for a Unix socket file.</summary>
    public UnixFileMode? UnixFileMode { get; init; }

    /// <summary>Limits and timeouts of the HTTP echo server.</summary>
    public HttpEchoOptions Http { get; init; } = new();

    /// <summary>Told about each finished connection (or datagram), for a log. Called from many threads.</summary>
    internal Action<ConnectionRecord>? OnConnection { get => field ?? LoggingSocketTracer.ConnectionLogFor(Logger); init; }
}
