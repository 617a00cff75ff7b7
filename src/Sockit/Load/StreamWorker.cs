using Sockit.Transport;

namespace Sockit.Load;

/// <summary>
/// Writes the message over and over as fast as the server takes it while reading whatever comes back, until the
/// deadline: throughput each way (an echo server returns it, discard only takes, chargen only gives).
/// </summary>
internal sealed class StreamWorker(LoadRun run, int index) : LoadWorker(run, index)
{
    public override async Task RunAsync()
    {
        if (!Run.MayStart()) return;
        Connection connection;
        try
        {
            connection = await ConnectAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SockitException or OperationCanceledException)
        {
            await FailedAsync(ex).ConfigureAwait(false);
            return;
        }
        await using (connection)
        {
            var writing = WriteAsync(connection);
            var reading = ReadAsync(connection);
            foreach (var direction in new[] { writing, reading })
            {
                try
                {
                    await direction.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SockitException or ObjectDisposedException or OperationCanceledException)
                {
                    await FailedAsync(ex).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task WriteAsync(Connection connection)
    {
        var message = Options.Message;
        while (!Run.Stop.IsCancellationRequested && System.Diagnostics.Stopwatch.GetTimestamp() < Run.Deadline)
        {
            await connection.SendAsync(message, Run.Stop).ConfigureAwait(false);
            Streamed(message.Length, sent: true);
        }
    }

    private async Task ReadAsync(Connection connection)
    {
        var buffer = new byte[256 * 1024];
        int read;
        while ((read = await connection.ReceiveAsync(buffer, Run.Stop).ConfigureAwait(false)) > 0) Streamed(read, sent: false);
    }
}
