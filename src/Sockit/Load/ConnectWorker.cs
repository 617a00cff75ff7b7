namespace Sockit.Load;

/// <summary>Open a connection, close it, repeat: the latency is the time connect() took (resolving included).</summary>
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
                connection.Dispose();
            }
            catch (Exception ex) when (ex is SockitException or ObjectDisposedException or OperationCanceledException)
            {
                if (!await FailedAsync(ex).ConfigureAwait(false)) break;
            }
        }
    }
}
