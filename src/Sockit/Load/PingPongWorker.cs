using Sockit.Transport;

namespace Sockit.Load;

/// <summary>Send the message, read until the reply is whole (its length, or its delimiter), repeat — over one connection.</summary>
internal sealed class PingPongWorker(LoadRun run, int index) : LoadWorker(run, index)
{
    public override Task RunAsync()
    {
        var message = Options.Message;
        var replyLength = Options.ReplyLength ?? message.Length;
        var buffer = new byte[Math.Max(replyLength, 64 * 1024)];
        return RunRequestsAsync(async connection =>
        {
            await connection.SendAsync(message, Run.Stop).ConfigureAwait(false);
            Sent(message.Length);
            Received(await ReadReplyAsync(connection, buffer, replyLength).ConfigureAwait(false));
            return true;
        });
    }

    /// <summary>Reads one reply: up to and including the delimiter if there is one, else <paramref name="length"/> bytes.</summary>
    private async ValueTask<int> ReadReplyAsync(Connection connection, byte[] buffer, int length)
    {
        var delimiter = Options.ReplyDelimiter;
        var total = 0;
        while (true)
        {
            var read = await connection.ReceiveAsync(buffer, Run.Stop).ConfigureAwait(false);
            if (read == 0) throw new ShortReplyException();
            total += read;
            if (delimiter is { } end ? Array.IndexOf(buffer, end, 0, read) >= 0 : total >= length) return total;
        }
    }
}
