using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sockit.Cli.Rendering;

/// <summary>One connection in a server's <c>--log-format json</c> output.</summary>
internal sealed record ConnectionLogLine(
    string Time, string Peer, double DurationMs, long BytesReceived, long BytesSent, int Requests, string Outcome);

/// <summary>A server's totals in JSON, printed on exit with <c>--log-format json</c>.</summary>
internal sealed record ServerSummaryLine(
    string Server, string Endpoint, long Connections, long Rejected, long BytesReceived, long BytesSent, long Requests, double UptimeSeconds,
    Dictionary<string, long> Limits, long AcceptPauses);

/// <summary>What <c>sockit ls --json</c> prints: the sockets, whether owners were hidden, and counts per kind and state.</summary>
internal sealed record LsOutput(IReadOnlyList<SocketJson> Sockets, bool OwnersIncomplete, Dictionary<string, Dictionary<string, int>> Summary);

/// <summary>One socket in <c>sockit ls --json</c>; <c>kind</c> uses the table's names (tcp, tcp6, udp, unix, unixgram, …).</summary>
internal sealed record SocketJson(
    string Kind, string Family, string State, string Local, string Remote, string LocalAddress, int LocalPort, string RemoteAddress, int RemotePort,
    long? ReceiveQueue, long? SendQueue, int? Pid, string? Process, int? Uid, long Inode);

/// <summary>What <c>sockit scan --json</c> prints.</summary>
internal sealed record ScanOutput(string Host, IReadOnlyList<int> Open, int Closed, int Filtered, double DurationMs, Dictionary<string, string>? Tls = null);

/// <summary>Latency percentiles in microseconds, in <c>sockit bench --json</c>.</summary>
internal sealed record LatencyJson(long P50, long P90, long P99, long P999, long Max, double Mean);

/// <summary>What <c>sockit bench --json</c> prints.</summary>
internal sealed record BenchJson(
    string Mode, string Target, int Connections, double? Rate, double DurationSeconds, long Requests, double RequestsPerSecond,
    long BytesSent, long BytesReceived, double SentPerSecond, double ReceivedPerSecond, LatencyJson? LatencyMicros,
    Dictionary<string, long> Errors, Dictionary<string, long> Statuses, Dictionary<string, long> Outcomes);

/// <summary>What <c>sockit bench merge --json</c> prints.</summary>
internal sealed record BenchMergeJson(int Files, long Requests, double SpanSeconds, double? RequestsPerSecond, LatencyJson? LatencyMicros);

/// <summary>A note or error on stderr under <c>--log-format json</c>.</summary>
internal sealed record ReportLine(string Level, string Message);

/// <summary>One certificate of a chain in <c>sockit tls --json</c>.</summary>
internal sealed record CertificateJson(
    string Subject, string Issuer, IReadOnlyList<string> Names, string Key, string NotBefore, string NotAfter, int DaysLeft, string Sha256);

/// <summary>What <c>sockit tls --json</c> prints.</summary>
internal sealed record TlsJson(
    string Endpoint, string? Protocol, string? Cipher, string? Alpn, string? Sni, double? HandshakeMs, IReadOnlyList<CertificateJson> Chain,
    bool Trusted, string? Problem, string? Fix, Dictionary<string, bool>? Versions, string? Error);

/// <summary>Source-generated JSON for everything the CLI prints as JSON: no reflection, so Native AOT stays warning-free.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ReportLine))]
[JsonSerializable(typeof(ConnectionLogLine))]
[JsonSerializable(typeof(ServerSummaryLine))]
[JsonSerializable(typeof(LsOutput))]
[JsonSerializable(typeof(ScanOutput))]
[JsonSerializable(typeof(BenchJson))]
[JsonSerializable(typeof(BenchMergeJson))]
[JsonSerializable(typeof(TlsJson))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>
    /// What the CLI prints with: '+', '\'' and non-ASCII as they are ("+00:00", not "\u002B00:00"). The default encoder
    /// escapes them for HTML pages; our output goes to terminals, files and log collectors, and stays valid JSON.
    /// </summary>
    public static CliJsonContext Output { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
