using System.CommandLine;
using System.CommandLine.Invocation;
using Sockit.Cli.Commands;
using Sockit.Cli.Rendering;

namespace Sockit.Cli;

/// <summary>Builds the command tree, runs it, and maps every outcome to one stderr line and an exit code.</summary>
internal static class CliRunner
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("sockit — connect, listen, serve, inspect, proxy and load sockets; --trace shows every socket call.")
        {
            CommonOptions.Trace,
            ConnectCommand.Create(),
            ListenCommand.Create(),
            ServeCommand.Create(),
            LsCommand.Create(),
            WaitCommand.Create(),
            ScanCommand.Create(),
            ProxyCommand.Create(),
            BenchCommand.Create(),
            DemoCommand.Create(),
        };

        if (args.Length == 0)
        {
            Reporter.Error("no command given; try 'sockit demo' to see sockets at work, or 'sockit --help' for every command");
            return Usage;
        }
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is ParseErrorAction)
        {
            var command = parsed.CommandResult.Command == root ? "" : parsed.CommandResult.Command.Name + " ";
            // An unknown word explains itself better than the "required command" error it causes.
            var error = parsed.UnmatchedTokens.Count > 0 ? $"unknown command or option '{parsed.UnmatchedTokens[0]}'" : parsed.Errors[0].Message;
            Reporter.Error($"{OneLine(error).TrimEnd('.')} (see 'sockit {command}--help')");
            return Usage;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = TimeSpan.FromSeconds(5),
            }).ConfigureAwait(false);
        }
        catch (SockitException ex)
        {
            Reporter.Error(ex.Message);
            return ex.IsUsageError ? Usage : Failure;
        }
        catch (UsageException ex)
        {
            Reporter.Error(ex.Message);
            return Usage;
        }
        catch (OperationCanceledException)
        {
            return 130; // interrupted (128 + SIGINT), as shells report it
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            Reporter.Error($"socket error: {ex.Message} ({Sockit.Tracing.ErrnoNames.Of(ex.SocketErrorCode)})");
            return Failure;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Reporter.Error(ex.Message);
            return Failure;
        }
        catch (Exception ex)
        {
            // A bug of ours: still one line, with the stack only on request.
            Reporter.Error($"internal error: {ex.GetType().Name}: {ex.Message} (set SOCKIT_DEBUG=1 for details, and please report it)");
            if (Environment.GetEnvironmentVariable("SOCKIT_DEBUG") == "1") Console.Error.WriteLine(ex);
            return Failure;
        }
    }

    /// <summary>Some parser messages list choices on lines of their own; an error is one line.</summary>
    private static string OneLine(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length <= 1 ? message.Trim() : $"{lines[0]} {string.Join(", ", lines[1..])}";
    }
}
