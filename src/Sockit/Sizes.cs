using System.Globalization;

namespace Sockit;

/// <summary>Reads and writes byte sizes the way people type them: <c>512</c>, <c>64k</c>, <c>64KiB</c>, <c>1m</c>, <c>1MiB</c>, <c>2g</c> (powers of 1024).</summary>
internal static class Sizes
{
    /// <summary>Parses a size; false for a negative or malformed value.</summary>
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Trim().ToLowerInvariant();
        if (s.EndsWith("ib", StringComparison.Ordinal)) s = s[..^2]; // 64KiB → 64k
        else if (s.EndsWith('b')) s = s[..^1];                        // 64kb → 64k, 512b → 512
        if (s.Length == 0) return false;
        var scale = s[^1] switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, _ => 1L };
        if (scale > 1) s = s[..^1];
        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > long.MaxValue / scale) return false;
        bytes = value * scale;
        return true;
    }

    /// <summary>A short human form: <c>512 B</c>, <c>1.5 KiB</c>, <c>12.3 MiB</c>.</summary>
    public static string Format(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1 << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        < 1 << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1073741824.0:0.##} GiB"),
    };
}
