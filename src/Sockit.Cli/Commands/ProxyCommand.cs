using System.CommandLine;
using Sockit.Cli.Rendering;
using Sockit.Servers;
using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Cli.Commands;

/// <summary><c>sockit proxy LISTEN UPSTREAM</c>: a byte-exact relay between any two stream endpoints (like socat TCP-LISTEN,fork TCP:…).</summary>
internal static class ProxyCommand
{
    public static Command Create()
    {
        var listen = CommonOptions.EndpointArgument("Where to listen for clients", "listen");
        var upstream = CommonOptions.EndpointArgument("Where to connect for each client", "upstream");
        var maxConnections = CommonOptions.PositiveInt("--max-connections", "Connections relayed at once; more are reset", 1024);
        var allow = new Option<string[]>("--allow") { Description = "Accept only clients in this CIDR (repeatable)" };
        var deny = new Option<string[]>("--deny") { Description = "Refuse clients in this CIDR (repeatable)" };
        var connectTimeout = CommonOptions.Duration("--connect-timeout", "-w", "Give up connecting to the upstream after this long (the client is then closed)", TimeSpan.FromSeconds(10));
        var log = new Option<bool>("--log") { Description = "One line per connection on stdout: peer, outcome, duration, bytes each way" };
        var logFormat = new Option<string>("--log-format") { Description = "text or json", DefaultValueFactory = _ => "text" };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var drain = CommonOptions.Duration("--drain", null, "On Ctrl-C or SIGTERM, how long open connections may finish before they are cut", TimeSpan.FromSeconds(5));
        var hex = CommonOptions.Hex();
        var mode = new Option<string?>("--mode") { Description = "Permissions of a Unix socket file, in octal, such as 600" };

        var command = new Command("proxy", "Relay every client of LISTEN to UPSTREAM, byte for byte, with half-close and resets passed through")
        {
            listen, upstream, maxConnections, allow, deny, connectTimeout, log, logFormat, drain, hex, mode,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var local = parse.GetValue(listen)!;
            var policy = AccessPolicy.Parse(parse.GetValue(allow) ?? [], parse.GetValue(deny) ?? []);
            if (policy.HasRules && local.IsUnixDomain) throw new UsageException("--allow and --deny apply to TCP clients; Unix sockets are guarded by --mode");
            var json = parse.GetValue(logFormat) == "json";
            using var tracer = CommonOptions.CreateTracer(parse);
            var options = new ServerOptions
            {
                MaxConnections = parse.GetValue(maxConnections),
                Policy = policy,
                Drain = parse.GetValue(drain) ?? TimeSpan.FromSeconds(5),
                Tracer = tracer,
                UnixFileMode = CommonOptions.ParseMode(parse.GetValue(mode), local),
                OnConnection = ServerReport.Logger(parse.GetValue(log), json),
            };
            await using var proxy = await TestServer.StartProxyAsync(local, parse.GetValue(upstream)!, options, parse.GetValue(connectTimeout),
                parse.GetValue(hex) ? new HexDumpWriter(Console.Error) : null, cancellationToken);
            Reporter.Info($"relaying {proxy.LocalEndpoint} to {parse.GetValue(upstream)} (Ctrl-C to stop)");
            await ServerReport.UntilStoppedAsync(cancellationToken);
            ServerReport.Summary("proxy", proxy, await proxy.StopAsync(), json);
            return CliRunner.Ok;
        });
        return command;
    }
}
