using Sockit.Http;

namespace Sockit.Servers.Http;

/// <summary>
/// Limits of the HTTP echo server: each breach gets its status code and a one-line reason. The request line (8 KiB,
/// 414 beyond) and the header block (32 KiB or 100 fields, 431 beyond) have fixed limits.
/// </summary>
public sealed record HttpEchoOptions
{
    /// <summary>Largest request body (413 beyond).</summary>
    public long MaxBody { get; init; } = 1024 * 1024;

    /// <summary>Time allowed to send a request's headers, counted from its first byte (408 beyond): the slowloris guard.</summary>
    public TimeSpan HeaderTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a keep-alive connection may sit idle between requests before it is closed.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest <c>?delay=</c> a client may ask for.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How the command names <see cref="MaxBody"/>, for the refusals a client reads; null in the library.</summary>
    internal string? MaxBodyOption { get; init; }

    /// <summary>How the command names <see cref="HeaderTimeout"/>; null in the library.</summary>
    internal string? HeaderTimeoutOption { get; init; }

    /// <summary>The limits as the shared HTTP reader takes them, naming the command's options in its refusals.</summary>
    internal HttpLimits Limits => field ??= new HttpLimits
    {
        MaxBody = MaxBody,
        HeaderTimeout = HeaderTimeout,
        KeepAliveTimeout = KeepAliveTimeout,
        MaxBodyOption = MaxBodyOption,
        HeaderTimeoutOption = HeaderTimeoutOption,
    };
}
