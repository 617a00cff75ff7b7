using System.Text.Json.Serialization;

namespace Sockit.Cli.Rendering;

/// <summary>One connection in a server's <c>--log-format json</c> output.</summary>
internal sealed record ConnectionLogLine(
    string Time, string Peer, double DurationMs, long BytesReceived, long BytesSent, int Requests, string Outcome);

/// <summary>A server's totals in JSON, printed on exit with <c>--log-format json</c>.</summary>
internal sealed record ServerSummaryLine(
    string Server, string Endpoint, long Connections, long Rejected, long BytesReceived, long BytesSent, long Requests, double UptimeSeconds);

/// <summary>Source-generated JSON for everything the CLI prints as JSON: no reflection, so Native AOT stays warning-free.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ConnectionLogLine))]
[JsonSerializable(typeof(ServerSummaryLine))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
