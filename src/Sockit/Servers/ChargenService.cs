using Sockit.Hosting;
using Sockit.Transport;

namespace Sockit.Servers;

/// <summary>
/// RFC 864 character generator: lines of 72 printable ASCII characters, each starting one character later than the
/// last, sent until the client goes away. Over datagrams, each datagram received gets one datagram of 0–512 characters.
/// </summary>
internal sealed class ChargenService : IConnectionService, IDatagramService
{
    private const int LineLength = 72;
    private const int Printable = 95; // ' ' through '~'
    private const int SendSize = 64 * 1024;

    /// <summary>One full period of the pattern (95 lines), then enough again to send any 64 KiB window from any offset.</summary>
    internal static readonly byte[] Pattern = BuildPattern();

    internal static int Period => Printable * (LineLength + 2);

    private int _datagramOffset;

    private static byte[] BuildPattern()
    {
        var period = new byte[Printable * (LineLength + 2)];
        var at = 0;
        for (var line = 0; line < Printable; line++)
        {
            for (var i = 0; i < LineLength; i++) period[at++] = (byte)(' ' + ((line + i) % Printable));
            period[at++] = (byte)'\r';
            period[at++] = (byte)'\n';
        }
        var pattern = new byte[period.Length + SendSize];
        for (var i = 0; i < pattern.Length; i++) pattern[i] = period[i % period.Length];
        return pattern;
    }

    public async Task ServeAsync(Connection connection, ConnectionContext context)
    {
        // Read (and drop) what the client sends, so its writes never block; a reset ends everything.
        using var done = CancellationTokenSource.CreateLinkedTokenSource(context.Abort);
        var reading = DrainAsync(connection, done);
        try
        {
            var offset = 0;
            while (!done.IsCancellationRequested)
            {
                await connection.SendAsync(Pattern.AsMemory(offset, SendSize), done.Token).ConfigureAwait(false);
                offset = (offset + SendSize) % Period;
            }
        }
        catch (OperationCanceledException) when (!context.Abort.IsCancellationRequested)
        {
            // The client reset or left: the normal end of a chargen session.
        }
        finally
        {
            await done.CancelAsync().ConfigureAwait(false);
            await reading.ConfigureAwait(false);
        }
    }

    private static async Task DrainAsync(Connection connection, CancellationTokenSource done)
    {
        var sink = new byte[512];
        try
        {
            while (await connection.ReceiveAsync(sink, done.Token).ConfigureAwait(false) > 0)
            {
            }
            // EOF: the client finished sending but may still read; keep generating.
        }
        catch (SockitException)
        {
            await done.CancelAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public int Reply(ReadOnlySpan<byte> request, Span<byte> reply)
    {
        var length = Random.Shared.Next(0, 513);
        var offset = Interlocked.Add(ref _datagramOffset, LineLength + 2) % Period;
        Pattern.AsSpan(offset, length).CopyTo(reply);
        return length;
    }
}
