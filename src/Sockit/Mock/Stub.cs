using System.Runtime.CompilerServices;
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
        Predicates = Definition["predicates"] as JsonArray ?? [];
        Js.Materialize(Definition);
        foreach (var response in Responses) Enqueue(response);
    }

    /// <summary>The stub as the API prints it.</summary>
    public JsonObject Definition { get; }

    public JsonArray Predicates { get; }

    private IEnumerable<JsonObject> Responses => (Definition["responses"] as JsonArray ?? []).OfType<JsonObject>();

    /// <summary>
    /// The next response of the cycle; <c>{"is": {}}</c> when the stub has none. It is the stub's own object, shared by
    /// every request it answers: callers only read it (a copy behavior works on a copy), and it was materialized when
    /// made, since a parsed JsonObject fills in its dictionary on first read and that is not safe across threads.
    /// </summary>
    public JsonObject NextResponse()
    {
        if (_cycle.Count == 0) return new JsonObject { ["is"] = new JsonObject() };
        var next = _cycle.Dequeue();
        _cycle.Enqueue(next);
        return next;
    }

    /// <summary>Adds a recorded response at the end (proxyAlways).</summary>
    public void AddResponse(JsonObject response)
    {
        if (Definition["responses"] is not JsonArray responses) Definition["responses"] = responses = [];
        responses.Add(response.DeepClone());
        var own = (JsonObject)response.DeepClone();
        Js.Materialize(own);
        Prepare(own);
        _cycle.Enqueue(own);
    }

    private void Enqueue(JsonObject response)
    {
        Prepare(response);
        var repeat = Js.TryInteger(response["repeat"], out var times) && times > 0 ? times : 1;
        for (var i = 0; i < repeat; i++) _cycle.Enqueue(response);
    }

    /// <summary>An <c>is</c> response that no copy behavior changes goes out the same every time: it gets a slot for its encoding.</summary>
    private static void Prepare(JsonObject response)
    {
        if (response["is"] is JsonObject fixedResponse && !ImposterValidator.HasBehavior(response, "copy")) PreparedReply.Add(fixedResponse);
    }
}

/// <summary>
/// The encoded form of a stub's fixed <c>is</c> response, made by the first request it answers and reused by the rest:
/// encoding it (base64, UTF-8, the HTTP head) was much of what a reply cost.
/// </summary>
internal sealed class PreparedReply
{
    private static readonly ConditionalWeakTable<JsonObject, PreparedReply> Known = [];

    /// <summary>The tcp or udp data as bytes.</summary>
    public byte[]? Data { get; set; }

    /// <summary>The HTTP response to a keep-alive HTTP/1.1 request that is not HEAD.</summary>
    public PreparedHttp? Http { get; set; }

    public static void Add(JsonObject response) => Known.TryAdd(response, new PreparedReply());

    /// <summary>The slot of a stub's fixed response; null for a response made for one request (a copy, a proxy, an error).</summary>
    public static PreparedReply? For(JsonObject response) => Known.TryGetValue(response, out var prepared) ? prepared : null;
}
