using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using Sockit.Cli.Rendering;
using Sockit.Endpoints;
using Sockit.Inspection;

namespace Sockit.Cli.Commands;

/// <summary><c>sockit wait ENDPOINT… [-- COMMAND]</c>: wait until services accept connections (like wait-for-it), then run a command.</summary>
internal static class WaitCommand
{
    public static Command Create()
    {
        var targets = new Argument<string[]>("endpoints")
        {
            Description = "Endpoints to wait for (TCP or unix://), then optionally '--' and a command to run once all are up",
            Arity = ArgumentArity.OneOrMore,
        };
        var timeout = CommonOptions.Duration("--timeout", "-t", "Give up after this long", TimeSpan.FromSeconds(30));
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Say nothing unless something fails" };

        var command = new Command("wait", "Wait until every ENDPOINT accepts a connection, then exit 0 or run '-- COMMAND'")
        {
            targets, timeout, quiet,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Words after "--" are the command to run, not endpoints.
            var doubleDash = parse.Tokens.ToList().FindIndex(t => t.Type == TokenType.DoubleDash);
            var trailing = doubleDash < 0 ? [] : parse.Tokens.Skip(doubleDash + 1).Select(t => t.Value).ToArray();
            var words = (parse.GetValue(targets) ?? []).SkipLast(trailing.Length).ToList();
            if (words.Count == 0) throw new UsageException("no endpoint to wait for; write sockit wait HOST:PORT [-- COMMAND]");
            var endpoints = words.Select(CommonOptions.ToEndpoint).ToList();
            var limit = parse.GetValue(timeout) ?? TimeSpan.FromSeconds(30);
            var silent = parse.GetValue(quiet);

            if (!silent) Reporter.Info($"waiting for {string.Join(", ", endpoints)} (up to {Durations.Format(limit)})");
            var missing = await ServiceWaiter.WaitAsync(endpoints, limit,
                (endpoint, after) => { if (!silent) Reporter.Info($"{endpoint} is up after {Durations.Format(after)}"); }, cancellationToken);
            if (missing.Count > 0)
            {
                Reporter.Error($"{string.Join(", ", missing)} did not accept a connection within {Durations.Format(limit)}; check that the service started, or raise --timeout");
                return CliRunner.Failure;
            }
            return trailing.Length == 0 ? CliRunner.Ok : await RunAsync(trailing, cancellationToken);
        });
        return command;
    }

    /// <summary>Runs the command with this process's stdin, stdout and stderr, and passes on its exit code.</summary>
    private static async Task<int> RunAsync(string[] command, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(command[0]) { UseShellExecute = false };
        foreach (var argument in command[1..]) info.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Reporter.Error($"cannot run '{command[0]}': {ex.Message}; check the command name and PATH");
            return 127; // as a shell says "command not found"
        }
        using (process)
        {
            await process.WaitForExitAsync(cancellationToken);
            return process.ExitCode;
        }
    }
}
