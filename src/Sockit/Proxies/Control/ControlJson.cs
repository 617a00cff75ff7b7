using System.Text.Json.Serialization;

namespace Sockit.Proxies.Control;

/// <summary>A toxic as toxiproxy's API writes it (its fields in toxiproxy's order: attributes first).</summary>
internal sealed record ToxicJson(Dictionary<string, long> Attributes, string Name, string Type, string Stream, double Toxicity);

/// <summary>A proxy as toxiproxy's API writes it, with its toxics.</summary>
internal sealed record ProxyJson(string Name, string Listen, string Upstream, bool Enabled, List<ToxicJson> Toxics);

/// <summary>
/// The answer to <c>POST /populate</c>: on a failure the error first, as toxiproxy embeds it, then the proxies made
/// (null when none, as Go writes an empty slice it never appended to).
/// </summary>
internal sealed record PopulateJson(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Status,
    List<ProxyJson>? Proxies);

/// <summary>An error answer: <c>{"error": "...", "status": 404}</c>.</summary>
internal sealed record ErrorJson(string Error, int Status);

/// <summary>Source-generated JSON for the control API (no reflection, so the command stays Native AOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ToxicJson))]
[JsonSerializable(typeof(List<ToxicJson>))]
[JsonSerializable(typeof(ProxyJson))]
[JsonSerializable(typeof(Dictionary<string, ProxyJson>))]
[JsonSerializable(typeof(PopulateJson))]
[JsonSerializable(typeof(ErrorJson))]
internal sealed partial class ControlJsonContext : JsonSerializerContext;
