using Sockit.Servers.Http;
using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Hosting;

/// <summary>How a <see cref="Servers.TestServer"/> runs.</summary>
public sealed record ServerOptions
{
    /// <summary>Connections served at once; more are turned away at once (HTTP: 503, others: a reset), never left hanging.</summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>Which clients are accepted.</summary>
    public AccessPolicy Policy { get; init; } = AccessPolicy.AllowAll;

    /// <summary>How long open exchanges may run on after a stop is asked for, before they are cut.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Receives every socket call, or null.</summary>
    public ISocketTracer? Tracer { get; init; }

    /// <summary>Permissions for a Unix socket file.</summary>
    public UnixFileMode? UnixFileMode { get; init; }

    /// <summary>Limits and timeouts of the HTTP echo server.</summary>
    public HttpEchoOptions Http { get; init; } = new();

    /// <summary>Told about each finished connection (or datagram), for a log. Called from many threads.</summary>
    public Action<ConnectionRecord>? OnConnection { get; init; }
}
