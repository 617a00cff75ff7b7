namespace Sockit.Load;

/// <summary>
/// Open a connection, close it, repeat: the latency is the time connect() took (resolving included). In reset mode the
/// close is abortive (RST), an attack on the server's accept path.
/// </summary>
internal sealed class ConnectWorker(LoadRun run, int index) : LoadWorker(run, index)
{
    public override async Task RunAsync()
    {
        while (Run.MayStart())
        {
            try
            {
                var due = await NextStartAsync().ConfigureAwait(false);
                BeginRequest();
                var connection = await ConnectAsync().ConfigureAwait(false);
                Completed(due);
                if (Options.Mode == LoadMode.Reset)
                {
                    connection.Reset();
                    CountOutcome("reset sent");
                }
                else connection.Dispose();
            }
            catch (Exception ex) when (ex is SockitException or ObjectDisposedException or OperationCanceledException)
            {
                if (!await FailedAsync(ex).ConfigureAwait(false)) break;
            }
        }
    }
}
