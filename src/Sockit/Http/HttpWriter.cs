using System.Buffers;
using System.Globalization;
using System.Text;

namespace Sockit.Http;

/// <summary>The writing side of Sockit's one HTTP/1.1 codec: status lines, header fields and numbers into a pooled writer.</summary>
internal static class HttpWriter
{
    /// <summary><c>HTTP/1.1 200 OK</c> and the CRLF.</summary>
    public static void StatusLine(ArrayBufferWriter<byte> writer, int status)
    {
        writer.Write("HTTP/1.1 "u8);
        Status(writer, status);
        writer.Write("\r\n"u8);
    }

    /// <summary><c>200 OK</c>: the code and its standard reason phrase.</summary>
    public static void Status(ArrayBufferWriter<byte> writer, int status)
    {
        Number(writer, status);
        writer.Write(" "u8);
        Latin1(writer, ReasonPhrases.Of(status));
    }

    /// <summary><c>Name: value</c> and the CRLF.</summary>
    public static void Header(ArrayBufferWriter<byte> writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        writer.Write(name);
        writer.Write(": "u8);
        writer.Write(value);
        writer.Write("\r\n"u8);
    }

    /// <inheritdoc cref="Header(ArrayBufferWriter{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
    public static void Header(ArrayBufferWriter<byte> writer, string name, string value)
    {
        Latin1(writer, name);
        writer.Write(": "u8);
        Latin1(writer, value);
        writer.Write("\r\n"u8);
    }

    /// <summary><c>Content-Length: N</c> and the CRLF.</summary>
    public static void ContentLength(ArrayBufferWriter<byte> writer, long length)
    {
        writer.Write("Content-Length: "u8);
        Number(writer, length);
        writer.Write("\r\n"u8);
    }

    public static void Number(ArrayBufferWriter<byte> writer, long value)
    {
        value.TryFormat(writer.GetSpan(20), out var written, provider: CultureInfo.InvariantCulture);
        writer.Advance(written);
    }

    /// <summary>Text as Latin-1 (header values may carry obs-text; a string of ours is ASCII).</summary>
    public static void Latin1(ArrayBufferWriter<byte> writer, string text)
    {
        var written = Encoding.Latin1.GetBytes(text, writer.GetSpan(text.Length));
        writer.Advance(written);
    }
}
