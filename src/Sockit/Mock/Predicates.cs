using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sockit.Mock;

/// <summary>
/// mountebank 2.9.1's predicates, ported rule for rule from its <c>predicates.js</c> so that a stub matches here exactly
/// when it matches there: keys and values lower-cased unless <c>caseSensitive</c>, <c>except</c> removed first, base64
/// decoded in binary mode, arrays compared order-free, a string that parses as JSON reached into as an object.
/// </summary>
internal static class Predicates
{
    private static readonly string[] Operators = ["equals", "deepEquals", "contains", "startsWith", "endsWith", "matches", "exists", "not", "or", "and", "inject"];

    /// <summary>Whether <paramref name="predicate"/> matches <paramref name="request"/>.</summary>
    /// <exception cref="MockError">The predicate is malformed (as mountebank, found when it is first evaluated).</exception>
    public static bool Evaluate(JsonNode? predicate, JsonObject request, bool binary)
    {
        if (predicate is not JsonObject p || Operator(p) is not { } op) throw MockError.Validation("missing predicate", predicate);
        return op switch
        {
            "not" => !Evaluate(p["not"], request, binary),
            "or" => Subpredicates(p, "or").Any(s => Evaluate(s, request, binary)),
            "and" => Subpredicates(p, "and").All(s => Evaluate(s, request, binary)),
            "deepEquals" => DeepEquals(p, request, binary),
            "matches" => Matches(p, request, binary),
            "inject" => throw Injection(predicate),
            _ => Simple(op, p, request, binary),
        };
    }

    // A predicate's operator is its first key that names one; found once per predicate object, not per request.
    private static readonly ConditionalWeakTable<JsonObject, string> KnownOperators = [];

    private static string? Operator(JsonObject predicate)
    {
        if (KnownOperators.TryGetValue(predicate, out var known)) return known;
        // Checked here, once: a predicate with xpath is never cached, so it is refused every time.
        if (predicate.ContainsKey("xpath")) throw MockError.Validation("the xpath predicate parameter is not supported by sockit mock", predicate);
        var op = predicate.Select(p => p.Key).FirstOrDefault(k => Operators.Contains(k));
        if (op is not null) KnownOperators.TryAdd(predicate, op);
        return op;
    }

    internal static MockError Injection(JsonNode? source) =>
        new(MockError.InvalidInjection, "JavaScript injection is not supported by sockit mock: JavaScript cannot run in a Native AOT program; use predicates and behaviors instead", source);

    private static JsonArray Subpredicates(JsonObject predicate, string op) =>
        predicate[op] as JsonArray ?? throw MockError.Validation($"'{op}' takes an array of predicates", predicate);

    private static bool Simple(string op, JsonObject predicate, JsonObject request, bool binary)
    {
        var (config, expected, flat) = Expected(op, predicate, binary);
        if (flat is not null && TryFlat(op, flat, request, config, binary, out var matched)) return matched;
        var actual = NormalizeNamed(request, expected, config, binary);
        Func<JsonNode?, JsonNode?, bool> test = op switch
        {
            "equals" => (e, a) => Js.ToText(e) == Js.ToText(a),
            "contains" => (e, a) => IndexOf(a, e) >= 0,
            "startsWith" => (e, a) => IndexOf(a, e) == 0,
            "endsWith" => (e, a) => Js.IsString(a) ? Js.ToText(a).EndsWith(Js.ToText(e), StringComparison.Ordinal) : IndexOf(a, e) >= 0,
            _ => (e, a) => Js.Truthy(e) ? !(a is null || Js.IsString(a) && Js.ToText(a).Length == 0) : a is null || Js.IsString(a) && Js.ToText(a).Length == 0,
        };
        return Satisfied(expected, actual, config with { Exists = op == "exists" }, test);
    }

    /// <summary>
    /// The common case without building the normalized request: every expected value a string, every field it names a
    /// string in the request (method, path, body, data). The same rules as the general path, which takes anything
    /// else (false is returned): a field the request lacks or holds as an object. Nothing is allocated for a short
    /// value that only needs lower-casing.
    /// </summary>
    private static bool TryFlat(string op, (string Field, string Value)[] wanted, JsonObject request, Options config, bool binary, out bool matched)
    {
        matched = true;
        Span<char> scratch = stackalloc char[256];
        foreach (var (field, expected) in wanted)
        {
            if (Field(request, field, config.LowerKeys) is not JsonValue value || value.GetValueKind() != System.Text.Json.JsonValueKind.String) return false;
            var text = value.GetValue<string>();
            bool ok;
            if (!binary && string.IsNullOrEmpty(config.Except) && (config.CaseSensitive || text.Length <= 256))
            {
                var lowered = scratch[..(config.CaseSensitive ? 0 : text.Length)];
                if (!config.CaseSensitive) text.AsSpan().ToLowerInvariant(lowered);
                ok = Compare(op, expected, config.CaseSensitive ? text.AsSpan() : lowered);
            }
            else ok = Compare(op, expected, TransformText(text, config, binary));
            if (!ok) matched = false; // every field is still checked for shape, so a fallback cannot be half-done
        }
        return true;
    }

    /// <summary>The request's top-level field <paramref name="name"/>, found as NormalizeNamed finds it (keys lower-cased unless keyCaseSensitive).</summary>
    private static JsonNode? Field(JsonObject request, string name, bool lowerKeys)
    {
        if (request.TryGetPropertyValue(name, out var exact)) return exact; // the request's keys are distinct once lower-cased
        if (!lowerKeys) return null;
        JsonNode? found = null;
        foreach (var (key, value) in request)
        {
            if (key.Length == name.Length && key.ToLowerInvariant() == name) found = value;
        }
        return found;
    }

    private static bool Compare(string op, string expected, ReadOnlySpan<char> actual) => op switch
    {
        "equals" => actual.SequenceEqual(expected),
        "contains" => actual.Contains(expected, StringComparison.Ordinal),
        "startsWith" => actual.StartsWith(expected, StringComparison.Ordinal),
        _ => actual.EndsWith(expected, StringComparison.Ordinal),
    };

    /// <summary>actual.indexOf(expected): a substring for strings, an element for arrays.</summary>
    private static int IndexOf(JsonNode? actual, JsonNode? expected)
    {
        if (actual is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                if (Js.IsString(array[i]) == Js.IsString(expected) && Js.ToText(array[i]) == Js.ToText(expected)) return i;
            }
            return -1;
        }
        return Js.ToText(actual).IndexOf(Js.ToText(expected), StringComparison.Ordinal);
    }

    private static bool Matches(JsonObject predicate, JsonObject request, bool binary)
    {
        if (binary) throw MockError.Validation("the matches predicate is not allowed in binary mode");
        // As mountebank: values keep their case (a regex's \W must stay \W); keys are lower-cased unless caseSensitive.
        var caseSensitive = Js.Truthy(predicate["caseSensitive"]);
        var config = Options.From(predicate) with { CaseSensitive = true, LowerKeys = !caseSensitive, JsonPath = Options.Selector(predicate, !caseSensitive) };
        var expected = Normalize(predicate["matches"], config with { Except = null, JsonPath = null }, binary);
        var actual = NormalizeNamed(request, expected, config, binary);
        var options = RegexOptions.CultureInvariant | (caseSensitive ? RegexOptions.None : RegexOptions.IgnoreCase);
        return Satisfied(expected, actual, config, (e, a) => Regex.IsMatch(Js.ToText(a), Js.ToText(e), options, TimeSpan.FromSeconds(1)));
    }

    private static bool DeepEquals(JsonObject predicate, JsonObject request, bool binary)
    {
        var config = Options.From(predicate);
        var expected = Normalize(ForceStrings(predicate["deepEquals"]), config with { JsonPath = null }, binary);
        var actual = Normalize(ForceStrings(request), config with { ForceStrings = true }, binary);
        foreach (var key in Js.Keys(expected))
        {
            var e = Js.Get(expected, key);
            var a = Js.Get(actual, key);
            if (Js.IsObject(e) && Js.IsString(a)) a = Normalize(ForceStrings(TryJson(Js.ToText(a), config)), config with { JsonPath = null }, binary);
            if (a is null || Js.StableStringify(e) != Js.StableStringify(a)) return false;
        }
        return true;
    }

    private static bool Satisfied(JsonNode? expected, JsonNode? actual, Options config, Func<JsonNode?, JsonNode?, bool> test)
    {
        if (!Js.Truthy(actual)) return false;
        if (Js.IsString(actual)) actual = TryJson(Js.ToText(actual), config);
        foreach (var field in Js.Keys(expected))
        {
            var e = Js.Get(expected, field);
            var a = Js.Get(actual, field);
            if (e is JsonArray expectedArray && a is JsonArray actualArray)
            {
                if (!expectedArray.All(ev => actualArray.Any(av => Test(ev, av, config, test)))) return false;
            }
            else if (a is JsonArray onlyActual)
            {
                if (config.Exists && Js.Truthy(e)) continue;
                if (!onlyActual.Any(av => Test(e, av, config, test))) return false;
            }
            else if (a is null && actual is JsonArray wholeArray)
            {
                // mountebank's old form: {"equals": {"key": "third"}} against a body that is an array of objects.
                if (!wholeArray.Any(av => Test(expected, av, config, test))) return false;
            }
            else if (Js.IsObject(e))
            {
                if (!Satisfied(e, a, config, test)) return false;
            }
            else if (!Test(e, a, config, test))
            {
                return false;
            }
        }
        return true;
    }

    private static bool Test(JsonNode? expected, JsonNode? actual, Options config, Func<JsonNode?, JsonNode?, bool> test)
    {
        actual ??= JsonValue.Create("");
        return Js.IsObject(expected) ? Satisfied(expected, actual, config, test) : test(expected, actual);
    }

    /// <summary>A string that parses as JSON becomes that JSON, keys and values transformed as the predicate says.</summary>
    private static JsonNode? TryJson(string text, Options config)
    {
        var parsed = Js.TryParse(text);
        // Case and except only (tryJSON): a jsonpath selects from the request's fields, never again from the JSON inside them.
        return parsed is null ? JsonValue.Create(text) : Transform(parsed, config with { JsonPath = null }, binary: false, sortArrays: false);
    }

    private static JsonNode? Normalize(JsonNode? node, Options config, bool binary) => Transform(node, config, binary, sortArrays: true);

    /// <summary>
    /// The request normalized as <see cref="Normalize"/> does, but only the top-level fields the predicate names: a
    /// predicate reads no others, and transforming every header and the body for each predicate of each stub was most
    /// of what a match cost.
    /// </summary>
    private static JsonNode? NormalizeNamed(JsonObject request, JsonNode? expected, Options config, bool binary)
    {
        if (expected is not JsonObject wanted) return Normalize(request, config, binary);
        var result = new JsonObject();
        foreach (var (key, value) in request)
        {
            var name = config.LowerKeys ? key.ToLowerInvariant() : key;
            if (wanted.ContainsKey(name)) result[name] = Transform(value, config, binary, sortArrays: true);
        }
        return result;
    }

    // A predicate's own side is the same for every request: normalized once per predicate (and mode), not per request.
    private static readonly ConditionalWeakTable<JsonObject, NormalizedPredicate> Compiled = [];

    // Flat: the expected fields as pairs when TryFlat may take the predicate (every value a string, no selector).
    private sealed record NormalizedPredicate(bool Binary, Options Config, JsonNode? Expected, (string Field, string Value)[]? Flat);

    private static (Options Config, JsonNode? Expected, (string Field, string Value)[]? Flat) Expected(string op, JsonObject predicate, bool binary)
    {
        if (Compiled.TryGetValue(predicate, out var known) && known.Binary == binary) return (known.Config, known.Expected, known.Flat);
        var config = Options.From(predicate);
        var expected = Normalize(predicate[op], config with { JsonPath = null }, binary);
        var flat = op != "exists" && config.JsonPath is null && expected is JsonObject wanted && wanted.All(p => Js.IsString(p.Value))
            ? wanted.Select(p => (p.Key, Js.ToText(p.Value))).ToArray()
            : null;
        var made = new NormalizedPredicate(binary, config, expected, flat);
        Compiled.AddOrUpdate(predicate, made);
        return (made.Config, made.Expected, made.Flat);
    }

    private static JsonNode? Transform(JsonNode? node, Options config, bool binary, bool sortArrays)
    {
        switch (node)
        {
            case JsonArray array:
            {
                var items = array.Select(e => Transform(e, config, binary, sortArrays)).ToList();
                if (sortArrays) items.Sort(SortObjects);
                return new JsonArray([.. items]);
            }
            case JsonObject obj:
            {
                var result = new JsonObject();
                foreach (var (key, value) in obj) result[config.LowerKeys ? key.ToLowerInvariant() : key] = Transform(value, config, binary, sortArrays);
                return result;
            }
            case JsonValue when Js.IsString(node):
            {
                var text = TransformText(Js.ToText(node), config, binary);
                if (config.JsonPath is null) return JsonValue.Create(text);
                return binary ? throw MockError.Validation("the jsonpath predicate parameter is not allowed in binary mode") : SelectJson(text, config);
            }
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>
    /// A request's string value under a <c>jsonpath</c> parameter: parsed as JSON (keys and values transformed as the
    /// predicate says, arrays left in order so that indexes mean what they say), and what the selector picks: nothing
    /// (as a missing field) when it is not JSON or nothing matches, the value when one does, else them all, sorted.
    /// </summary>
    private static JsonNode? SelectJson(string text, Options config)
    {
        if (Js.TryParse(text) is not { } parsed) return null;
        var json = Transform(parsed, config with { JsonPath = null }, binary: false, sortArrays: false);
        if (config.ForceStrings) json = ForceStrings(json);
        var found = JsonPath.Select(config.JsonPath!, json);
        if (found.Count == 0) return null;
        if (found.Count == 1) return found[0]?.DeepClone();
        var items = found.Select(n => n?.DeepClone()).ToList();
        items.Sort(SortObjects);
        return new JsonArray([.. items]);
    }

    /// <summary>A string value as a predicate sees it: base64 decoded in binary mode, lower-cased unless caseSensitive, except removed.</summary>
    private static string TransformText(string text, Options config, bool binary)
    {
        if (binary) text = DecodeBase64(text);
        if (!config.CaseSensitive) text = text.ToLowerInvariant();
        if (!string.IsNullOrEmpty(config.Except))
            text = Regex.Replace(text, config.Except, "", config.CaseSensitive ? RegexOptions.None : RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
        return text;
    }

    private static string DecodeBase64(string text)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(text));
        }
        catch (FormatException)
        {
            return text;
        }
    }

    private static int SortObjects(JsonNode? a, JsonNode? b) =>
        Js.IsObject(a) && Js.IsObject(b) ? string.CompareOrdinal(Js.StableStringify(a), Js.StableStringify(b)) : string.CompareOrdinal(Js.ToText(a), Js.ToText(b));

    /// <summary>deepEquals compares every leaf as a string: null becomes "null", 1 becomes "1".</summary>
    private static JsonNode? ForceStrings(JsonNode? node) => node switch
    {
        null => null,
        JsonArray array => new JsonArray([.. array.Select(e => e is null ? JsonValue.Create("null") : ForceStrings(e))]),
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, p.Value is null ? JsonValue.Create("null") : ForceStrings(p.Value)))),
        _ => JsonValue.Create(Js.ToText(node)),
    };

    /// <summary>
    /// A predicate's parameters. JsonPath is the jsonpath selector applied to the request's string values (never to the
    /// predicate's own side); with ForceStrings (deepEquals) what it picks is compared as strings.
    /// </summary>
    private sealed record Options(bool CaseSensitive, bool LowerKeys, string? Except, bool Exists, string? JsonPath = null, bool ForceStrings = false)
    {
        /// <summary>The predicate's jsonpath selector, lower-cased as its keys are (mountebank's selectTransform); null without one.</summary>
        public static string? Selector(JsonObject predicate, bool lower)
        {
            if (predicate["jsonpath"] is not JsonNode jsonpath) return null;
            if (jsonpath is not JsonObject config || config["selector"] is not JsonValue selector || !Js.IsString(selector))
                throw MockError.Validation("a jsonpath predicate parameter must be an object with a \"selector\" string", predicate);
            var text = Js.ToText(selector);
            Mock.JsonPath.Check(text);
            return lower ? text.ToLowerInvariant() : text;
        }

        public static Options From(JsonObject predicate)
        {
            var caseSensitive = Js.Truthy(predicate["caseSensitive"]);
            // keyCaseSensitive defaults to caseSensitive; keys are lower-cased when either is off (predicates.js normalize).
            var keyCaseSensitive = predicate["keyCaseSensitive"];
            var lowerKeys = keyCaseSensitive is JsonValue k && k.GetValueKind() == System.Text.Json.JsonValueKind.False || !caseSensitive;
            var except = predicate["except"] is JsonNode e ? Js.ToText(e) : null;
            // The selector follows keyCaseSensitive, which defaults to caseSensitive (predicates.js normalize).
            var lowerSelector = keyCaseSensitive is JsonValue kcs && kcs.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False
                ? kcs.GetValueKind() == System.Text.Json.JsonValueKind.False : !caseSensitive;
            return new Options(caseSensitive, lowerKeys, except, false, Selector(predicate, lowerSelector));
        }
    }
}
