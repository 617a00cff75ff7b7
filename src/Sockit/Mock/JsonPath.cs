using System.Globalization;
using System.Text.Json.Nodes;

namespace Sockit.Mock;

/// <summary>
/// The JSONPath that mountebank's <c>jsonpath</c> predicate parameter and copy behavior take (it uses jsonpath-plus):
/// <c>$</c>, <c>.name</c>, <c>['name']</c>, <c>[2]</c>, <c>[*]</c> and <c>.*</c>, <c>..name</c>, unions
/// <c>[0,2]</c> and slices <c>[-1:]</c>, matched in document order. As there, a selector without <c>$</c> starts at the
/// root, a negative index selects nothing (a slice takes the last elements) and a slice's end of 0 means the length. Filter and script expressions
/// (<c>[?(...)]</c>, <c>[(...)]</c>) are JavaScript, which a Native AOT program cannot run: they are refused by name.
/// </summary>
internal static class JsonPath
{
    /// <summary>Throws unless <paramref name="selector"/> is JSONPath this supports: imposters are refused when made, not at their first request.</summary>
    /// <exception cref="MockError">It is not.</exception>
    public static void Check(string selector) => Parse(selector);

    /// <summary>The values <paramref name="selector"/> selects in <paramref name="json"/>, in document order.</summary>
    /// <exception cref="MockError">The selector is not JSONPath this supports.</exception>
    public static List<JsonNode?> Select(string selector, JsonNode? json)
    {
        var steps = Parse(selector);
        var current = new List<JsonNode?> { json };
        foreach (var step in steps)
        {
            var next = new List<JsonNode?>();
            foreach (var node in current)
            {
                if (step.Descend) Descend(node, step, next);
                else Apply(node, step, next);
            }
            current = next;
        }
        return current;
    }

    /// <summary>One step: a member, an index, a wildcard, a union or a slice; with <see cref="Descend"/> also under every descendant.</summary>
    private sealed record Step(bool Descend, bool Wildcard, string[]? Names, int[]? Indexes, (int? Start, int? End, int Step)? Slice);

    private static void Descend(JsonNode? node, Step step, List<JsonNode?> into)
    {
        Apply(node, step, into);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj) Descend(child, step, into);
                break;
            case JsonArray array:
                foreach (var child in array) Descend(child, step, into);
                break;
        }
    }

    private static void Apply(JsonNode? node, Step step, List<JsonNode?> into)
    {
        if (step.Wildcard)
        {
            if (node is JsonObject obj) into.AddRange(obj.Select(p => p.Value));
            else if (node is JsonArray all) into.AddRange(all);
            return;
        }
        if (step.Names is not null)
        {
            foreach (var name in step.Names)
            {
                if (node is JsonObject named && named.TryGetPropertyValue(name, out var value)) into.Add(value);
                else if (node is JsonArray indexed && int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < indexed.Count) into.Add(indexed[i]);
            }
            return;
        }
        if (node is JsonObject keyed && step.Indexes is not null)
        {
            // [0] on an object is its property "0", as in JavaScript.
            foreach (var index in step.Indexes)
            {
                if (keyed.TryGetPropertyValue(index.ToString(CultureInfo.InvariantCulture), out var value)) into.Add(value);
            }
            return;
        }
        if (node is not JsonArray array) return;
        if (step.Indexes is not null)
        {
            foreach (var index in step.Indexes)
            {
                if (index >= 0 && index < array.Count) into.Add(array[index]);
            }
            return;
        }
        var (start, end, by) = step.Slice!.Value;
        var from = Clamp(start ?? 0, array.Count);
        var to = Clamp(end is null or 0 ? array.Count : end.Value, array.Count); // jsonpath-plus: parseInt(end) || length
        for (var i = from; i < to; i += by) into.Add(array[i]);
    }

    private static int Clamp(int index, int count) => Math.Clamp(index < 0 ? count + index : index, 0, count);

    private static List<Step> Parse(string selector)
    {
        var text = selector.Trim();
        // jsonpath-plus reads a selector without $ from the root: "title" is $.title, "..title" $..title.
        if (!text.StartsWith('$')) text = text.StartsWith('.') || text.StartsWith('[') ? "$" + text : "$." + text;
        var steps = new List<Step>();
        var at = 1;
        while (at < text.Length)
        {
            var descend = false;
            if (text[at] == '.')
            {
                at++;
                if (at < text.Length && text[at] == '.')
                {
                    descend = true;
                    at++;
                }
                if (at >= text.Length) throw Invalid(selector, "it ends with a dot");
                if (text[at] == '[') continue; // "..[0]": the bracket is the step
                var end = at;
                while (end < text.Length && text[end] is not ('.' or '[')) end++;
                var name = text[at..end];
                steps.Add(name == "*" ? new Step(descend, true, null, null, null) : new Step(descend, false, [name], null, null));
                at = end;
                continue;
            }
            if (text[at] != '[') throw Invalid(selector, $"'{text[at]}' at {at} is neither '.' nor '['");
            var close = FindClose(text, at);
            if (close < 0) throw Invalid(selector, $"the '[' at {at} is never closed");
            steps.Add(Bracket(selector, text[(at + 1)..close].Trim(), descend || at >= 2 && text[at - 1] == '.' && text[at - 2] == '.'));
            at = close + 1;
        }
        return steps;
    }

    /// <summary>The ']' that closes the '[' at <paramref name="open"/>, skipping quoted names.</summary>
    private static int FindClose(string text, int open)
    {
        char? quote = null;
        for (var i = open + 1; i < text.Length; i++)
        {
            if (quote is not null)
            {
                if (text[i] == quote) quote = null;
            }
            else if (text[i] is '\'' or '"') quote = text[i];
            else if (text[i] == ']') return i;
        }
        return -1;
    }

    private static Step Bracket(string selector, string inside, bool descend)
    {
        if (inside.StartsWith('?') || inside.StartsWith('('))
            throw Invalid(selector, "filter and script expressions ([?(...)], [(...)]) are JavaScript, which sockit mock cannot run; select by name, index or slice");
        if (inside == "*") return new Step(descend, true, null, null, null);
        if (inside.Contains(':'))
        {
            var parts = inside.Split(':');
            if (parts.Length > 3) throw Invalid(selector, $"'{inside}' is not a slice");
            int? Part(int i) => i < parts.Length && parts[i].Trim().Length > 0 ? Integer(selector, parts[i]) : null;
            var step = Part(2) ?? 1;
            if (step <= 0) throw Invalid(selector, "a slice's step must be above 0");
            return new Step(descend, false, null, null, (Part(0), Part(1), step));
        }
        var items = inside.Split(',').Select(i => i.Trim()).ToArray();
        if (items.All(i => i.Length >= 2 && i[0] is '\'' or '"' && i[^1] == i[0])) return new Step(descend, false, [.. items.Select(i => i[1..^1])], null, null);
        if (items.All(i => int.TryParse(i, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)))
            return new Step(descend, false, null, [.. items.Select(i => Integer(selector, i))], null);
        return new Step(descend, false, items, null, null); // [name] without quotes, as jsonpath-plus reads it
    }

    private static int Integer(string selector, string text) =>
        int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : throw Invalid(selector, $"'{text}' is not a whole number");

    private static MockError Invalid(string selector, string why) => MockError.Validation($"invalid jsonpath selector '{selector}': {why}");
}
