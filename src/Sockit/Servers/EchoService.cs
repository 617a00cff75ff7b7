using System.Buffers;
using Sockit.Hosting;
using Sockit.Transport;

namespace Sockit.Servers;

/// <summary>RFC 862 echo: every byte comes back, in order; the client's EOF ends the exchange.</summary>
internal sealed class EchoService : IConnectionService, IDatagramService
{
    private const int BufferSize = 64 * 1024;

    public async Task ServeAsync(Connection connection, ConnectionContext context)
    {
        var mayHaveMore = false;
        while (true)
        {
            // Idle connections hold no buffer: wait for data first, then borrow one (unless the last read filled it).
            if (!mayHaveMore) await connection.WaitReadableOrFailAsync(context.Abort).ConfigureAwait(false);
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                var received = await connection.ReceiveOrFailAsync(buffer, context.Abort).ConfigureAwait(false);
                if (received == 0) return;
                if (received < 0 || await connection.SendOrFailAsync(buffer.AsMemory(0, received), context.Abort).ConfigureAwait(false) < 0)
                {
                    context.Outcome = "reset by peer"; // routine for a test server: no exception for it
                    return;
                }
                mayHaveMore = received == buffer.Length;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    public int Reply(ReadOnlySpan<byte> request, Span<byte> reply)
    {
        request.CopyTo(reply);
        return request.Length;
    }
}
