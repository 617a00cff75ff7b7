using System.Text.Json.Nodes;

namespace Sockit.Mock;

/// <summary>
/// One stub: its definition as given (predicates and responses, printed back unchanged) and the cycle of responses,
/// each repeated as its <c>repeat</c> says, that answers match after match (mountebank's inMemoryImpostersRepository).
/// </summary>
internal sealed class Stub
{
    private readonly Queue<JsonObject> _cycle = new();

    public Stub(JsonObject definition)
    {
        Definition = (JsonObject)definition.DeepClone();
        foreach (var response in Responses) Enqueue(response);
    }

    /// <summary>The stub as the API prints it.</summary>
    public JsonObject Definition { get; }

    public JsonArray Predicates => Definition["predicates"] as JsonArray ?? [];

    private IEnumerable<JsonObject> Responses => (Definition["responses"] as JsonArray ?? []).OfType<JsonObject>();

    /// <summary>The next response of the cycle; <c>{"is": {}}</c> when the stub has none.</summary>
    public JsonObject NextResponse()
    {
        if (_cycle.Count == 0) return new JsonObject { ["is"] = new JsonObject() };
        var next = _cycle.Dequeue();
        _cycle.Enqueue(next);
        return (JsonObject)next.DeepClone();
    }

    /// <summary>Adds a recorded response at the end (proxyAlways).</summary>
    public void AddResponse(JsonObject response)
    {
        if (Definition["responses"] is not JsonArray responses) Definition["responses"] = responses = [];
        responses.Add(response.DeepClone());
        _cycle.Enqueue((JsonObject)response.DeepClone());
    }

    private void Enqueue(JsonObject response)
    {
        var repeat = Js.TryInteger(response["repeat"], out var times) && times > 0 ? times : 1;
        for (var i = 0; i < repeat; i++) _cycle.Enqueue(response);
    }
}
