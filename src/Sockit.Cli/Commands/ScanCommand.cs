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

        var command = new Command("scan", "Find the TCP ports of HOST that accept a connection (like nc -z HOST PORTS); exit 1 when none does")
        {
            host, ports, concurrency, timeout, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var list = PortScanner.ParsePorts(parse.GetValue(ports)!);
            var asJson = parse.GetValue(json);
            var target = parse.GetValue(host)!;
            var outputLock = new Lock();
            var result = await PortScanner.ScanAsync(target, list, parse.GetValue(concurrency), parse.GetValue(timeout) ?? TimeSpan.FromMilliseconds(500),
                asJson ? null : port => { lock (outputLock) Console.Out.WriteLine($"{target}:{port.ToString(CultureInfo.InvariantCulture)} open"); },
                cancellationToken);
            if (asJson)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new ScanOutput(result.Host, result.Open, result.Closed, result.Filtered,
                    Math.Round(result.Duration.TotalMilliseconds, 1)), CliJsonContext.Output.ScanOutput));
            }
            else
            {
                Reporter.Info(string.Create(CultureInfo.InvariantCulture,
                    $"scanned {Words.Plural(list.Count, "port")} of {result.Host} in {Durations.Format(result.Duration)}: {result.Open.Count} open, {result.Closed} closed, {result.Filtered} filtered"));
            }
            return result.Open.Count > 0 ? CliRunner.Ok : CliRunner.Failure; // as nc -z: a script can ask "is anything there?"
        });
        return command;
    }
}
