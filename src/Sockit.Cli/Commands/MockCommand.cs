using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Sockit.Cli.Rendering;
using Sockit.Endpoints;
using Sockit.Mock;

namespace Sockit.Cli.Commands;

/// <summary>
/// <c>sockit mock</c>: over-the-wire test doubles in mountebank's model. <c>--api</c> answers mountebank's REST API,
/// <c>--imposters FILE</c> loads what <c>mb save</c> wrote, and <c>sockit mock :9000 --on PING --reply 'PONG\n'</c> is
/// the one-line tcp case.
/// </summary>
internal static class MockCommand
{
    public static Command Create()
    {
        var listen = CommonOptions.EndpointArgument(
            "For a one-liner: where the imposter listens (with --on/--reply): host:port (tcp), udp://host:port or unix:///path", "listen");
        listen.Arity = ArgumentArity.ZeroOrOne;
        var api = new Option<Endpoint?>("--api")
        {
            Description = "Answer mountebank's REST API here, such as 127.0.0.1:2525 (imposters then listen on the same host)",
            HelpName = "endpoint",
            CustomParser = CommonOptions.ParseEndpoint,
        };
        var imposters = new Option<string?>("--imposters") { Description = "Start the imposters in this mountebank JSON file (one imposter, or {\"imposters\": [...]} as 'mb save' writes)", HelpName = "file" };
        var on = new Option<string[]>("--on") { Description = "One-liner: a request that contains TEXT (\\n, \\r, \\t, \\xHH escapes) gets the --reply at the same place (repeatable)", HelpName = "text" };
        var reply = new Option<string[]>("--reply") { Description = "One-liner: the reply to the --on at the same place; a last --reply without an --on answers everything else", HelpName = "text" };
        var maxRequests = CommonOptions.PositiveInt("--max-requests", "Keep at most this many requests per imposter with recordRequests (the oldest go first)", 100_000);
        var maxRecorded = CommonOptions.Size("--max-recorded", "Keep at most this much of recorded requests per imposter, as their JSON (the oldest go first; bodies may be 16 MiB each)", 64L << 20);
        var maxConnections = CommonOptions.PositiveInt("--max-connections",
            "Connections each imposter (and the API) serves at once; more wait in the listen queue until one ends", 4096);
        var idle = CommonOptions.Duration("--idle-timeout", null,
            "Close a connection to an imposter after this long with no data either way (default: never, as mountebank)");
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Do not log each request on stderr" };
        var strict = new Option<bool>("--strict")
        {
            Description = "Log each request no stub matched, with the closest stub and the predicate it failed, and exit 1 at stop if there was one (for CI)",
        };
        var command = new Command("mock", "Stand in for a service: mountebank-compatible imposters (tcp, http; beyond mountebank udp and Unix sockets) with predicates, response cycles, proxies that record, and faults")
        {
            listen, api, imposters, on, reply, maxRequests, maxRecorded, maxConnections, idle, quiet, strict, Record(),
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var local = parse.GetValue(listen);
            var apiEndpoint = parse.GetValue(api);
            var file = parse.GetValue(imposters);
            var ons = parse.GetValue(on) ?? [];
            var replies = parse.GetValue(reply) ?? [];
            if (local is null && apiEndpoint is null && file is null)
                throw new UsageException("give --api ENDPOINT (mountebank's API), --imposters FILE, or LISTEN with --on/--reply: sockit mock :9000 --on PING --reply 'PONG\\n'");
            if (local is not null && replies.Length == 0) throw new UsageException("give the --reply for LISTEN: sockit mock :9000 --on PING --reply 'PONG\\n'");
            if (local is null && (ons.Length > 0 || replies.Length > 0)) throw new UsageException("--on and --reply need LISTEN, where the one-liner imposter listens: sockit mock :9000 --on PING --reply PONG");
            if (replies.Length != ons.Length && replies.Length != ons.Length + 1)
                throw new UsageException($"give one --reply per --on (and at most one more, for everything else); got {ons.Length} --on and {replies.Length} --reply");
            var logRequests = !parse.GetValue(quiet);
            var unmatched = 0;
            using var tracer = CommonOptions.CreateTracer(parse);
            await using var mock = await MockApi.StartAsync(apiEndpoint, new MockOptions
            {
                MaxRecordedRequests = parse.GetValue(maxRequests),
                MaxRecordedBytes = parse.GetValue(maxRecorded),
                MaxConnections = parse.GetValue(maxConnections),
                IdleTimeout = parse.GetValue(idle) is { } timeout && timeout > TimeSpan.Zero ? timeout : null,
                OnRequest = logRequests ? r => Reporter.Info($"{r["requestFrom"]} => {Describe(r)}") : null,
                OnUnmatched = parse.GetValue(strict)
                    ? (r, closest) =>
                    {
                        Interlocked.Increment(ref unmatched);
                        Reporter.Error($"unmatched request {Describe(r)} from {r["requestFrom"]}: {closest}");
                    }
                    : null,
                Tracer = tracer,
            }, cancellationToken);
            var announcement = new List<string>();
            if (mock.LocalEndpoint is Endpoint apiAt) announcement.Add($"mountebank-compatible API on http://{apiAt}");
            if (file is not null) await LoadAsync(mock, file, await ReadFileAsync(file, cancellationToken), cancellationToken);
            if (local is not null) await LoadAsync(mock, "--on/--reply", OneLiner(local, ons, replies), cancellationToken);
            foreach (var address in mock.ImposterAddresses) announcement.Add($"imposter on {address}");
            if (announcement.Count == 0) announcement.Add("no imposters yet");
            for (var i = 0; i < announcement.Count; i++) Reporter.Info(i == announcement.Count - 1 ? $"{announcement[i]} (Ctrl-C to stop)" : announcement[i]);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
            Reporter.Info(string.Create(CultureInfo.InvariantCulture, $"stopped mock: {mock.ImposterPorts.Count} imposters, {mock.RequestCount} requests"));
            if (unmatched == 0) return CliRunner.Ok;
            Reporter.Error(string.Create(CultureInfo.InvariantCulture, $"{unmatched} requests matched no stub (--strict)"));
            return CliRunner.Failure;
        });
        return command;
    }

    /// <summary>
    /// <c>sockit mock record LISTEN UPSTREAM --out FILE</c>: relays to the real service through a proxyAlways imposter
    /// and, when stopped, writes what it recorded as imposters that replay it (<c>--imposters FILE</c>).
    /// </summary>
    private static Command Record()
    {
        var listen = CommonOptions.EndpointArgument("Where clients connect (the imposter's port)", "listen");
        var upstream = CommonOptions.EndpointArgument("The real service to record", "upstream");
        var output = new Option<string>("--out", "-o") { Description = "Write the recorded imposters here when stopped (Ctrl-C or SIGTERM)", HelpName = "file", Required = true };
        var protocol = new Option<string>("--protocol") { Description = "tcp (each packet a request) or http", HelpName = "protocol", DefaultValueFactory = _ => "tcp" };
        protocol.AcceptOnlyFromAmong("tcp", "http");
        var command = new Command("record", "Relay LISTEN to UPSTREAM and, when stopped, write what was said as imposters that replay it")
        {
            listen, upstream, output, protocol,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var local = parse.GetValue(listen)!;
            var remote = parse.GetValue(upstream)!;
            var file = parse.GetValue(output)!;
            var http = parse.GetValue(protocol) == "http";
            if (local.Transport != TransportKind.Tcp || remote.Transport != TransportKind.Tcp) throw new UsageException("mock record relays TCP: give host:port for LISTEN and UPSTREAM");
            var directory = Path.GetDirectoryName(Path.GetFullPath(file));
            if (directory is not null && !Directory.Exists(directory)) throw new UsageException($"--out {file}: the directory {directory} does not exist");
            // proxyAlways keeps every answer in order: a request asked twice replays its two answers in turn.
            var generators = http ? new JsonArray(new JsonObject { ["matches"] = new JsonObject { ["method"] = true, ["path"] = true, ["query"] = true } })
                : new JsonArray(new JsonObject { ["matches"] = new JsonObject { ["data"] = true } });
            var imposter = new JsonObject
            {
                ["protocol"] = http ? "http" : "tcp",
                ["stubs"] = new JsonArray(new JsonObject
                {
                    ["responses"] = new JsonArray(new JsonObject
                    {
                        ["proxy"] = new JsonObject { ["to"] = $"{(http ? "http" : "tcp")}://{remote.Host}:{remote.Port}", ["mode"] = "proxyAlways", ["predicateGenerators"] = generators },
                    }),
                }),
            };
            if (local.Port > 0) imposter["port"] = local.Port;
            if (local.Host is string host) imposter["host"] = local.IsAnyAddress ? "0.0.0.0" : host;
            await using var mock = await MockApi.StartAsync(null, new MockOptions
            {
                OnRequest = r => Reporter.Info($"{r["requestFrom"]} => {Describe(r)}"),
            }, cancellationToken);
            await LoadAsync(mock, "record", imposter.ToJsonString(), cancellationToken);
            Reporter.Info($"recording {remote} on port {mock.ImposterPorts[0]}; the imposters go to {file} when stopped (Ctrl-C to stop)");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
            await File.WriteAllTextAsync(file, mock.Save(removeProxies: true) + "\n", CancellationToken.None);
            Reporter.Info(string.Create(CultureInfo.InvariantCulture, $"recorded {mock.RequestCount} requests into {file}"));
            return CliRunner.Ok;
        });
        return command;
    }

    private static string Describe(JsonObject request) =>
        request["method"] is JsonNode method ? $"{method} {request["path"]}" : Quote(request["data"]?.ToString() ?? "");

    private static string Quote(string text)
    {
        var shown = text.Length > 60 ? text[..60] + "..." : text;
        return JsonValue.Create(shown).ToJsonString();
    }

    private static async Task<string> ReadFileAsync(string file, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllTextAsync(file, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read --imposters {file}: {ex.Message}");
        }
    }

    private static async Task LoadAsync(MockApi mock, string source, string json, CancellationToken cancellationToken)
    {
        try
        {
            await mock.LoadAsync(json, cancellationToken);
        }
        catch (MockException ex)
        {
            var error = ex.Errors[0];
            throw new UsageException($"{source}: {error.Message}{(error.Source is JsonValue or null ? "" : $" in {Abbreviate(error.Source.ToJsonString())}")}");
        }
    }

    private static string Abbreviate(string json) => json.Length > 120 ? json[..120] + "..." : json;

    /// <summary>
    /// The one-liner as an imposter: each --on a contains predicate, a last lone --reply the default. It listens on TCP,
    /// UDP (udp://host:port) or a Unix stream socket (unix:///path, unix://@name); tls:// and tls+unix:// add TLS.
    /// </summary>
    private static string OneLiner(Endpoint listen, string[] ons, string[] replies)
    {
        if (listen.Transport is not (TransportKind.Tcp or TransportKind.Udp or TransportKind.Unix))
            throw new UsageException($"the one-liner listens on TCP, UDP or a Unix stream socket; {listen} is none of them");
        var stubs = new JsonArray();
        for (var i = 0; i < replies.Length; i++)
        {
            var stub = new JsonObject();
            if (i < ons.Length)
                stub["predicates"] = new JsonArray(new JsonObject { ["contains"] = new JsonObject { ["data"] = Unescape(ons[i], "--on") }, ["caseSensitive"] = true });
            stub["responses"] = new JsonArray(new JsonObject { ["is"] = new JsonObject { ["data"] = Unescape(replies[i], "--reply") } });
            stubs.Add((JsonNode)stub);
        }
        var protocol = listen.Transport == TransportKind.Udp ? "udp" : listen.IsTls ? "tls" : "tcp";
        var imposter = new JsonObject { ["protocol"] = protocol, ["stubs"] = stubs, ["recordRequests"] = false };
        if (listen.IsUnixDomain) imposter["path"] = listen.IsAbstract ? "@" + listen.Path : listen.Path;
        if (listen.Port > 0) imposter["port"] = listen.Port; // none: a free port, as mountebank picks
        if (listen.Host is string host && !listen.IsAnyAddress) imposter["host"] = host;
        else if (listen.IsAnyAddress) imposter["host"] = "0.0.0.0";
        return imposter.ToJsonString();
    }

    /// <summary>\n, \r, \t, \0, \\ and \xHH, so a line protocol's reply fits on a command line.</summary>
    internal static string Unescape(string text, string option)
    {
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\' || i + 1 == text.Length)
            {
                result.Append(text[i]);
                continue;
            }
            var next = text[++i];
            switch (next)
            {
                case 'n': result.Append('\n'); break;
                case 'r': result.Append('\r'); break;
                case 't': result.Append('\t'); break;
                case '0': result.Append('\0'); break;
                case '\\': result.Append('\\'); break;
                case 'x' when i + 2 < text.Length && char.IsAsciiHexDigit(text[i + 1]) && char.IsAsciiHexDigit(text[i + 2]):
                    var b = Convert.ToByte(text.Substring(i + 1, 2), 16);
                    result.Append((char)b);
                    i += 2;
                    break;
                default:
                    throw new UsageException($"{option} '{text}': unknown escape '\\{next}' (use \\n, \\r, \\t, \\0, \\\\ or \\xHH)");
            }
        }
        return result.ToString();
    }
}
