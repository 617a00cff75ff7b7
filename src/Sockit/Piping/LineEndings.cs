namespace Sockit.Piping;

/// <summary>LF to CRLF, for line protocols typed on a Unix terminal.</summary>
internal static class LineEndings
{
    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="target"/> (at least twice its length), writing CR before each LF
    /// that lacks one; <paramref name="previous"/> carries the last byte across chunks. Returns the bytes written.
    /// </summary>
    public static int ToCrLf(ReadOnlySpan<byte> source, Span<byte> target, ref byte previous)
    {
        var written = 0;
        foreach (var b in source)
        {
            if (b == (byte)'\n' && previous != (byte)'\r') target[written++] = (byte)'\r';
            target[written++] = b;
            previous = b;
        }
        return written;
    }
}
