using System.Globalization;
using System.Text;

namespace Sockit.Http;

/// <summary>The <c>Date: ...</c> header line, made once a second rather than once a reply.</summary>
internal static class HttpDate
{
    private sealed record Current(long Second, byte[] Line);

    private static Current _current = new(-1, []);

    public static byte[] Line()
    {
        var now = DateTime.UtcNow;
        var second = now.Ticks / TimeSpan.TicksPerSecond;
        var current = Volatile.Read(ref _current);
        if (current.Second == second) return current.Line;
        var line = Encoding.ASCII.GetBytes("Date: " + now.ToString("R", CultureInfo.InvariantCulture) + "\r\n");
        Volatile.Write(ref _current, new Current(second, line));
        return line;
    }
}
