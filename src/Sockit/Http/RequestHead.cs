using System.Text;

namespace Sockit.Http;

/// <summary>
/// A parsed request line and header block, as ranges into the connection's buffer: nothing is copied or turned into a
/// string unless the response needs it. Reused for every request of a connection.
/// </summary>
internal sealed class RequestHead
{
    public readonly List<(int NameStart, int NameLength, int ValueStart, int ValueLength)> Headers = new(16);
    public (int Start, int Length) Method;
    public (int Start, int Length) Target;
    public bool Http11;
    public long ContentLength = -1;
    public bool Chunked;
    public bool KeepAlive;
    public bool ExpectContinue;
    public bool WantsJson;
    public bool IsHead;

    /// <summary>Moves every range back by <paramref name="delta"/> bytes, after the buffer was compacted.</summary>
    public void Rebase(int delta)
    {
        Method.Start -= delta;
        Target.Start -= delta;
        for (var i = 0; i < Headers.Count; i++)
        {
            var (nameStart, nameLength, valueStart, valueLength) = Headers[i];
            Headers[i] = (nameStart - delta, nameLength, valueStart - delta, valueLength);
        }
    }

    private static ReadOnlySpan<byte> TokenChars => "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8;

    /// <summary>Parses <paramref name="head"/> (everything up to and including the blank line), at <paramref name="offset"/> in the buffer.</summary>
    /// <exception cref="HttpError">The request is malformed or over a limit.</exception>
    public void Parse(ReadOnlySpan<byte> head, int offset, HttpLimits options)
    {
        Headers.Clear();
        ContentLength = -1;
        Chunked = ExpectContinue = WantsJson = false;

        var lineEnd = head.IndexOf((byte)'\n');
        var line = TrimCr(head[..lineEnd]);
        if (line.Length > options.MaxRequestLine) throw new HttpError(414, $"request line longer than {options.MaxRequestLine} bytes");
        ParseRequestLine(line, offset);

        var at = lineEnd + 1;
        var headerBytes = 0;
        var transferEncoding = false;
        var connectionClose = false;
        var connectionKeepAlive = false;
        while (true)
        {
            var end = head[at..].IndexOf((byte)'\n');
            var field = TrimCr(head.Slice(at, end));
            if (field.IsEmpty) break;
            headerBytes += end + 1;
            if (headerBytes > options.MaxHeaderBytes) throw new HttpError(431, $"header block larger than {options.MaxHeaderBytes} bytes");
            if (Headers.Count >= options.MaxHeaderCount) throw new HttpError(431, $"more than {options.MaxHeaderCount} header fields");
            if (field[0] is (byte)' ' or (byte)'\t') throw new HttpError(400, "obsolete line folding in a header field");
            var colon = field.IndexOf((byte)':');
            if (colon <= 0) throw new HttpError(400, "header field without a name and colon");
            var name = field[..colon];
            if (name.IndexOfAnyExcept(TokenChars) >= 0) throw new HttpError(400, "header field name with an invalid character (spaces before ':' are not allowed)");
            var value = field[(colon + 1)..].Trim(" \t"u8);
            if (value.IndexOfAny((byte)'\r', (byte)'\0') >= 0) throw new HttpError(400, "header field value with a bare CR or NUL");
            var valueStart = offset + at + colon + 1 + (field[(colon + 1)..].Length - field[(colon + 1)..].TrimStart(" \t"u8).Length);
            Headers.Add((offset + at, name.Length, valueStart, value.Length));

            if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
            {
                if (!TryParseLength(value, out var length)) throw new HttpError(400, "Content-Length is not a number");
                if (ContentLength >= 0 && ContentLength != length) throw new HttpError(400, "conflicting Content-Length values");
                ContentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                transferEncoding = true;
                if (!Ascii.EqualsIgnoreCase(value, "chunked"u8)) throw new HttpError(501, "only the chunked transfer coding is supported");
                Chunked = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                connectionClose |= ContainsToken(value, "close"u8);
                connectionKeepAlive |= ContainsToken(value, "keep-alive"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "expect"u8))
            {
                if (!Ascii.EqualsIgnoreCase(value, "100-continue"u8)) throw new HttpError(417, "only Expect: 100-continue is supported");
                ExpectContinue = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "accept"u8))
            {
                WantsJson |= value.IndexOf("application/json"u8) >= 0;
            }
            at += end + 1;
        }
        if (transferEncoding && ContentLength >= 0) throw new HttpError(400, "both Content-Length and Transfer-Encoding (a request smuggling risk)");
        KeepAlive = Http11 ? !connectionClose : connectionKeepAlive && !connectionClose;
    }

    private void ParseRequestLine(ReadOnlySpan<byte> line, int offset)
    {
        var firstSpace = line.IndexOf((byte)' ');
        var lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace + 1) throw new HttpError(400, "malformed request line (expected METHOD TARGET HTTP/1.1)");
        var method = line[..firstSpace];
        var target = line[(firstSpace + 1)..lastSpace];
        var version = line[(lastSpace + 1)..];
        if (method.IndexOfAnyExcept(TokenChars) >= 0) throw new HttpError(400, "malformed method in the request line");
        if (target.IndexOfAnyInRange((byte)0, (byte)' ') >= 0 || target.Contains((byte)0x7f)) throw new HttpError(400, "request target with spaces or control characters");
        if (version.SequenceEqual("HTTP/1.1"u8)) Http11 = true;
        else if (version.SequenceEqual("HTTP/1.0"u8)) Http11 = false;
        else if (version.StartsWith("HTTP/"u8)) throw new HttpError(505, "only HTTP/1.0 and HTTP/1.1 are supported");
        else throw new HttpError(400, "malformed HTTP version in the request line");
        Method = (offset, method.Length);
        Target = (offset + firstSpace + 1, target.Length);
        IsHead = method.SequenceEqual("HEAD"u8);
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) => line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;

    private static bool TryParseLength(ReadOnlySpan<byte> value, out long length)
    {
        length = 0;
        if (value.IsEmpty || value.Length > 18) return false;
        foreach (var b in value)
        {
            if (b is < (byte)'0' or > (byte)'9') return false;
            length = length * 10 + (b - '0');
        }
        return true;
    }

    private static bool ContainsToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
            if (Ascii.EqualsIgnoreCase(value[range].Trim(" \t"u8), token)) return true;
        return false;
    }
}
