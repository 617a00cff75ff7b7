using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sockit.Cli.Rendering;
using Sockit.Servers;
using Sockit.Servers.Http;
using Sockit.Transport;

namespace Sockit.Cli.Commands;

/// <summary><c>sockit serve KIND ENDPOINT</c>: a ready test server until Ctrl-C or SIGTERM.</summary>
internal static class ServeCommand
{
    private static readonly Dictionary<string, ServerKind> Kinds = new()
    {
        ["echo"] = ServerKind.Echo,
        ["discard"] = ServerKind.Discard,
        ["chargen"] = ServerKind.Chargen,
        ["daytime"] = ServerKind.Daytime,
        ["http-echo"] = ServerKind.HttpEcho,
    };

    public static Command Create()
    {
        var kind = new Argument<string>("kind") { Description = "echo, discard, chargen, daytime or http-echo" };
        kind.AcceptOnlyFromAmong([.. Kinds.Keys]);
        var endpoint = CommonOptions.EndpointArgument("Where to listen (':port' is loopback only; '*:port' is every interface)");
        var maxConnections = CommonOptions.PositiveInt("--max-connections", "Connections served at once; more get a 503 (http-echo) or a reset", 1024);
        var allow = new Option<string[]>("--allow") { Description = "Accept only clients in this CIDR (repeatable)" };
        var deny = new Option<string[]>("--deny") { Description = "Refuse clients in this CIDR (repeatable)" };
        var log = new Option<bool>("--log") { Description = "One line per connection on stdout: peer, duration, bytes each way, requests, outcome" };
        var logFormat = new Option<string>("--log-format") { Description = "text or json", DefaultValueFactory = _ => "text" };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var drain = CommonOptions.Duration("--drain", null, "On Ctrl-C or SIGTERM, how long open exchanges may finish before they are cut", TimeSpan.FromSeconds(5));
        var maxBody = Size("--max-body", "http-echo: the largest request body (413 beyond)", 1 << 20);
        var headerTimeout = CommonOptions.Duration("--header-timeout", null, "http-echo: time allowed for a request's headers (408 beyond; the slowloris guard)", TimeSpan.FromSeconds(10));
        var mode = new Option<string?>("--mode") { Description = "Permissions of a Unix socket file, in octal, such as 600" };

        var command = new Command("serve", "Run a test server: echo (RFC 862), discard (863), chargen (864), daytime (867) or http-echo, until Ctrl-C")
        {
            kind, endpoint, maxConnections, allow, deny, log, logFormat, drain, maxBody, headerTimeout, mode,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var local = parse.GetValue(endpoint)!;
            var policy = AccessPolicy.Parse(parse.GetValue(allow) ?? [], parse.GetValue(deny) ?? []);
            if (policy.HasRules && local.IsUnixDomain) throw new UsageException("--allow and --deny apply to TCP and UDP clients; Unix sockets are guarded by --mode");
            var json = parse.GetValue(logFormat) == "json";
            var writeLog = parse.GetValue(log);
            var logLock = new Lock();
            using var tracer = CommonOptions.CreateTracer(parse);
            var options = new ServerOptions
            {
                MaxConnections = parse.GetValue(maxConnections),
                Policy = policy,
                Drain = parse.GetValue(drain) ?? TimeSpan.FromSeconds(5),
                Tracer = tracer,
                UnixFileMode = CommonOptions.ParseMode(parse.GetValue(mode), local),
                Http = new HttpEchoOptions { MaxBody = parse.GetValue(maxBody), HeaderTimeout = parse.GetValue(headerTimeout) ?? TimeSpan.FromSeconds(10) },
                OnConnection = writeLog ? record => { lock (logLock) Console.Out.WriteLine(FormatRecord(record, json)); } : null,
            };
            var serverKind = Kinds[parse.GetValue(kind)!];
            await using var server = await TestServer.StartAsync(serverKind, local, options, cancellationToken);
            Reporter.Info($"serving {parse.GetValue(kind)} on {server.LocalEndpoint} (Ctrl-C to stop)");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C or SIGTERM: the way a server is meant to stop.
            }
            var summary = await server.StopAsync();
            Console.Out.Flush();
            Reporter.Info(json
                ? JsonSerializer.Serialize(new ServerSummaryLine(parse.GetValue(kind)!, server.LocalEndpoint.ToString(), summary.Connections, summary.Rejected,
                    summary.BytesReceived, summary.BytesSent, summary.Requests, Math.Round(summary.Uptime.TotalSeconds, 3)), CliJsonContext.Default.ServerSummaryLine)
                : string.Create(CultureInfo.InvariantCulture,
                    $"stopped {parse.GetValue(kind)} on {server.LocalEndpoint}: {summary.Connections} {(local.IsStream ? "connections" : "datagrams")} ({summary.Rejected} rejected), " +
                    $"received {Sizes.Format(summary.BytesReceived)}, sent {Sizes.Format(summary.BytesSent)}, {summary.Requests} requests, up {Durations.Format(summary.Uptime)}"));
            return CliRunner.Ok;
        });
        return command;
    }

    private static string FormatRecord(ConnectionRecord record, bool json)
    {
        var time = DateTimeOffset.Now.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
        if (json)
        {
            return JsonSerializer.Serialize(new ConnectionLogLine(time, record.Peer.ToString(), Math.Round(record.Duration.TotalMilliseconds, 3),
                record.BytesReceived, record.BytesSent, record.Requests, record.Outcome), CliJsonContext.Default.ConnectionLogLine);
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"{time} {record.Peer} {record.Outcome} after {Durations.Format(record.Duration)}: received {record.BytesReceived} B, sent {record.BytesSent} B, {record.Requests} requests");
    }

    private static Option<long> Size(string name, string description, long defaultValue) => new(name)
    {
        Description = description + " (bytes, or with k, m, g: 64k, 1MiB)",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Sizes.TryParse(text, out var bytes) && bytes > 0) return bytes;
            result.AddError($"invalid size '{text}' for {name}: use bytes or a unit, such as 65536, 64k or 1MiB");
            return defaultValue;
        },
    };
}
