using System.Globalization;
using System.Text;

namespace Sockit.Tracing;

/// <summary>
/// Writes the bytes of a conversation as a hexdump: '&gt;' for sent, '&lt;' for received, an offset counted per direction,
/// 16 bytes a line in hex and as printable ASCII. Safe to call from the send and receive tasks at once.
/// </summary>
internal sealed class HexDumpWriter : IDataDump
{
    private const int BytesPerLine = 16;
    private readonly TextWriter _writer;
    private readonly Lock _lock = new();
    private readonly StringBuilder _line = new(80);
    private long _sentOffset;
    private long _receivedOffset;

    /// <summary>Creates a writer that dumps to <paramref name="writer"/>.</summary>
    public HexDumpWriter(TextWriter writer) => _writer = writer;

    /// <summary>Dumps one chunk of data moving in <paramref name="direction"/>.</summary>
    public void Write(DataDirection direction, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            ref var offset = ref direction == DataDirection.Sent ? ref _sentOffset : ref _receivedOffset;
            var mark = direction == DataDirection.Sent ? '>' : '<';
            for (var i = 0; i < data.Length; i += BytesPerLine)
            {
                var line = data.Slice(i, Math.Min(BytesPerLine, data.Length - i));
                FormatLine(_line, mark, offset + i, line);
                _writer.WriteLine(_line);
            }
            offset += data.Length;
            _writer.Flush();
        }
    }

    /// <summary>Formats one hexdump line of up to 16 bytes into <paramref name="text"/>.</summary>
    internal static void FormatLine(StringBuilder text, char mark, long offset, ReadOnlySpan<byte> bytes)
    {
        text.Clear();
        text.Append(mark).Append(' ').Append(offset.ToString("x8", CultureInfo.InvariantCulture)).Append("  ");
        for (var j = 0; j < BytesPerLine; j++)
        {
            if (j < bytes.Length) text.Append(bytes[j].ToString("x2", CultureInfo.InvariantCulture)).Append(' ');
            else text.Append("   ");
            if (j == 7) text.Append(' ');
        }
        text.Append(" |");
        foreach (var b in bytes) text.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
        text.Append('|');
    }
}
