using System.Text.Json.Serialization;

namespace Sockit.Proxies.Control;

/// <summary>A toxic as toxiproxy's API writes it.</summary>
internal sealed record ToxicJson(string Name, string Type, string Stream, double Toxicity, Dictionary<string, long> Attributes);

/// <summary>A proxy as toxiproxy's API writes it, with its toxics.</summary>
internal sealed record ProxyJson(string Name, string Listen, string Upstream, bool Enabled, List<ToxicJson> Toxics);

/// <summary>The answer to <c>POST /populate</c>; on a failure also the error, as toxiproxy sends it.</summary>
internal sealed record PopulateJson(List<ProxyJson> Proxies, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Status = 0);

/// <summary>An error answer: <c>{"error": "...", "status": 404}</c>.</summary>
internal sealed record ErrorJson(string Error, int Status);

/// <summary>The answer to <c>GET /version</c>.</summary>
internal sealed record VersionJson(string Version);

/// <summary>Source-generated JSON for the control API (no reflection, so the command stays Native AOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ToxicJson))]
[JsonSerializable(typeof(List<ToxicJson>))]
[JsonSerializable(typeof(ProxyJson))]
[JsonSerializable(typeof(Dictionary<string, ProxyJson>))]
[JsonSerializable(typeof(PopulateJson))]
[JsonSerializable(typeof(ErrorJson))]
[JsonSerializable(typeof(VersionJson))]
internal sealed partial class ControlJsonContext : JsonSerializerContext;
