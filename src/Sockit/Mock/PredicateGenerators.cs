using System.Text.Json.Nodes;

namespace Sockit.Mock;

/// <summary>
/// A proxy's predicateGenerators: the predicates of the stub it records, built from the request that went through
/// (responseResolver.js predicatesFor). <c>{"matches": {"path": true}}</c> gives a deepEquals on the path;
/// <c>{"matches": {"query": {"q": true}}}</c> an equals on that key; other fields of the generator (caseSensitive,
/// except) are carried into the predicate.
/// </summary>
internal static class PredicateGenerators
{
    public static JsonArray Generate(JsonObject request, JsonArray generators)
    {
        var predicates = new JsonArray();
        foreach (var generator in generators.OfType<JsonObject>())
        {
            var basePredicate = new JsonObject();
            foreach (var (key, value) in generator)
            {
                if (key is not ("matches" or "predicateOperator" or "ignore")) basePredicate[key] = value?.DeepClone();
            }
            var op = generator["predicateOperator"] is JsonNode o ? Js.ToText(o) : null;
            foreach (var (field, matcher) in generator["matches"] as JsonObject ?? [])
            {
                var predicate = (JsonObject)basePredicate.DeepClone();
                if (op is not null)
                {
                    predicate[op] = request.DeepClone();
                }
                else if (matcher is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.True)
                {
                    predicate["deepEquals"] = new JsonObject { [field] = Ignore(request[field], generator["ignore"] is JsonObject ignore ? ignore[field] : null) };
                }
                else
                {
                    predicate["equals"] = new JsonObject { [field] = BuildEquals(request[field], matcher) };
                }
                predicates.Add((JsonNode)predicate);
            }
        }
        return predicates;
    }

    private static JsonNode? Ignore(JsonNode? value, JsonNode? ignore)
    {
        var copy = value?.DeepClone();
        if (copy is not JsonObject obj || ignore is null) return copy;
        foreach (var key in ignore is JsonArray keys ? keys.Select(Js.ToText) : [Js.ToText(ignore)]) obj.Remove(key);
        return obj;
    }

    private static JsonNode? BuildEquals(JsonNode? request, JsonNode? matchers)
    {
        if (matchers is not JsonObject fields) return request?.DeepClone();
        var result = new JsonObject();
        foreach (var (key, matcher) in fields)
        {
            var value = Js.Get(request, key);
            result[key] = Js.IsObject(value) ? BuildEquals(value, matcher) : value?.DeepClone();
        }
        return result;
    }
}
