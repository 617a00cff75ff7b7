namespace Sockit.Http;

/// <summary>What one HTTP/1.1 server reads at most, and how long it waits: each breach has its status and reason.</summary>
internal sealed record HttpLimits
{
    /// <summary>Longest request line (414 beyond).</summary>
    public int MaxRequestLine { get; init; } = 8 * 1024;

    /// <summary>Largest header block, request line excluded (431 beyond).</summary>
    public int MaxHeaderBytes { get; init; } = 32 * 1024;

    /// <summary>Most header fields (431 beyond).</summary>
    public int MaxHeaderCount { get; init; } = 100;

    /// <summary>Largest request body (413 beyond).</summary>
    public long MaxBody { get; init; } = 1024 * 1024;

    /// <summary>Time for a request's head, and then for its body, from its first byte (408 beyond): the slowloris guard.</summary>
    public TimeSpan HeaderTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a keep-alive connection may sit idle between requests before it is closed.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The option a user raises for each limit, named in the reason of a refusal (say, --max-body); null names none.</summary>
    public string? MaxBodyOption { get; init; }

    /// <inheritdoc cref="MaxBodyOption"/>
    public string? HeaderTimeoutOption { get; init; }
}
