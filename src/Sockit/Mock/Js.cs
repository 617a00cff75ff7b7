using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sockit.Mock;

/// <summary>
/// The few JavaScript value rules mountebank's behaviour depends on, over <see cref="JsonNode"/> (AOT-safe, no
/// reflection): truthiness, <c>toString</c>, <c>typeof x === 'object'</c> (arrays included), a stable stringify with
/// sorted keys, and <c>JSON.stringify(value, null, 4)</c>. A C# null stands for both <c>undefined</c> and <c>null</c>.
/// </summary>
internal static class Js
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Pretty = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true, IndentSize = 4 };

    /// <summary>typeof value === 'object' &amp;&amp; value !== null: objects and arrays.</summary>
    public static bool IsObject(JsonNode? node) => node is JsonObject or JsonArray;

    public static bool IsString(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String;

    /// <summary>JavaScript truthiness.</summary>
    public static bool Truthy(JsonNode? node) => node switch
    {
        null => false,
        JsonObject or JsonArray => true,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>().Length > 0,
            JsonValueKind.False or JsonValueKind.Null => false,
            JsonValueKind.Number => Number(v) is not (0 or double.NaN),
            _ => true,
        },
        _ => false,
    };

    /// <summary>value.toString() of a primitive; an object is "[object Object]", an array its elements joined by commas.</summary>
    public static string ToText(JsonNode? node) => node switch
    {
        null => "undefined",
        JsonObject => "[object Object]",
        JsonArray array => string.Join(',', array.Select(e => e is null ? "" : ToText(e))),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Null => "null",
            _ => NumberText(Number(v)),
        },
        _ => "",
    };

    /// <summary>A number node's value, whatever .NET type it was created from.</summary>
    public static double Number(JsonValue value) => double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);

    /// <summary>A number as JavaScript prints it (1, not 1.0).</summary>
    public static string NumberText(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e21 ? value.ToString("0", CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A number, when the node is one or a string that parses as one (JavaScript's parseInt, roughly).</summary>
    public static bool TryInteger(JsonNode? node, out long value)
    {
        value = 0;
        if (node is not JsonValue v) return false;
        if (v.GetValueKind() == JsonValueKind.Number)
        {
            var number = Number(v);
            value = (long)number;
            return value == number;
        }
        return v.GetValueKind() == JsonValueKind.String && long.TryParse(LeadingInteger(v.GetValue<string>()), CultureInfo.InvariantCulture, out value);
    }

    private static string LeadingInteger(string text)
    {
        text = text.Trim();
        var end = text.Length > 0 && text[0] is '-' or '+' ? 1 : 0;
        while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
        return text[..end];
    }

    public static JsonNode? Clone(JsonNode? node) => node?.DeepClone();

    public static JsonNode? Str(string? text) => text is null ? null : JsonValue.Create(text);

    /// <summary>
    /// Fills in every object and array under <paramref name="node"/> now: one made by parsing fills in its dictionary or
    /// list on first read, which two threads must not do at once. After this, reads from many threads are safe.
    /// </summary>
    public static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, value) in obj) Materialize(value);
                break;
            case JsonArray array:
                foreach (var item in array) Materialize(item);
                break;
        }
    }

    /// <summary>JSON.stringify(value).</summary>
    public static string Stringify(JsonNode? node) => node is null ? "undefined" : node.ToJsonString(Compact);

    /// <summary>JSON.stringify(value, null, 4), as mountebank writes an object body.</summary>
    public static string StringifyPretty(JsonNode node) => node.ToJsonString(Pretty);

    /// <summary>safe-stable-stringify: JSON with every object's keys sorted, so equal values print equal.</summary>
    public static string StableStringify(JsonNode? node)
    {
        var text = new StringBuilder();
        Stable(node, text);
        return text.ToString();
    }

    private static void Stable(JsonNode? node, StringBuilder text)
    {
        switch (node)
        {
            case null:
                text.Append("null");
                break;
            case JsonObject obj:
                text.Append('{');
                var first = true;
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first) text.Append(',');
                    first = false;
                    text.Append(JsonValue.Create(key).ToJsonString(Compact)).Append(':');
                    Stable(value, text);
                }
                text.Append('}');
                break;
            case JsonArray array:
                text.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0) text.Append(',');
                    Stable(array[i], text);
                }
                text.Append(']');
                break;
            default:
                text.Append(node.ToJsonString(Compact));
                break;
        }
    }

    /// <summary>JSON.parse, or null when the text is not JSON.</summary>
    public static JsonNode? TryParse(string text)
    {
        if (text.Length == 0) return null;
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>obj[key], where obj may be a string, array or object as JavaScript allows.</summary>
    public static JsonNode? Get(JsonNode? obj, string key) => obj switch
    {
        JsonObject o => o.TryGetPropertyValue(key, out var v) ? v : null,
        JsonArray a => int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count ? a[i] : null,
        _ => null,
    };

    /// <summary>Object.keys(obj).</summary>
    public static IEnumerable<string> Keys(JsonNode? obj) => obj switch
    {
        JsonObject o => o.Select(p => p.Key).ToList(),
        JsonArray a => Enumerable.Range(0, a.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)),
        _ => [],
    };
}
