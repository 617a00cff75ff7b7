using System.Text.Json.Nodes;

namespace Sockit.Mock;

/// <summary>
/// An error as mountebank's API reports it: a code (<c>bad data</c>, <c>resource conflict</c>, ...), a message, and
/// sometimes the piece of the request it is about. The API answers <c>{"errors": [...]}</c> with these.
/// </summary>
internal sealed class MockError : Exception
{
    /// <summary>mountebank's code for a validation failure.</summary>
    public const string BadData = "bad data";

    /// <summary>mountebank's code for a refused injection (Sockit refuses all JavaScript).</summary>
    public const string InvalidInjection = "invalid injection";

    /// <summary>mountebank's code for a port that is taken.</summary>
    public const string ResourceConflict = "resource conflict";

    /// <summary>mountebank's code for a proxy that cannot reach its destination.</summary>
    public const string InvalidProxy = "invalid proxy";

    /// <summary>mountebank's code for a missing imposter or stub.</summary>
    public const string NoSuchResource = "no such resource";

    /// <summary>mountebank's code for a body that is not JSON.</summary>
    public const string InvalidJson = "invalid JSON";

    /// <summary>Creates an error with mountebank's <paramref name="code"/>.</summary>
    internal MockError(string code, string message, JsonNode? source = null) : base(message)
    {
        Code = code;
        Source = source?.DeepClone();
    }

    /// <summary>mountebank's error code.</summary>
    public string Code { get; }

    /// <summary>What the error is about (a stub, a response, a predicate), as mountebank's <c>source</c> field.</summary>
    public new JsonNode? Source { get; }

    /// <summary>More fields for the API's answer (mountebank passes node's error objects through as they are).</summary>
    internal JsonObject? Extra { get; init; }

    internal static MockError Validation(string message, JsonNode? source = null) => new(BadData, message, source);

    /// <summary>The error as one entry of the API's <c>errors</c> array.</summary>
    internal JsonObject ToJson()
    {
        var json = new JsonObject { ["code"] = Code, ["message"] = Message };
        if (Source is not null) json["source"] = Source.DeepClone();
        foreach (var (key, value) in Extra ?? []) json[key] = value?.DeepClone();
        return json;
    }
}
