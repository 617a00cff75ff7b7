using System.CommandLine;
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
            using var tracer = CommonOptions.CreateTracer(parse);
            var options = new ServerOptions
            {
                MaxConnections = parse.GetValue(maxConnections),
                Policy = policy,
                Drain = parse.GetValue(drain) ?? TimeSpan.FromSeconds(5),
                Tracer = tracer,
                UnixFileMode = CommonOptions.ParseMode(parse.GetValue(mode), local),
                Http = new HttpEchoOptions { MaxBody = parse.GetValue(maxBody), HeaderTimeout = parse.GetValue(headerTimeout) ?? TimeSpan.FromSeconds(10) },
                OnConnection = ServerReport.Logger(writeLog, json),
            };
            var serverKind = Kinds[parse.GetValue(kind)!];
            await using var server = await TestServer.StartAsync(serverKind, local, options, cancellationToken);
            Reporter.Info($"serving {parse.GetValue(kind)} on {server.LocalEndpoint} (Ctrl-C to stop)");
            await ServerReport.UntilStoppedAsync(cancellationToken);
            ServerReport.Summary(parse.GetValue(kind)!, server, await server.StopAsync(), json);
            return CliRunner.Ok;
        });
        return command;
    }

    internal static Option<long> Size(string name, string description, long defaultValue) => new(name)
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
