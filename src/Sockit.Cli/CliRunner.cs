using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.InteropServices;
using Sockit.Cli.Commands;
using Sockit.Cli.Rendering;

namespace Sockit.Cli;

/// <summary>Builds the command tree, runs it, and maps every outcome to one stderr line and an exit code.</summary>
internal static class CliRunner
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;

    /// <summary>Every command, by name. Only the one being run is built: the others would cost start-up time for nothing.</summary>
    private static readonly (string Name, Func<Command> Create)[] Commands =
    [
        ("connect", ConnectCommand.Create),
        ("listen", ListenCommand.Create),
        ("serve", ServeCommand.Create),
        ("ls", LsCommand.Create),
        ("wait", WaitCommand.Create),
        ("scan", ScanCommand.Create),
        ("proxy", ProxyCommand.Create),
        ("mock", MockCommand.Create),
        ("bench", BenchCommand.Create),
        ("cert", CertCommand.Create),
        ("tls", TlsCommand.Create),
        ("demo", DemoCommand.Create),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0)
        {
            Reporter.Error("no command given; try 'sockit demo' to see sockets at work, or 'sockit --help' for every command");
            return Usage;
        }
        if (args is ["--version"])
        {
            Stdio.WriteStdout(System.Text.Encoding.UTF8.GetBytes(BuildInfo.Version + "\n"));
            return Ok;
        }
        // Run the continuations of socket calls on the I/O loop that completed them instead of hopping to the thread
        // pool for each one: on a small machine that hop is most of the cost of a small echo or HTTP exchange. Safe here
        // because the command never blocks in a socket continuation (stdin and stdout go through the thread pool).
        // Read once, when the engine starts; a user's own setting wins. UDP still uses .NET's engine: the same for it.
        foreach (var inline in (string[])["SOCKIT_INLINE_COMPLETIONS", "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"])
            if (Environment.GetEnvironmentVariable(inline) is null) Environment.SetEnvironmentVariable(inline, "1");
        var logFormat = Array.IndexOf(args, "--log-format");
        Reporter.JsonLines = (logFormat >= 0 && logFormat + 1 < args.Length && args[logFormat + 1] == "json") || args.Contains("--log-format=json");
        var root = BuildRoot(args);
        try
        {
            var rewritten = Habits.Rewrite(args, Named(root, args));
            if (Named(root, rewritten) is null) root = BuildRoot(rewritten); // nc's -z made connect a scan
            args = rewritten;
        }
        catch (UsageException ex)
        {
            Reporter.Error(ex.Message);
            return Usage;
        }
        var parsed = root.Parse(args);
        var isHelp = parsed.Action is HelpAction;
        // An unknown word explains itself better than the "required command" or bad-argument error it causes; and an
        // unknown option is an error even where the parser would take it as an argument ('bench merge --jsn FILE').
        var unknown = isHelp ? null : UnknownWord(root, parsed.CommandResult.Command, args);
        if (unknown is not null || (parsed.Errors.Count > 0 && parsed.Action is ParseErrorAction))
        {
            var command = parsed.CommandResult.Command;
            var see = command == root ? "" : string.Join(' ', Chain(command).Skip(1).Select(c => c.Name)) + " ";
            var error = unknown ?? (parsed.UnmatchedTokens.Count > 0 ? $"unknown command or option '{parsed.UnmatchedTokens[0]}'" : parsed.Errors[0].Message);
            // A line that shows the right form already needs no pointer to the help.
            var pointer = error.Contains("did you mean", StringComparison.Ordinal) || error.StartsWith("invalid endpoint", StringComparison.Ordinal)
                ? "" : $" (see 'sockit {see}--help')";
            Reporter.Error($"{OneLine(error).TrimEnd('.')}{pointer}");
            return Usage;
        }

        using var termination = new Termination(TerminationGrace(parsed));
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null, // Termination's, below
            }, termination.Token).ConfigureAwait(false);
        }
        catch (SockitException ex)
        {
            Reporter.Error(Rendering.ErrorHints.Explain(ex));
            return ex.IsUsageError ? Usage : Failure;
        }
        catch (UsageException ex)
        {
            Reporter.Error(ex.Message);
            return Usage;
        }
        catch (OperationCanceledException)
        {
            return termination.ExitCode ?? 130; // interrupted: 128 + the signal's number, as shells report it
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

    /// <summary>
    /// How long after Ctrl-C or SIGTERM the command may take to return before the process is ended (exit 143 or 130, no
    /// summary): a server's whole --drain and a margin to close and report, so the drain decides when to stop (at a fixed
    /// 5 s, the default drain of 5 s was a race and a longer one was cut short); 5 s for other commands, and for help
    /// shown despite errors (a bad --drain value would throw here).
    /// </summary>
    private static TimeSpan TerminationGrace(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        if (parsed.Errors.Count > 0 || !command.Options.Any(o => o.Name == HostOptions.DrainOption)) return TimeSpan.FromSeconds(5);
        return (parsed.GetValue<TimeSpan?>(HostOptions.DrainOption) ?? HostOptions.DefaultDrain) + TimeSpan.FromSeconds(5);
    }

    /// <summary>
    /// The root command with the command named in <paramref name="args"/> (the first word that is not an option), or
    /// with every command when none is named (help, a typo).
    /// </summary>
    private static Command BuildRoot(string[] args)
    {
        // Not RootCommand: it finds its name and version through reflection, which Native AOT pays for at every start.
        var root = new Command("sockit", "sockit — connect, listen, serve, inspect, proxy and load sockets; --trace shows every socket call.")
        {
            CommonOptions.Trace,
            VersionOption(),
        };
        // The help option reads its text through a ResourceManager, which costs more at start-up than the whole
        // command tree: it is added only when help is asked for.
        var named = args.FirstOrDefault(a => !a.StartsWith('-'));
        var known = Array.Exists(Commands, c => c.Name == named);
        foreach (var (name, create) in Commands)
            if (!known || name == named) root.Add(create());
        if (args.Any(a => a is "--help" or "-h" or "-?" or "/h" or "/?")) root.Add(HelpText.Create());
        return root;
    }

    private static Command? Named(Command root, string[] args)
    {
        var named = args.FirstOrDefault(a => !a.StartsWith('-'));
        return root.Subcommands.FirstOrDefault(c => c.Name == named);
    }

    private static IEnumerable<Command> Chain(Command command)
    {
        var chain = new List<Command>();
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault()) chain.Insert(0, c);
        return chain;
    }

    /// <summary>The first command or option the command does not know, with the nearest one it does ("did you mean connect?").</summary>
    private static string? UnknownWord(Command root, Command command, string[] args)
    {
        if (command == root)
        {
            if (args.Length > 0 && args.All(a => a.StartsWith('-'))) return null;
            var named = args.FirstOrDefault(a => !a.StartsWith('-'));
            if (named is null) return null;
            var known = Commands.Select(c => c.Name);
            return Suggestions.Closest(named, known) is { } meant
                ? $"unknown command '{named}'; did you mean {meant}?"
                : $"unknown command '{named}'; the commands are {string.Join(", ", known)}";
        }
        var options = Chain(command).SelectMany(c => c == command ? c.Options : c.Options.Where(o => o.Recursive)).ToList();
        var names = options.SelectMany(o => o.Aliases.Prepend(o.Name)).Concat(["--help", "-h"]).ToList();
        var start = Array.IndexOf(args, command.Name) + 1;
        for (var i = start; i < args.Length && args[i] != "--"; i++)
        {
            var word = args[i];
            var option = options.FirstOrDefault(o => o.Name == word || o.Aliases.Contains(word));
            if (option is not null)
            {
                if (option.ValueType != typeof(bool) && option.Arity.MaximumNumberOfValues > 0) i++; // its value, whatever it looks like
                continue;
            }
            if (word.Length < 2 || word[0] != '-' || char.IsAsciiDigit(word[1]) || word.Contains('=')) continue;
            var suggestion = Suggestions.Closest(word, names.Where(n => n.StartsWith("--", StringComparison.Ordinal) == word.StartsWith("--", StringComparison.Ordinal)));
            return suggestion is null ? $"unknown option '{word}'" : $"unknown option '{word}'; did you mean {suggestion}?";
        }
        return null;
    }

    private static Option<bool> VersionOption()
    {
        var option = new Option<bool>("--version") { Description = "Show the version and exit" };
        option.Action = new VersionAction();
        return option;
    }

    private sealed class VersionAction : SynchronousCommandLineAction
    {
        public override bool Terminating => true;

        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(BuildInfo.Version);
            return Ok;
        }
    }

    /// <summary>Some parser messages list choices on lines of their own; an error is one line.</summary>
    private static string OneLine(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length <= 1 ? message.Trim() : $"{lines[0]} {string.Join(", ", lines[1..])}";
    }

    /// <summary>
    /// Ctrl-C and SIGTERM. The first cancels the command, which then has its grace to return before the process ends
    /// with 130 or 143; a second ends it at once, as docker and most servers do (--drain is a grace for open exchanges,
    /// not a wait the user cannot cut short). Here rather than System.CommandLine's handler, which blocks the signal
    /// thread for the whole grace, so a second signal was never seen.
    /// </summary>
    private sealed class Termination : IDisposable
    {
        private readonly CancellationTokenSource _cancel = new();
        private readonly TimeSpan _grace;
        private readonly PosixSignalRegistration _interrupt;
        private readonly PosixSignalRegistration _terminate;
        private int _signals;

        public Termination(TimeSpan grace)
        {
            _grace = grace;
            _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => OnSignal(context, 130));
            _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => OnSignal(context, 143));
        }

        /// <summary>Cancelled by the first signal.</summary>
        public CancellationToken Token => _cancel.Token;

        /// <summary>The exit code of the first signal that came (130 for SIGINT, 143 for SIGTERM), or null.</summary>
        public int? ExitCode { get; private set; }

        private void OnSignal(PosixSignalContext context, int exitCode)
        {
            context.Cancel = true; // the process ends when the command returns, or as below
            if (Interlocked.Increment(ref _signals) > 1) Environment.Exit(exitCode);
            ExitCode = exitCode;
            _ = Task.Delay(_grace).ContinueWith(_ => Environment.Exit(exitCode), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            _cancel.Cancel();
        }

        public void Dispose()
        {
            _interrupt.Dispose();
            _terminate.Dispose();
        }
    }
}
