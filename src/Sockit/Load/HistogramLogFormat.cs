using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using HdrHistogram;
using HdrHistogram.Utilities;

namespace Sockit.Load;

/// <summary>
/// HdrHistogram's interval log format (version 1.3: comment lines, a legend, then one line per histogram:
/// <c>Tag=T,start,interval,max,base64</c> of the V2 compressed encoding), in UTF-8 as the Java tools write and read it.
/// The HdrHistogram package encodes each histogram; the lines and the decoding are ours because its log writer emits
/// UTF-16 and pads every histogram with its unused buffer, and its reader builds histograms by reflection, which
/// Native AOT cannot keep.
/// </summary>
internal static class HistogramLogFormat
{
    private const int CompressedCookieV2 = 0x1c849304;
    private const int CookieV2 = 0x1c849303;

    public static void Write(TextWriter writer, HistogramBase histogram, DateTimeOffset start, DateTimeOffset end, string? tag)
    {
        var buffer = ByteBuffer.Allocate(histogram.GetNeededByteBufferCapacity() + 64);
        var length = histogram.EncodeIntoCompressedByteBuffer(buffer);
        var bytes = new byte[length];
        buffer.Position = 0; // the package keeps its array to itself: read the encoding back a byte at a time
        for (var i = 0; i < length; i++) bytes[i] = buffer.Get();
        var seconds = start.ToUnixTimeMilliseconds() / 1000.0;
        writer.WriteLine("#[Histogram log format version 1.3]");
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"#[StartTime: {seconds:F3} (seconds since epoch), {start.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}]"));
        writer.WriteLine("#[Values are latencies in microseconds, written by sockit bench]");
        writer.WriteLine("\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"");
        var prefix = string.IsNullOrEmpty(tag) ? "" : $"Tag={tag.Replace(',', ';')},";
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{prefix}{seconds:F3},{(end - start).TotalSeconds:F3},{histogram.GetMaxValue() / 1000.0:F3},{Convert.ToBase64String(bytes)}"));
    }

    /// <summary>Every histogram in a log, with the span (Unix milliseconds) it covers.</summary>
    /// <exception cref="FormatException">A line is not a histogram of this format.</exception>
    public static IEnumerable<(HistogramBase Histogram, long StartMs, long EndMs)> Read(TextReader reader)
    {
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            if (line.Length == 0 || line[0] is '#' or '"') continue;
            if (line.StartsWith("Tag=", StringComparison.Ordinal)) line = line[(line.IndexOf(',', StringComparison.Ordinal) + 1)..];
            var fields = line.Split(',');
            if (fields.Length != 4
                || !double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var start)
                || !double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var interval))
                throw new FormatException($"expected start,interval,max,histogram but found '{(line.Length > 40 ? line[..40] + "…" : line)}'");
            yield return (Decode(Convert.FromBase64String(fields[3])), (long)(start * 1000), (long)((start + interval) * 1000));
        }
    }

    /// <summary>Decodes the V2 compressed encoding: a zlib stream of a 40-byte header and ZigZag LEB128 run-length counts.</summary>
    private static LongHistogram Decode(byte[] encoded)
    {
        if (encoded.Length < 10 || (BinaryPrimitives.ReadInt32BigEndian(encoded) & ~0xf0) != CompressedCookieV2)
            throw new FormatException("not a V2 compressed HdrHistogram");
        var length = BinaryPrimitives.ReadInt32BigEndian(encoded.AsSpan(4));
        using var zlib = new DeflateStream(new MemoryStream(encoded, 8 + 2, Math.Min(length, encoded.Length - 8) - 2), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        zlib.CopyTo(plain);
        var data = plain.GetBuffer().AsSpan(0, (int)plain.Length);
        if (data.Length < 40 || (BinaryPrimitives.ReadInt32BigEndian(data) & ~0xf0) != CookieV2) throw new FormatException("not a V2 HdrHistogram payload");
        var payload = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
        var digits = BinaryPrimitives.ReadInt32BigEndian(data[12..]);
        var lowest = BinaryPrimitives.ReadInt64BigEndian(data[16..]);
        var highest = BinaryPrimitives.ReadInt64BigEndian(data[24..]);
        if (digits is < 0 or > 5 || lowest < 1 || highest < 2 * lowest) throw new FormatException("an HdrHistogram header with impossible limits");

        var histogram = new LongHistogram(Math.Min(lowest, 1), Math.Max(highest, LoadWorker.HighestLatencyMicros), Math.Max(digits, 3));
        var buckets = new BucketLayout(lowest, digits);
        var counts = data.Slice(40, Math.Min(payload, data.Length - 40));
        var index = 0;
        while (!counts.IsEmpty)
        {
            var value = ReadZigZag(ref counts);
            if (value < 0) index += (int)-value; // a run of empty slots
            else
            {
                if (value > 0) histogram.RecordValueWithCount(buckets.ValueAt(index), value);
                index++;
            }
        }
        return histogram;
    }

    /// <summary>One LEB128 number of up to 9 bytes (the 9th carries 8 bits), ZigZag-decoded.</summary>
    private static long ReadZigZag(ref Span<byte> data)
    {
        ulong raw = 0;
        for (var i = 0; ; i++)
        {
            if (i >= data.Length) throw new FormatException("a count cut short");
            var b = data[i];
            if (i == 8)
            {
                raw |= (ulong)b << 56;
                data = data[9..];
                break;
            }
            raw |= (ulong)(b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0)
            {
                data = data[(i + 1)..];
                break;
            }
        }
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    /// <summary>How HdrHistogram lays values out in its counts array, to turn an index back into a value.</summary>
    private readonly struct BucketLayout
    {
        private readonly int _unitMagnitude;
        private readonly int _subBucketHalfCountMagnitude;
        private readonly int _subBucketHalfCount;

        public BucketLayout(long lowest, int digits)
        {
            var largestWithSingleUnitResolution = 2 * (long)Math.Pow(10, digits);
            var subBucketCountMagnitude = (int)Math.Ceiling(Math.Log2(largestWithSingleUnitResolution));
            _subBucketHalfCountMagnitude = Math.Max(subBucketCountMagnitude, 1) - 1;
            _unitMagnitude = (int)Math.Floor(Math.Log2(lowest));
            _subBucketHalfCount = 1 << _subBucketHalfCountMagnitude;
        }

        public long ValueAt(int index)
        {
            var bucket = (index >> _subBucketHalfCountMagnitude) - 1;
            var subBucket = (index & (_subBucketHalfCount - 1)) + _subBucketHalfCount;
            if (bucket < 0)
            {
                subBucket -= _subBucketHalfCount;
                bucket = 0;
            }
            return (long)subBucket << (bucket + _unitMagnitude);
        }
    }
}
