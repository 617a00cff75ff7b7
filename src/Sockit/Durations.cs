using System.Globalization;

namespace Sockit;

/// <summary>Reads and writes durations the way people type them: <c>500ms</c>, <c>5s</c>, <c>2m</c>, <c>1h</c>, or a bare number of seconds.</summary>
internal static class Durations
{
    /// <summary>Parses a duration; false for a negative, malformed or absurd (over a day) value.</summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Trim().ToLowerInvariant();
        var (number, scale) = s switch
        {
            _ when s.EndsWith("ms", StringComparison.Ordinal) => (s[..^2], 0.001),
            _ when s.EndsWith("us", StringComparison.Ordinal) => (s[..^2], 0.000001),
            _ when s.EndsWith('s') => (s[..^1], 1.0),
            _ when s.EndsWith('m') => (s[..^1], 60.0),
            _ when s.EndsWith('h') => (s[..^1], 3600.0),
            _ => (s, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)) return false;
        var seconds = value * scale;
        if (seconds is < 0 or > 86400) return false;
        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>A short human form: <c>250ms</c>, <c>1.5s</c>, <c>2m</c>.</summary>
    public static string Format(TimeSpan duration) => duration.TotalSeconds switch
    {
        < 1 => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds:0.###}ms"),
        < 120 => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.###}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMinutes:0.##}m"),
    };
}
