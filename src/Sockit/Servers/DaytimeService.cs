using System.Globalization;
using System.Text;
using Sockit.Hosting;
using Sockit.Transport;

namespace Sockit.Servers;

/// <summary>RFC 867 daytime: one human-readable line with the date and time, then the connection closes.</summary>
internal sealed class DaytimeService : IConnectionService, IDatagramService
{
    internal static byte[] Now() => Encoding.ASCII.GetBytes(
        DateTimeOffset.Now.ToString("dddd, MMMM d, yyyy HH:mm:ss zzz", CultureInfo.InvariantCulture) + "\r\n");

    public async Task ServeAsync(Connection connection, ConnectionContext context) =>
        await connection.SendAsync(Now(), context.Abort).ConfigureAwait(false);

    public int Reply(ReadOnlySpan<byte> request, Span<byte> reply)
    {
        var line = Now();
        line.CopyTo(reply);
        return line.Length;
    }
}
