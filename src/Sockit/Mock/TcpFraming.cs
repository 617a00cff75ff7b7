using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace Sockit.Mock;

/// <summary>
/// Where one tcp request ends, beyond mountebank (which takes each packet as a request unless JavaScript says
/// otherwise): an imposter's <c>"framing"</c> says it declaratively, so binary protocols need no JavaScript.
/// <c>{"type": "line"}</c>, <c>{"type": "delimiter", "delimiter": "\r\n\r\n"}</c>, <c>{"type": "fixed", "length": 16}</c>,
/// or <c>{"type": "length", "size": 2, "byteOrder": "big", "offset": 0}</c> (a length field of 1, 2 or 4 bytes after
/// <c>offset</c> bytes of header, counting the bytes after it). The frame given to the predicates is the whole frame.
/// </summary>
internal sealed class TcpFraming
{
    /// <summary>The largest frame: a request that grows past it is taken as it is.</summary>
    public const int MaxFrame = 1024 * 1024;

    private readonly string _type;
    private readonly byte[] _delimiter = [];
    private readonly int _length;
    private readonly int _size;
    private readonly int _offset;
    private readonly bool _bigEndian;

    private TcpFraming(string type, byte[] delimiter, int length, int size, int offset, bool bigEndian)
    {
        _type = type;
        _delimiter = delimiter;
        _length = length;
        _size = size;
        _offset = offset;
        _bigEndian = bigEndian;
    }

    /// <summary>Reads an imposter's framing; null for mountebank's packet boundaries.</summary>
    /// <exception cref="MockError">The framing is malformed (the error names the field).</exception>
    public static TcpFraming? From(JsonNode? framing, bool binary)
    {
        if (framing is null) return null;
        if (framing is not JsonObject config) throw MockError.Validation("'framing' must be an object such as {\"type\": \"line\"}");
        int Number(string field, int min, int max, int? fallback = null)
        {
            if (config[field] is null && fallback is int value) return value;
            if (!Js.TryInteger(config[field], out var n) || n < min || n > max) throw MockError.Validation($"'framing.{field}' must be an integer from {min} to {max}", framing);
            return (int)n;
        }
        switch (Js.ToText(config["type"]))
        {
            case "line":
                return new TcpFraming("delimiter", "\n"u8.ToArray(), 0, 0, 0, true);
            case "delimiter":
                var text = config["delimiter"] is JsonNode d ? Js.ToText(d) : "";
                var delimiter = binary ? TryBase64(text) : Encoding.UTF8.GetBytes(text);
                if (delimiter.Length == 0) throw MockError.Validation("'framing.delimiter' must be a non-empty string (base64 in binary mode)", framing);
                return new TcpFraming("delimiter", delimiter, 0, 0, 0, true);
            case "fixed":
                return new TcpFraming("fixed", [], Number("length", 1, MaxFrame), 0, 0, true);
            case "length":
                var size = Number("size", 1, 4);
                if (size == 3) throw MockError.Validation("'framing.size' must be 1, 2 or 4", framing);
                var order = config["byteOrder"] is JsonNode o ? Js.ToText(o) : "big";
                if (order is not ("big" or "little")) throw MockError.Validation("'framing.byteOrder' must be big or little", framing);
                return new TcpFraming("length", [], 0, size, Number("offset", 0, 1024, 0), order == "big");
            default:
                throw MockError.Validation("'framing.type' must be one of line, delimiter, fixed, length", framing);
        }
    }

    private static byte[] TryBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return [];
        }
    }

    /// <summary>The length of the first complete frame in <paramref name="data"/>, or 0 when it has not all arrived.</summary>
    public int FrameLength(ReadOnlySpan<byte> data)
    {
        switch (_type)
        {
            case "delimiter":
                var at = data.IndexOf(_delimiter);
                return at < 0 ? 0 : at + _delimiter.Length;
            case "fixed":
                return data.Length >= _length ? _length : 0;
            default:
                if (data.Length < _offset + _size) return 0;
                var field = data.Slice(_offset, _size);
                long body = _size switch
                {
                    1 => field[0],
                    2 => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(field) : BinaryPrimitives.ReadUInt16LittleEndian(field),
                    _ => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(field) : BinaryPrimitives.ReadUInt32LittleEndian(field),
                };
                var total = _offset + _size + body;
                return total > MaxFrame ? Math.Min(data.Length, MaxFrame) : data.Length >= total ? (int)total : 0;
        }
    }
}
