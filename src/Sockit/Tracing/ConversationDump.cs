using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sockit.Tracing;

/// <summary>
/// Records what many connections say, both directions, each chunk stamped with the time and its connection's id, so a
/// tester can read a relayed conversation afterwards: <c>&gt;</c> is client to upstream, <c>&lt;</c> upstream to client.
/// Safe to use from every connection's tasks at once.
/// </summary>
internal sealed class ConversationDump : IDisposable
{
    private readonly TextWriter _writer;
    private readonly DumpFormat _format;
    private readonly bool _ownsWriter;
    private readonly Lock _lock = new();
    private readonly StringBuilder _line = new(128);
    private readonly long _startTicks = DateTime.UtcNow.Ticks - Stopwatch.GetTimestamp() * TimeSpan.TicksPerSecond / Stopwatch.Frequency;

    /// <summary>Dumps to <paramref name="writer"/> in <paramref name="format"/>.</summary>
    /// <param name="writer">Where the dump goes.</param>
    /// <param name="format">How it is written.</param>
    /// <param name="ownsWriter">Whether <see cref="Dispose"/> closes the writer (true for a file).</param>
    public ConversationDump(TextWriter writer, DumpFormat format, bool ownsWriter = false)
    {
        _writer = writer;
        _format = format;
        _ownsWriter = ownsWriter;
    }

    /// <summary>Opens (truncating) a dump file.</summary>
    /// <exception cref="SockitException">The file cannot be created.</exception>
    public static ConversationDump CreateFile(string path, DumpFormat format)
    {
        try
        {
            return new ConversationDump(new StreamWriter(path, append: false, new UTF8Encoding(false)), format, ownsWriter: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SockitException(SockitError.InvalidArgument, $"cannot create the dump file {path}: {ex.Message}");
        }
    }

    /// <summary>The view of one connection, which counts its own offsets.</summary>
    internal IDataDump For(long connection) => new ConnectionView(this, connection);

    /// <summary>Flushes and, if it owns the writer, closes it.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _writer.Flush();
            if (_ownsWriter) _writer.Dispose();
        }
    }

    private void Write(long connection, DataDirection direction, long offset, ReadOnlySpan<byte> data)
    {
        var now = new DateTime(_startTicks + Stopwatch.GetTimestamp() * TimeSpan.TicksPerSecond / Stopwatch.Frequency, DateTimeKind.Utc);
        var mark = direction == DataDirection.Sent ? '>' : '<';
        lock (_lock)
        {
            switch (_format)
            {
                case DumpFormat.Hex:
                    for (var i = 0; i < data.Length; i += 16)
                    {
                        HexDumpWriter.FormatLine(_line, mark, offset + i, data.Slice(i, Math.Min(16, data.Length - i)));
                        _writer.Write(now.ToString("HH:mm:ss.ffffff", CultureInfo.InvariantCulture));
                        _writer.Write(string.Create(CultureInfo.InvariantCulture, $" #{connection} "));
                        _writer.WriteLine(_line);
                    }
                    break;
                case DumpFormat.Text:
                    _line.Clear().Append(now.ToString("HH:mm:ss.ffffff", CultureInfo.InvariantCulture)).Append(" #").Append(connection).Append(' ').Append(mark)
                        .Append(" @").Append(offset).Append(' ');
                    foreach (var b in data)
                    {
                        _ = b switch
                        {
                            (byte)'\n' => _line.Append("\\n"),
                            (byte)'\r' => _line.Append("\\r"),
                            (byte)'\t' => _line.Append("\\t"),
                            (byte)'\\' => _line.Append("\\\\"),
                            >= 0x20 and < 0x7f => _line.Append((char)b),
                            _ => _line.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture)),
                        };
                    }
                    _writer.WriteLine(_line);
                    break;
                default:
                    _writer.WriteLine(JsonLine(now, connection, direction, offset, data));
                    break;
            }
            _writer.Flush();
        }
    }

    private static string JsonLine(DateTime time, long connection, DataDirection direction, long offset, ReadOnlySpan<byte> data)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", time.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture));
            json.WriteNumber("connection", connection);
            json.WriteString("direction", direction == DataDirection.Sent ? "upstream" : "downstream");
            json.WriteNumber("offset", offset);
            json.WriteNumber("length", data.Length);
            json.WriteBase64String("data", data);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private sealed class ConnectionView(ConversationDump dump, long connection) : IDataDump
    {
        private long _sent, _received;

        public void Write(DataDirection direction, ReadOnlySpan<byte> data)
        {
            ref var offset = ref direction == DataDirection.Sent ? ref _sent : ref _received;
            var at = Interlocked.Add(ref offset, data.Length) - data.Length;
            dump.Write(connection, direction, at, data);
        }
    }
}
