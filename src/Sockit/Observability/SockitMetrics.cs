using System.Diagnostics.Metrics;

namespace Sockit.Observability;

/// <summary>
/// The library's instruments on the meter named "Sockit", so that dotnet-counters and OpenTelemetry see servers,
/// proxies and mocks without glue. Each instrument costs one check when nobody listens.
/// </summary>
internal static class SockitMetrics
{
    /// <summary>The meter's name, for <c>dotnet-counters monitor --counters Sockit</c> or an OpenTelemetry <c>AddMeter</c>.</summary>
    public const string MeterName = "Sockit";

    private static readonly Meter Meter = new(MeterName, BuildInfo.Version);

    /// <summary>Connections a host accepted and served.</summary>
    public static readonly Counter<long> Accepted =
        Meter.CreateCounter<long>("sockit.connections.accepted", "{connection}", "Connections accepted and served");

    /// <summary>Connections being served now.</summary>
    public static readonly UpDownCounter<long> Open =
        Meter.CreateUpDownCounter<long>("sockit.connections.open", "{connection}", "Connections being served now");

    /// <summary>Connections turned away at accept, by reason (access, per-client, ...).</summary>
    public static readonly Counter<long> Rejected =
        Meter.CreateCounter<long>("sockit.connections.rejected", "{connection}", "Connections turned away at accept, by reason");

    /// <summary>Connections a limit cut while served (idle, header timeout, ...), by reason.</summary>
    public static readonly Counter<long> Cut =
        Meter.CreateCounter<long>("sockit.connections.cut", "{connection}", "Connections cut by a limit while served, by reason");

    /// <summary>How long served connections lasted.</summary>
    public static readonly Histogram<double> Duration =
        Meter.CreateHistogram<double>("sockit.connection.duration", "s", "How long served connections lasted");

    /// <summary>Bytes received from clients, counted as each connection ends.</summary>
    public static readonly Counter<long> BytesReceived =
        Meter.CreateCounter<long>("sockit.bytes.received", "By", "Bytes received from clients");

    /// <summary>Bytes sent to clients, counted as each connection ends.</summary>
    public static readonly Counter<long> BytesSent =
        Meter.CreateCounter<long>("sockit.bytes.sent", "By", "Bytes sent to clients");

    /// <summary>Times a toxic acted on a proxy's data or connection, by toxic type.</summary>
    public static readonly Counter<long> ToxicsFired =
        Meter.CreateCounter<long>("sockit.toxics.fired", "{event}", "Times a toxic acted on data or a connection, by type");

    /// <summary>Requests to a mock that a stub answered.</summary>
    public static readonly Counter<long> MockMatches =
        Meter.CreateCounter<long>("sockit.mock.matches", "{request}", "Requests to a mock that a stub answered");

    /// <summary>Requests to a mock that no stub matched.</summary>
    public static readonly Counter<long> MockMisses =
        Meter.CreateCounter<long>("sockit.mock.misses", "{request}", "Requests to a mock that no stub matched");
}
