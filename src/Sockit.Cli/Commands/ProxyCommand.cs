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
            Arity = new ArgumentArity(1, 2), // one word is a mistake we explain (the format goes first), not a parser's complaint
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
        foreach (var client in ProxyClientCommands.Create()) command.Subcommands.Add(client); // ls, toggle, toxic: toxiproxy-cli's verbs
        var host = new HostOptions(command,
            "Close a connection, or end a UDP client's session, after this long with no traffic either way (default: none for streams, as toxiproxy; 60s for UDP)",
            idleDefault: null);
        var upstreamTls = new TlsClientFlags(command, "upstream-");
        command.SetAction(async (parse, cancellationToken) =>
        {
            CheckDumpOrder(parse.GetValue(dump));
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
                var where = local is not null ? proxies.All.First(p => p.Name == parse.GetValue(name)).Listen.ToString()
                    : controlApi is not null ? $"the control API's proxies" : Words.Plural(proxies.All.Count, "proxy", "proxies");
                return await ServerReport.RunUntilStoppedAsync(() => proxies.StopAsync(CancellationToken.None), "proxy", where, stream: true, announcement, json, cancellationToken);
            }
        });
        return command;
    }

    /// <summary>
    /// '--dump talk.jsonl' (the file alone, or first) is checked before anything else: the parser may have taken the
    /// next word as the file, and the error about that word would blame the wrong thing.
    /// </summary>
    private static void CheckDumpOrder(string[]? dump)
    {
        if (dump is { Length: 1 } || (dump is { Length: 2 } && dump[0].IndexOfAny(['.', '/']) >= 0))
            throw new UsageException($"--dump takes the format first, then the file: --dump jsonl {dump[0]} (formats: text, hex, jsonl)");
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
        List<Toxic> toxics;
        try
        {
            toxics = [.. specs.SelectMany(Toxic.Parse)];
        }
        catch (SockitException ex)
        {
            throw new UsageException(ex.Message);
        }
        // Two of a kind on one stream share a default name, and the second would replace the first in the API's eyes.
        if (toxics.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new UsageException($"two --toxic options make the toxic '{twice.Key}'; give one, or name each, such as " +
                                     $"--toxic {twice.First().Type}:name=first,... --toxic {twice.First().Type}:name=second,...");
        }
        return toxics;
    }

    private static string Describe(Proxy proxy)
    {
        var line = $"{proxy.Name}: relaying {proxy.Listen} to {proxy.Upstream}";
        if (!proxy.Enabled) line += " (disabled)";
        return proxy.Faults.Toxics.Count == 0 ? line : $"{line} with {string.Join("; ", proxy.Faults.Toxics)}";
    }
}
