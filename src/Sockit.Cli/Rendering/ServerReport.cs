using System.Globalization;
using System.Text.Json;
using Sockit.Hosting;
using Sockit.Servers;

namespace Sockit.Cli.Rendering;

/// <summary>What serve and proxy print: a log line per connection, and the totals when they stop.</summary>
internal static class ServerReport
{
    private static readonly Lock LogLock = new();

    /// <summary>The per-connection logger for --log (text or JSON lines on stdout), or null without --log.</summary>
    public static Action<ConnectionRecord>? Logger(bool enabled, bool json) =>
        enabled ? record => { lock (LogLock) Console.Out.WriteLine(FormatRecord(record, json)); } : null;

    /// <summary>
    /// Says the server is up, waits for Ctrl-C or SIGTERM (the way a server is meant to stop), then stops it (draining)
    /// and prints its totals.
    /// </summary>
    public static Task<int> RunUntilStoppedAsync(TestServer server, string name, string announcement, bool json, CancellationToken cancellationToken) =>
        RunUntilStoppedAsync(() => server.StopAsync(CancellationToken.None), name, server.LocalEndpoint.ToString(), server.LocalEndpoint.IsStream, [announcement], json, cancellationToken);

    /// <summary>The same for anything that stops with totals: prints each line of <paramref name="announcement"/>, waits, stops, reports.</summary>
    public static async Task<int> RunUntilStoppedAsync(Func<Task<ServerSummary>> stop, string name, string where, bool stream, IReadOnlyList<string> announcement,
        bool json, CancellationToken cancellationToken)
    {
        for (var i = 0; i < announcement.Count; i++) Reporter.Info(i == announcement.Count - 1 ? $"{announcement[i]} (Ctrl-C to stop)" : announcement[i]);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        Summary(name, where, stream, await stop(), json);
        return CliRunner.Ok;
    }

    private static void Summary(string name, string where, bool stream, ServerSummary summary, bool json)
    {
        Console.Out.Flush();
        var line = json
            ? JsonSerializer.Serialize(new ServerSummaryLine(name, where, summary.Connections, summary.Rejected,
                summary.BytesReceived, summary.BytesSent, summary.Requests, Math.Round(summary.Uptime.TotalSeconds, 3),
                summary.Limits.ToDictionary(l => LimitName(l.Key), l => l.Value), summary.AcceptPauses), CliJsonContext.Output.ServerSummaryLine)
            : string.Create(CultureInfo.InvariantCulture,
                $"stopped {name} on {where}: {Words.Plural(summary.Connections, stream ? "connection" : "datagram")} ({summary.Rejected} rejected), " +
                $"received {Sizes.Format(summary.BytesReceived)}, sent {Sizes.Format(summary.BytesSent)}, {Words.Plural(summary.Requests, "request")}, " +
                $"up {Durations.Format(summary.Uptime)}") +
                Limits(summary);
        if (json) Reporter.Json(line);
        else Reporter.Info(line);
    }

    /// <summary>What the limits did, when they did anything: ", limits: 3 closed idle, 1 over --max-per-client; accepting paused 2 times".</summary>
    private static string Limits(ServerSummary summary)
    {
        var parts = summary.Limits.Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.Value} {LimitText(l.Key)}")).ToList();
        if (summary.AcceptPauses > 0) parts.Add($"accepting paused at --max-connections {Words.Plural(summary.AcceptPauses, "time")}");
        return parts.Count == 0 ? "" : "; limits: " + string.Join(", ", parts);
    }

    private static string LimitText(HostLimit limit) => limit switch
    {
        HostLimit.Denied => "denied by --allow/--deny",
        HostLimit.PerClient => "over --max-per-client",
        HostLimit.Idle => "closed idle (--idle-timeout)",
        HostLimit.HeadTimeout => "too slow to send a request head (--header-timeout)",
        HostLimit.TooLarge => "over a size limit",
        HostLimit.HandshakeTimeout => "TLS handshake not finished in time (--handshake-timeout)",
        HostLimit.TlsRefused => "TLS handshake failed",
        _ => "malformed",
    };

    private static string LimitName(HostLimit limit) => limit switch
    {
        HostLimit.PerClient => "perClient",
        HostLimit.HeadTimeout => "headTimeout",
        HostLimit.TooLarge => "tooLarge",
        HostLimit.HandshakeTimeout => "handshakeTimeout",
        HostLimit.TlsRefused => "tlsRefused",
        _ => limit.ToString().ToLowerInvariant(),
    };

    private static string FormatRecord(ConnectionRecord record, bool json)
    {
        var time = DateTimeOffset.Now.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
        if (json)
        {
            return JsonSerializer.Serialize(new ConnectionLogLine(time, record.Peer.ToString(), Math.Round(record.Duration.TotalMilliseconds, 3),
                record.BytesReceived, record.BytesSent, record.Requests, record.Outcome), CliJsonContext.Output.ConnectionLogLine);
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"{time} {record.Peer} {record.Outcome} after {Durations.Format(record.Duration)}: received {record.BytesReceived} B, sent {record.BytesSent} B, {Words.Plural(record.Requests, "request")}");
    }

}
