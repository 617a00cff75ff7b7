namespace Sockit.Hosting;

/// <summary>What a service needs to know about the server's life while it serves one connection.</summary>
/// <param name="Stopping">Cancelled when the server starts to drain: finish the exchange in progress, start no new one.</param>
/// <param name="Abort">Cancelled when the drain time is over: stop at once.</param>
/// <param name="Options">The server's options.</param>
internal sealed record ServiceContext(CancellationToken Stopping, CancellationToken Abort, ServerOptions Options);

/// <summary>Per-connection facts a service reports back for the log.</summary>
internal sealed class ConnectionState
{
    public int Requests;
    public string? Outcome;
}
