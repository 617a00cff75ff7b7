using Sockit.Transport;

namespace Sockit.Load;

/// <summary>
/// Send the message, read until the reply is whole (its length, or its delimiter), repeat — over one connection. One
/// loop, one state machine for the whole run: a round trip that has to wait for its reply allocates nothing, and its
/// continuation runs where the reply's edge was seen (the I/O engine's loop, as the C reference client runs).
/// </summary>
internal sealed class PingPongWorker(LoadRun run, int index) : LoadWorker(run, index)
{
    public override async Task RunAsync()
    {
        var message = Options.Message;
        var replyLength = Options.ReplyLength ?? message.Length;
        var delimiter = Options.ReplyDelimiter;
        var buffer = new byte[Math.Max(replyLength, 64 * 1024)];
        Connection? connection = null;
        while (Run.MayStart())
        {
            try
            {
                var due = await NextStartAsync().ConfigureAwait(false);
                if (connection is null)
                {
                    BeginRequest();
                    connection = await ConnectAsync().ConfigureAwait(false);
                    Watch(connection);
                }
                BeginRequest();
                // No cancellation token per call: the run's stop and the watchdog close the socket, which ends a wait.
                await connection.SendAsync(message).ConfigureAwait(false);
                Sent(message.Length);
                var total = 0;
                while (true)
                {
                    var read = await connection.ReceiveAsync(buffer).ConfigureAwait(false);
                    if (read == 0) throw new ShortReplyException();
                    total += read;
                    if (delimiter is { } end ? Array.IndexOf(buffer, end, 0, read) >= 0 : total >= replyLength) break;
                }
                Received(total);
                Completed(due);
            }
            catch (Exception ex) when (IsRequestFailure(ex))
            {
                connection = null;
                if (!await FailedAsync(ex).ConfigureAwait(false)) break;
            }
        }
        connection?.Dispose();
    }
}
