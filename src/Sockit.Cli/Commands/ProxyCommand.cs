using System.CommandLine;
using Sockit.Cli.Rendering;
using Sockit.Servers;
using Sockit.Tracing;

namespace Sockit.Cli.Commands;

/// <summary><c>sockit proxy LISTEN UPSTREAM</c>: a byte-exact relay between any two stream endpoints (like socat TCP-LISTEN,fork TCP:…).</summary>
internal static class ProxyCommand
{
    public static Command Create()
    {
        var listen = CommonOptions.EndpointArgument("Where to listen for clients", "listen");
        var upstream = CommonOptions.EndpointArgument("Where to connect for each client", "upstream");
        var connectTimeout = CommonOptions.Duration("--connect-timeout", "-w", "Give up connecting to the upstream after this long (the client is then closed)", TimeSpan.FromSeconds(10));
        var hex = CommonOptions.Hex();

        var command = new Command("proxy", "Relay every client of LISTEN to UPSTREAM, byte for byte, with half-close and resets passed through")
        {
            listen, upstream, connectTimeout, hex,
        };
        var host = new HostOptions(command, "a reset");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var local = parse.GetValue(listen)!;
            var json = host.Json(parse);
            using var tracer = CommonOptions.CreateTracer(parse);
            await using var proxy = await TestServer.StartProxyAsync(local, parse.GetValue(upstream)!, host.Build(parse, local, tracer), parse.GetValue(connectTimeout),
                parse.GetValue(hex) ? new HexDumpWriter(Console.Error) : null, cancellationToken);
            return await ServerReport.RunUntilStoppedAsync(proxy, "proxy", $"relaying {proxy.LocalEndpoint} to {parse.GetValue(upstream)}", json, cancellationToken);
        });
        return command;
    }
}
