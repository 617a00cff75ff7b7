using System.Text;

namespace Sockit.Http;

/// <summary>The client side of Sockit's one HTTP/1.1 codec: a response's status line and the header fields that frame its body.</summary>
internal readonly record struct ResponseHead(int Status, long ContentLength, bool Chunked, bool KeepAlive)
{
    /// <summary>Whether a body follows (not for HEAD, 1xx, 204 or 304).</summary>
    public bool HasBody(bool toHead) => !toHead && Status is >= 200 and not (204 or 304);

    /// <summary>Parses <paramref name="head"/> (everything up to the blank line, as <see cref="HttpHead.FindEnd"/> found it); false when it is not HTTP/1.x.</summary>
    public static bool TryParse(ReadOnlySpan<byte> head, out ResponseHead parsed)
    {
        parsed = default;
        if (head.Length < 12 || !head.StartsWith("HTTP/1."u8) || head[8] != ' ') return false;
        if (!int.TryParse(head.Slice(9, 3), out var status) || status is < 100 or > 599) return false;
        long length = -1;
        var chunked = false;
        var keepAlive = head[7] != (byte)'0'; // HTTP/1.1 keeps the connection unless told otherwise; 1.0 closes it
        var lineEnd = head.IndexOf((byte)'\n');
        while (lineEnd >= 0 && lineEnd + 1 < head.Length)
        {
            head = head[(lineEnd + 1)..];
            lineEnd = head.IndexOf((byte)'\n');
            var line = lineEnd < 0 ? head : head[..lineEnd];
            if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0) continue;
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "content-length"u8) && long.TryParse(value, out var parsedLength)) length = parsedLength;
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8)) chunked = value.IndexOf("chunked"u8) >= 0;
            else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
                keepAlive = !Ascii.EqualsIgnoreCase(value, "close"u8) && (keepAlive || Ascii.EqualsIgnoreCase(value, "keep-alive"u8));
        }
        parsed = new ResponseHead(status, length, chunked, keepAlive);
        return true;
    }
}
