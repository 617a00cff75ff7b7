using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sockit.Cli.Rendering;
using Sockit.Inspection;

namespace Sockit.Cli.Commands;

/// <summary><c>sockit scan HOST PORTS</c>: which TCP ports accept a connection, like <c>nc -z</c>.</summary>
internal static class ScanCommand
{
    public static Command Create()
    {
        var host = new Argument<string>("host") { Description = "The host to scan (a name or an address)" };
        var ports = new Argument<string>("ports") { Description = "Ports and ranges, such as 22,80,8000-8100" };
        var concurrency = CommonOptions.PositiveInt("--concurrency", "Connects in flight at once", 200);
        concurrency.Aliases.Add("-c");
        var timeout = CommonOptions.Duration("--timeout", "-w", "How long a port may take to answer before it counts as filtered", TimeSpan.FromMilliseconds(500));
        var json = new Option<bool>("--json") { Description = "One JSON document at the end instead of a line per open port" };
        var tls = new Option<bool>("--tls") { Description = "Then try a TLS handshake on each open port, and say which speak TLS (and which version)" };

        var command = new Command("scan", "Find the TCP ports of HOST that accept a connection (like nc -z HOST PORTS); exit 1 when none does")
        {
            host, ports, concurrency, timeout, json, tls,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var list = PortScanner.ParsePorts(parse.GetValue(ports)!);
            var asJson = parse.GetValue(json);
            var target = parse.GetValue(host)!;
            var outputLock = new Lock();
            var probeTls = parse.GetValue(tls);
            var wait = parse.GetValue(timeout) ?? TimeSpan.FromMilliseconds(500);
            var result = await PortScanner.ScanAsync(target, list, parse.GetValue(concurrency), wait,
                asJson || probeTls ? null : port => { lock (outputLock) Console.Out.WriteLine($"{target}:{port.ToString(CultureInfo.InvariantCulture)} open"); },
                cancellationToken);
            if (probeTls)
            {
                result = await PortScanner.ProbeTlsAsync(result, parse.GetValue(concurrency), wait, cancellationToken);
                if (!asJson)
                    foreach (var port in result.Open)
                        Console.Out.WriteLine($"{target}:{port.ToString(CultureInfo.InvariantCulture)} open{(result.Tls.TryGetValue(port, out var version) ? $" tls {version}" : "")}");
            }
            if (asJson)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new ScanOutput(result.Host, result.Open, result.Closed, result.Filtered,
                    Math.Round(result.Duration.TotalMilliseconds, 1), probeTls ? result.Tls.ToDictionary(t => t.Key.ToString(CultureInfo.InvariantCulture), t => t.Value) : null),
                    CliJsonContext.Output.ScanOutput));
            }
            else
            {
                Reporter.Info(string.Create(CultureInfo.InvariantCulture,
                    $"scanned {Words.Plural(list.Count, "port")} of {result.Host} in {Durations.Format(result.Duration)}: {result.Open.Count} open, {result.Closed} closed, {result.Filtered} filtered") +
                    (probeTls ? string.Create(CultureInfo.InvariantCulture, $"; {result.Tls.Count} speak TLS") : ""));
            }
            return result.Open.Count > 0 ? CliRunner.Ok : CliRunner.Failure; // as nc -z: a script can ask "is anything there?"
        });
        return command;
    }
}
