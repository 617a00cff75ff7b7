using System.CommandLine;
using Sockit.Cli.Rendering;
using Sockit.Http;
using Sockit.Proxies;
using Sockit.Servers;
using Sockit.Servers.Http;

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
        var maxBody = CommonOptions.Size("--max-body", "http-echo: the largest request body (413 beyond)", 1 << 20);
        var headerTimeout = CommonOptions.Duration("--header-timeout", null, "http-echo: time allowed for a request's headers (408 beyond; the slowloris guard)", TimeSpan.FromSeconds(10));

        var command = new Command("serve", "Run a test server: echo (RFC 862), discard (863), chargen (864), daytime (867) or http-echo, until Ctrl-C")
        {
            kind, endpoint, maxBody, headerTimeout,
        };
        var host = new HostOptions(command, "Close a connection after this long with no data either way", TestServer.DefaultIdleTimeout);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var local = parse.GetValue(endpoint)!;
            var json = host.Json(parse);
            using var tracer = CommonOptions.CreateTracer(parse);
            var options = host.Build(parse, local, tracer) with
            {
                Http = new HttpEchoOptions
                {
                    MaxBody = parse.GetValue(maxBody),
                    HeaderTimeout = parse.GetValue(headerTimeout) ?? TimeSpan.FromSeconds(10),
                    MaxBodyOption = "--max-body",
                    HeaderTimeoutOption = "--header-timeout",
                },
            };
            var serverKind = Kinds[parse.GetValue(kind)!];
            await using var server = await TestServer.StartAsync(serverKind, local, options, cancellationToken);
            return await ServerReport.RunUntilStoppedAsync(server, parse.GetValue(kind)!, $"serving {parse.GetValue(kind)} on {server.LocalEndpoint.WithTls(local.IsTls)}", json, cancellationToken);
        });
        return command;
    }
}
