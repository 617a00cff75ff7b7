using System.Buffers;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using Sockit.Cli.Rendering;
using Sockit.Endpoints;
using Sockit.Proxies.Control;

namespace Sockit.Cli.Commands;

/// <summary>
/// toxiproxy-cli's verbs as <c>sockit proxy</c> subcommands, against a running control API (Sockit's or toxiproxy's):
/// <c>ls</c>, <c>create NAME</c>, <c>toggle NAME</c>, <c>delete NAME</c>, <c>toxic add|update|remove NAME</c>, with toxiproxy-cli's flags
/// (<c>-t</c>, <c>-n</c>, <c>-a key=value</c>, <c>-u</c>/<c>-d</c>, <c>--tox</c>) so its scripts carry over.
/// </summary>
internal static class ProxyClientCommands
{
    private const string DefaultApi = "127.0.0.1:8474";

    public static IEnumerable<Command> Create()
    {
        yield return List();
        yield return CreateProxy();
        yield return Toggle();
        yield return DeleteProxy();
        yield return Toxic();
    }

    private static Command List()
    {
        var host = Host();
        var json = new Option<bool>("--json") { Description = "Print the API's JSON answer as it came" };
        var command = new Command("ls", "List the proxies of a running control API, with their toxics (toxiproxy-cli list)") { host, json };
        command.Aliases.Add("list");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var reply = await SendAsync(parse.GetValue(host)!, "GET", "/proxies", null, "listing the proxies", cancellationToken);
            if (parse.GetValue(json))
            {
                Stdio.WriteStdout([.. reply.Body, (byte)'\n']);
                return CliRunner.Ok;
            }
            using var document = JsonDocument.Parse(reply.Body);
            var rows = document.RootElement.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => (IReadOnlyList<string>)
            [
                p.Name, Text(p.Value, "listen"), Text(p.Value, "upstream"),
                p.Value.TryGetProperty("enabled", out var enabled) && enabled.ValueKind == JsonValueKind.True ? "enabled" : "disabled",
                Toxics(p.Value),
            ]).ToList();
            if (rows.Count == 0)
            {
                Reporter.Info("no proxies; create one with curl -X POST .../proxies, a client library, or sockit proxy --config");
                return CliRunner.Ok;
            }
            using var output = TextTable.OpenStdout();
            TextTable.Write(["NAME", "LISTEN", "UPSTREAM", "ENABLED", "TOXICS"], rows, output, rightAlignNumbers: false);
            return CliRunner.Ok;
        });
        return command;
    }

    private static Command CreateProxy()
    {
        var (host, name) = (Host(), ProxyName());
        var listen = new Option<string>("--listen", "-l") { Description = "Where the new proxy listens, such as 127.0.0.1:26379", Required = true };
        var upstream = new Option<string>("--upstream", "-u") { Description = "Where it relays to, such as 127.0.0.1:6379", Required = true };
        var command = new Command("create", "Create a proxy on a running control API: sockit proxy create redis -l 127.0.0.1:26379 -u 127.0.0.1:6379")
        {
            name, host, listen, upstream,
        };
        command.Aliases.Add("new");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var proxy = parse.GetValue(name)!;
            var body = Json(writer =>
            {
                writer.WriteString("name", proxy);
                writer.WriteString("listen", parse.GetValue(listen));
                writer.WriteString("upstream", parse.GetValue(upstream));
                writer.WriteBoolean("enabled", true);
            });
            await SendAsync(parse.GetValue(host)!, "POST", "/proxies", body, $"creating proxy {proxy}", cancellationToken);
            Console.Out.WriteLine($"Created new proxy {proxy}");
            return CliRunner.Ok;
        });
        return command;
    }

    private static Command DeleteProxy()
    {
        var (host, name) = (Host(), ProxyName());
        var command = new Command("delete", "Delete a proxy from a running control API (its open connections are cut)") { name, host };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var proxy = parse.GetValue(name)!;
            await SendAsync(parse.GetValue(host)!, "DELETE", ProxyPath(proxy), null, $"deleting proxy {proxy}", cancellationToken);
            Console.Out.WriteLine($"Deleted proxy {proxy}");
            return CliRunner.Ok;
        });
        return command;
    }

    private static Command Toggle()
    {
        var host = Host();
        var name = ProxyName();
        var command = new Command("toggle", "Take a proxy down if it is up, bring it up if it is down (toxiproxy-cli toggle)") { name, host };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var api = parse.GetValue(host)!;
            var proxy = parse.GetValue(name)!;
            var current = await SendAsync(api, "GET", ProxyPath(proxy), null, $"reading proxy {proxy}", cancellationToken);
            using var document = JsonDocument.Parse(current.Body);
            var enabled = document.RootElement.TryGetProperty("enabled", out var value) && value.ValueKind == JsonValueKind.True;
            var body = Json(writer => writer.WriteBoolean("enabled", !enabled));
            var changed = await SendAsync(api, "POST", ProxyPath(proxy), body, $"toggling proxy {proxy}", cancellationToken);
            using var after = JsonDocument.Parse(changed.Body);
            var now = after.RootElement.TryGetProperty("enabled", out var state) && state.ValueKind == JsonValueKind.True;
            Console.Out.WriteLine($"Proxy {proxy} is now {(now ? "enabled" : "disabled")}");
            return CliRunner.Ok;
        });
        return command;
    }

    private static Command Toxic()
    {
        var command = new Command("toxic", "Add, update or remove a toxic of a proxy on a running control API (toxiproxy-cli toxic)");
        command.Subcommands.Add(AddToxic());
        command.Subcommands.Add(UpdateToxic());
        command.Subcommands.Add(RemoveToxic());
        return command;
    }

    private static Command AddToxic()
    {
        var (host, proxy, toxicName, attributes, toxicity) = (Host(), ProxyName(), ToxicName(required: false), Attributes(), Toxicity());
        var type = new Option<string>("--type", "-t") { Description = "The toxic's type: latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, noop, ...", Required = true };
        var upstream = new Option<bool>("--upstream", "-u") { Description = "Act on data from the client to the upstream" };
        var downstream = new Option<bool>("--downstream", "-d") { Description = "Act on data from the upstream back to the client (the default)" };
        var command = new Command("add", "Add a toxic to a proxy: sockit proxy toxic add db -t latency -a latency=100") { proxy, host, type, toxicName, attributes, toxicity, upstream, downstream };
        command.Aliases.Add("a");
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(upstream) && parse.GetValue(downstream)) throw new UsageException("give one of --upstream (-u) and --downstream (-d), not both");
            var name = parse.GetValue(proxy)!;
            var body = Json(writer =>
            {
                if (parse.GetValue(toxicName) is { Length: > 0 } given) writer.WriteString("name", given);
                writer.WriteString("type", parse.GetValue(type));
                writer.WriteString("stream", parse.GetValue(upstream) ? "upstream" : "downstream");
                writer.WriteNumber("toxicity", parse.GetValue(toxicity) ?? 1);
                WriteAttributes(writer, parse.GetValue(attributes));
            });
            var reply = await SendAsync(parse.GetValue(host)!, "POST", $"{ProxyPath(name)}/toxics", body, $"adding a toxic to proxy {name}", cancellationToken);
            using var toxic = JsonDocument.Parse(reply.Body);
            var root = toxic.RootElement;
            Console.Out.WriteLine($"Added {Text(root, "stream")} {Text(root, "type")} toxic '{Text(root, "name")}' on proxy '{name}'");
            return CliRunner.Ok;
        });
        return command;
    }

    private static Command UpdateToxic()
    {
        var (host, proxy, toxicName, attributes, toxicity) = (Host(), ProxyName(), ToxicName(required: true), Attributes(), Toxicity());
        var command = new Command("update", "Change a toxic's attributes or toxicity: sockit proxy toxic update db -n latency_downstream -a latency=500")
        {
            proxy, host, toxicName, attributes, toxicity,
        };
        command.Aliases.Add("u");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (name, toxic) = (parse.GetValue(proxy)!, parse.GetValue(toxicName)!);
            var body = Json(writer =>
            {
                // Only what was given changes (toxiproxy-cli would also reset the toxicity to 1).
                if (parse.GetValue(toxicity) is { } given) writer.WriteNumber("toxicity", given);
                WriteAttributes(writer, parse.GetValue(attributes));
            });
            await SendAsync(parse.GetValue(host)!, "PATCH", ToxicPath(name, toxic), body, $"updating toxic {toxic} of proxy {name}", cancellationToken);
            Console.Out.WriteLine($"Updated toxic '{toxic}' on proxy '{name}'");
            return CliRunner.Ok;
        });
        return command;
    }

    private static Command RemoveToxic()
    {
        var (host, proxy, toxicName) = (Host(), ProxyName(), ToxicName(required: true));
        var command = new Command("remove", "Remove a toxic: sockit proxy toxic remove db -n latency_downstream") { proxy, host, toxicName };
        foreach (var alias in (string[])["r", "delete", "d"]) command.Aliases.Add(alias);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (name, toxic) = (parse.GetValue(proxy)!, parse.GetValue(toxicName)!);
            await SendAsync(parse.GetValue(host)!, "DELETE", ToxicPath(name, toxic), null, $"removing toxic {toxic} of proxy {name}", cancellationToken);
            Console.Out.WriteLine($"Removed toxic '{toxic}' on proxy '{name}'");
            return CliRunner.Ok;
        });
        return command;
    }

    /// <summary>Where the API is: toxiproxy-cli's --host (http://... is taken too), else $TOXIPROXY_URL, else 127.0.0.1:8474.</summary>
    private static Option<Endpoint> Host() => new("--host", "--api")
    {
        Description = $"The control API to talk to: sockit proxy --api's or toxiproxy-server's (default $TOXIPROXY_URL, else {DefaultApi})",
        HelpName = "endpoint",
        DefaultValueFactory = _ => ParseHost(Environment.GetEnvironmentVariable("TOXIPROXY_URL") is { Length: > 0 } url ? url : DefaultApi, null)!,
        CustomParser = result => ParseHost(result.Tokens.Count > 0 ? result.Tokens[0].Value : "", result),
    };

    private static Endpoint? ParseHost(string text, ArgumentResult? result)
    {
        var address = text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? text[7..].TrimEnd('/') : text;
        if (Endpoint.TryParse(address, out var endpoint, out var error) && endpoint.IsStream) return endpoint;
        var message = $"invalid control API address '{text}': {(endpoint is null ? error : "it speaks HTTP over TCP or unix://")}; give host:port, such as {DefaultApi}";
        if (result is null) throw new UsageException($"$TOXIPROXY_URL: {message}");
        result.AddError(message);
        return null;
    }

    private static Argument<string> ProxyName() => new("proxy") { Description = "The proxy's name" };

    private static Option<string> ToxicName(bool required) => new("--toxicName", "-n")
    {
        Description = required ? "The toxic's name" : "The toxic's name (default TYPE_STREAM, such as latency_downstream)",
        Required = required,
    };

    private static Option<string[]> Attributes() => new("--attribute", "-a")
    {
        Description = "A toxic attribute, key=value (repeatable): -a latency=100 -a jitter=10",
        HelpName = "key=value",
        CustomParser = result =>
        {
            foreach (var token in result.Tokens)
                if (token.Value.IndexOf('=') <= 0) result.AddError($"invalid attribute '{token.Value}': write key=value, such as latency=100");
            return [.. result.Tokens.Select(t => t.Value)];
        },
    };

    private static Option<double?> Toxicity() => new("--toxicity", "--tox")
    {
        Description = "The share of connections the toxic acts on, 0 to 1 (default 1)",
        HelpName = "0..1",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 1) return value;
            result.AddError($"invalid toxicity '{text}': give a number between 0 and 1, such as 0.5");
            return null;
        },
    };

    /// <summary>key=value pairs as toxiproxy-cli sends them: numbers as numbers, anything else as text (for the API to judge).</summary>
    private static void WriteAttributes(Utf8JsonWriter writer, string[]? pairs)
    {
        writer.WriteStartObject("attributes");
        foreach (var pair in pairs ?? [])
        {
            var (key, value) = (pair[..pair.IndexOf('=')], pair[(pair.IndexOf('=') + 1)..]);
            if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole)) writer.WriteNumber(key, whole);
            else if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) writer.WriteNumber(key, number);
            else writer.WriteString(key, value);
        }
        writer.WriteEndObject();
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>One exchange; an answer that is not 2xx is one line naming what failed and the API's reason, exit 1.</summary>
    private static async Task<ControlReply> SendAsync(Endpoint api, string method, string path, byte[]? body, string doing, CancellationToken cancellationToken)
    {
        ControlReply reply;
        try
        {
            reply = await ControlClient.SendAsync(api, method, path, body, cancellationToken: cancellationToken);
        }
        catch (SockitException ex) when (ex.Error == SockitError.ConnectionRefused)
        {
            throw new SockitException(ex.Error, $"no control API at {api} (connection refused); start one with 'sockit proxy --api {api}' or toxiproxy-server, or name another with --host", ex);
        }
        if (!reply.IsSuccess) throw new SockitException(SockitError.Other, $"{doing} failed: HTTP {reply.Status}: {reply.Error}");
        return reply;
    }

    private static string ProxyPath(string proxy) => $"/proxies/{Uri.EscapeDataString(proxy)}";

    private static string ToxicPath(string proxy, string toxic) => $"{ProxyPath(proxy)}/toxics/{Uri.EscapeDataString(toxic)}";

    private static string Text(JsonElement json, string field) =>
        json.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    private static string Toxics(JsonElement proxy)
    {
        if (!proxy.TryGetProperty("toxics", out var toxics) || toxics.ValueKind != JsonValueKind.Array || toxics.GetArrayLength() == 0) return "none";
        return string.Join(", ", toxics.EnumerateArray().Select(t => $"{Text(t, "name")} ({Text(t, "type")} {Text(t, "stream")})"));
    }
}
