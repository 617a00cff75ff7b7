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
            DemoCommand.Create(),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is ParseErrorAction)
        {
            var command = string.Join(' ', parsed.CommandResult.Command.Name == root.Name ? [] : new[] { parsed.CommandResult.Command.Name });
            Reporter.Error($"{parsed.Errors[0].Message} (see 'sockit {command}{(command.Length > 0 ? " " : "")}--help')");
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
}
