namespace Sockit.Hosting;

/// <summary>
/// What a service knows of the host while it serves one connection, and what it reports back for the log. One per
/// connection.
/// </summary>
internal sealed class ConnectionContext(CancellationToken stopping, CancellationToken abort, ServerOptions options)
{
    /// <summary>Cancelled when the host starts to drain: finish the exchange in progress, start no new one.</summary>
    public CancellationToken Stopping { get; } = stopping;

    /// <summary>Cancelled when the drain is over: stop at once.</summary>
    public CancellationToken Abort { get; } = abort;

    /// <summary>The host's options.</summary>
    public ServerOptions Options { get; } = options;

    /// <summary>Requests answered on this connection (HTTP services count them).</summary>
    public int Requests { get; set; }

    /// <summary>
    /// How the connection ended, when the service knows better than "closed". Once a limit has ended the connection
    /// (<see cref="LimitHit"/>) and said so, that stays: the service's calls then fail only because the host closed the
    /// socket, and it would call that a reset.
    /// </summary>
    public string? Outcome
    {
        get;
        set
        {
            if (LimitHit is null || field is null) field = value;
        }
    }

    /// <summary>A limit that ended the connection, counted in the host's summary (<see cref="ServerSummary.Limits"/>).</summary>
    public HostLimit? LimitHit { get; set; }
}
