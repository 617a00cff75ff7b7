using System.CommandLine;
using Sockit.Cli.Rendering;
using Sockit.Endpoints;
using Sockit.Piping;
using Sockit.Proxies;
using Sockit.Proxies.Control;
using Sockit.Proxies.Faults;
using Sockit.Tracing;

namespace Sockit.Cli.Commands;

/// <summary>
/// <c>sockit proxy LISTEN UPSTREAM</c>: a byte-exact relay between any two stream endpoints (like socat TCP-LISTEN,fork TCP:…)
/// with toxiproxy's faults, set with <c>--toxic</c> or at run time through a toxiproxy-compatible API (<c>--api</c>).
/// </summary>
internal static class ProxyCommand
{
    public static Command Create()
    {
        var listen = CommonOptions.EndpointArgument("Where to listen for clients", "listen");
        var upstream = CommonOptions.EndpointArgument("Where to connect for each client", "upstream");
        listen.Arity = upstream.Arity = ArgumentArity.ZeroOrOne;
        var connectTimeout = CommonOptions.Duration("--connect-timeout", "-w", "Give up connecting to the upstream after this long (the client is then closed)", TimeSpan.FromSeconds(10));
        var hex = new Option<bool>("--hex") { Description = "Hexdump every conversation on stderr ('>' client to upstream, '<' back, #N the connection)" };
        var dump = new Option<string[]>("--dump")
        {
            Description = "Record every conversation in FILE as text, hex or jsonl (time, connection id, direction, offset, data): --dump jsonl talk.jsonl",
            Arity = new ArgumentArity(2, 2),
            AllowMultipleArgumentsPerToken = true,
            HelpName = "format> <file",
        };
        var toxics = new Option<string[]>("--toxic")
        {
            Description = "Inject a fault, TYPE[:key=value,...] (repeatable): latency:latency=100,jitter=20  bandwidth:rate=100 (KB/s)  slow_close:delay=500  " +
                          "timeout:timeout=1000  reset_peer:timeout=0  slicer:average_size=10,delay=100 (µs)  limit_data:bytes=1000; " +
                          "for UDP loss:probability=10 (%)  duplicate:probability=5  reorder:probability=20,delay=10. " +
                          "Also stream=upstream|downstream|both (default downstream), toxicity=0..1, name=NAME",
            HelpName = "spec",
        };
        var name = new Option<string>("--name") { HelpName = "name", Description = "The proxy's name in the control API", DefaultValueFactory = _ => "proxy" };
        var api = new Option<Endpoint?>("--api")
        {
            Description = "Serve a toxiproxy-compatible HTTP control API here, such as 127.0.0.1:8474 (off unless given)",
            HelpName = "endpoint",
            CustomParser = CommonOptions.ParseEndpoint,
        };
        var config = new Option<string?>("--config") { Description = "Start the proxies in this toxiproxy config file: a JSON array of {name, listen, upstream}", HelpName = "file" };

        var command = new Command("proxy", "Relay every client of LISTEN to UPSTREAM (stream to stream, UDP to UDP), byte for byte, with half-close and resets passed through, and faults on demand")
        {
            listen, upstream, connectTimeout, hex, dump, toxics, name, api, config,
        };
        var host = new HostOptions(command,
            "Close a connection, or end a UDP client's session, after this long with no traffic either way (default: none for streams, as toxiproxy; 60s for UDP)",
            idleDefault: null);
        var upstreamTls = new TlsClientFlags(command, "upstream-");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var local = parse.GetValue(listen);
            var remote = parse.GetValue(upstream);
            var control = parse.GetValue(api);
            var configFile = parse.GetValue(config);
            if (local is not null && remote is null) throw new UsageException("give the UPSTREAM to relay LISTEN to: sockit proxy LISTEN UPSTREAM");
            if (local is null && control is null && configFile is null)
                throw new UsageException("give LISTEN and UPSTREAM (sockit proxy :8080 127.0.0.1:80), or --config FILE or --api ENDPOINT to make proxies at run time");
            var faults = ParseToxics(parse.GetValue(toxics) ?? []);
            if (faults.Count > 0 && local is null) throw new UsageException("--toxic applies to the LISTEN UPSTREAM proxy; in a --config file give each proxy its \"toxics\"");

            var json = host.Json(parse);
            using var tracer = CommonOptions.CreateTracer(parse);
            using var recorder = CreateDump(parse.GetValue(dump), parse.GetValue(hex));
            var proxies = new ProxyCollection(host.Build(parse, local ?? Endpoint.Parse("127.0.0.1:0"), tracer), new ProxyOptions
            {
                ConnectTimeout = parse.GetValue(connectTimeout) ?? TimeSpan.FromSeconds(10),
                Dump = recorder,
                DatagramIdleTimeout = host.IdleTimeout(parse) ?? TimeSpan.FromSeconds(60),
                UpstreamTls = upstreamTls.Build(parse, remote, anyTarget: local is null),
            });
            await using (proxies)
            {
                if (configFile is not null) await proxies.PopulateAsync(await ProxyConfig.LoadAsync(configFile, cancellationToken), cancellationToken);
                if (local is not null) await proxies.AddAsync(new ProxyDefinition(parse.GetValue(name)!, local, remote!, Toxics: faults), cancellationToken);
                var announcement = proxies.All.Select(Describe).ToList();
                await using var controlApi = control is null ? null : await ControlApi.StartAsync(control, proxies, cancellationToken: cancellationToken);
                if (controlApi is not null) announcement.Add($"control API (toxiproxy-compatible) on http://{controlApi.LocalEndpoint}");
                var where = local is not null ? proxies.All.First(p => p.Name == parse.GetValue(name)).Listen.ToString() : $"{proxies.All.Count} proxies";
                return await ServerReport.RunUntilStoppedAsync(() => proxies.StopAsync(CancellationToken.None), "proxy", where, stream: true, announcement, json, cancellationToken);
            }
        });
        return command;
    }

    private static ConversationDump? CreateDump(string[]? dump, bool hex)
    {
        if (dump is { Length: 2 })
        {
            if (hex) throw new UsageException("--hex and --dump both record the conversation; pick one (--dump hex FILE writes the hexdump to a file)");
            if (!dump[0].All(char.IsLetter) || !Enum.TryParse<DumpFormat>(dump[0], ignoreCase: true, out var format))
                throw new UsageException($"invalid --dump format '{dump[0]}': use text, hex or jsonl, then the file: --dump jsonl talk.jsonl");
            try
            {
                return ConversationDump.CreateFile(dump[1], format);
            }
            catch (SockitException ex)
            {
                throw new UsageException(ex.Message);
            }
        }
        return hex ? new ConversationDump(Console.Error, DumpFormat.Hex) : null;
    }

    private static List<Toxic> ParseToxics(string[] specs)
    {
        try
        {
            return [.. specs.SelectMany(Toxic.Parse)];
        }
        catch (SockitException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    private static string Describe(Proxy proxy)
    {
        var line = $"{proxy.Name}: relaying {proxy.Listen} to {proxy.Upstream}";
        if (!proxy.Enabled) line += " (disabled)";
        return proxy.Faults.Toxics.Count == 0 ? line : $"{line} with {string.Join("; ", proxy.Faults.Toxics)}";
    }
}
