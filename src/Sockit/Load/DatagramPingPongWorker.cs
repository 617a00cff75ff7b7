using Sockit.Transport;

namespace Sockit.Load;

/// <summary>Pingpong over UDP: one datagram out, one back; a lost one is a timeout and the socket is replaced.</summary>
internal sealed class DatagramPingPongWorker(LoadRun run, int index) : LoadWorker(run, index)
{
    public override async Task RunAsync()
    {
        var message = Options.Message;
        var buffer = new byte[65536];
        DatagramChannel? channel = null;
        while (Run.MayStart())
        {
            try
            {
                var due = await NextStartAsync().ConfigureAwait(false);
                if (channel is null)
                {
                    channel = await DatagramChannel.ConnectAsync(Options.Target, cancellationToken: Run.Stop).ConfigureAwait(false);
                    Watch(channel);
                }
                BeginRequest();
                await channel.SendAsync(message, Run.Stop).ConfigureAwait(false);
                Sent(message.Length);
                var received = await channel.ReceiveAsync(buffer, Run.Stop).ConfigureAwait(false);
                Received(received);
                if (Options.ReplyLength is { } expected && received != expected) throw new ShortReplyException();
                Completed(due);
            }
            catch (Exception ex) when (ex is SockitException or ObjectDisposedException or OperationCanceledException or ShortReplyException)
            {
                channel = null;
                if (!await FailedAsync(ex).ConfigureAwait(false)) break;
            }
        }
        channel?.Dispose();
    }
}
