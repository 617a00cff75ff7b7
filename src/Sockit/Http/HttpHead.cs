namespace Sockit.Http;

/// <summary>Where an HTTP/1.1 message head ends: the one rule every reader of Sockit's shares, requests and responses alike.</summary>
internal static class HttpHead
{
    /// <summary>
    /// The length of the head at the start of <paramref name="data"/>, up to and including the blank line that ends it
    /// (CRLF CRLF, or bare LF LF and mixes, which RFC 9112 §2.2 lets a recipient accept); -1 when it has not all arrived.
    /// <paramref name="scanned"/> keeps how far an earlier call looked, so a head that trickles in is not rescanned.
    /// </summary>
    public static int FindEnd(ReadOnlySpan<byte> data, ref int scanned)
    {
        var from = Math.Max(0, scanned - 3);
        while (true)
        {
            var lf = data[from..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                scanned = data.Length;
                return -1;
            }
            var at = from + lf;
            if (at + 1 < data.Length && data[at + 1] == '\n') return at + 2;
            if (at + 2 < data.Length && data[at + 1] == '\r' && data[at + 2] == '\n') return at + 3;
            if (at + 2 >= data.Length)
            {
                scanned = at;
                return -1;
            }
            from = at + 1;
        }
    }
}
