using Sockit.Endpoints;

namespace Sockit.Load;

/// <summary>What a <see cref="LoadGenerator"/> run does, and its limits.</summary>
public sealed record LoadOptions
{
    /// <summary>The server to load (TCP, Unix stream, or UDP for pingpong).</summary>
    public required Endpoint Target { get; init; }

    /// <summary>How to speak TLS to a tls:// target (trust, SNI, ALPN); null is the defaults.</summary>
    public Tls.TlsClientOptions? Tls { get; init; }

    /// <summary>What each connection does.</summary>
    public LoadMode Mode { get; init; } = LoadMode.PingPong;

    /// <summary>Connections (or, for UDP, sockets) at once.</summary>
    public int Connections { get; init; } = 1;

    /// <summary>How long to measure, after the warm-up; the default without <see cref="Count"/> is 10 seconds.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Stop after this many requests (or connections, in connect mode) instead of after a duration.</summary>
    public long? Count { get; init; }

    /// <summary>
    /// Open loop: this many requests per second in total, each due at a fixed time, and its latency measured from that
    /// time, so a server that stalls shows it in every request that had to wait (no coordinated omission). Null is a
    /// closed loop: each connection sends again as soon as it has the reply.
    /// </summary>
    public double? Rate { get; init; }

    /// <summary>How many connections to open per second at the start; null opens them all at once.</summary>
    public double? ConnectRate { get; init; }

    /// <summary>Run this long first without recording, so caches, JIT and TCP windows settle.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.Zero;

    /// <summary>The message each request sends (the body, in HTTP mode; slow-read: what asks for the large answer).</summary>
    public ReadOnlyMemory<byte> Message { get; init; } = new byte[32];

    /// <summary>Pingpong: the reply is this many bytes; null expects the message back (an echo server).</summary>
    public int? ReplyLength { get; init; }

    /// <summary>Pingpong: the reply ends with this byte (a line protocol: <c>\n</c>); overrides <see cref="ReplyLength"/>.</summary>
    public byte? ReplyDelimiter { get; init; }

    /// <summary>A request (or connect) that takes longer counts as a timeout and its connection is replaced.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>HTTP mode: the method (a body is sent with every method but GET and HEAD).</summary>
    public string HttpMethod { get; init; } = "GET";

    /// <summary>HTTP mode: the request target.</summary>
    public string HttpPath { get; init; } = "/";

    /// <summary>Slowloris: the pause between two bytes of the request head. Slow-read: between two small reads.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Garbage: malformed and smuggling HTTP requests instead of random bytes.</summary>
    public bool GarbageHttp { get; init; }

    /// <summary>The longest a run may take however it is configured (a safety stop).</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromHours(1);
}
