using Sockit.Hosting;
using Sockit.Transport;

namespace Sockit.Servers;

/// <summary>RFC 863 discard: reads everything and answers nothing.</summary>
internal sealed class DiscardService : IConnectionService, IDatagramService
{
    // Every connection reads into this one buffer: the bytes are thrown away, so sharing it costs nothing and keeps
    // memory flat however many clients are sending.
    private static readonly byte[] Sink = new byte[64 * 1024];

    public async Task ServeAsync(Connection connection, ConnectionContext context)
    {
        while (true)
        {
            await connection.WaitReadableOrFailAsync(context.Abort).ConfigureAwait(false);
            var received = await connection.ReceiveOrFailAsync(Sink, context.Abort).ConfigureAwait(false);
            if (received == 0) return;
            if (received < 0)
            {
                context.Outcome = "reset by peer";
                return;
            }
        }
    }

    public int Reply(ReadOnlySpan<byte> request, Span<byte> reply) => -1;
}
