using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Globalization;
using System.Text;

namespace Sockit.Cli.Rendering;

/// <summary>
/// Our own <c>--help</c>: it reads the way users type (a default of <c>10s</c> or <c>1MiB</c>, not <c>00:00:10</c> or
/// <c>1048576</c>), and it fits the terminal, putting a description under a long option rather than pushing every
/// description off the screen. System.CommandLine keeps its help builder internal, so it cannot be told either.
/// </summary>
internal static class HelpText
{
    /// <summary>The help name of options that take a byte size; their defaults are shown as sizes.</summary>
    public const string SizeName = "size";

    private const int MaxFirstColumn = 34;

    /// <summary>A <c>-h/--help</c> option that prints this help for whichever command it is given to.</summary>
    public static HelpOption Create() => new() { Action = new HelpRenderer() };

    private sealed class HelpRenderer : SynchronousCommandLineAction
    {
        public override bool Terminating => true;

        public override int Invoke(ParseResult parseResult)
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.Write(Render(parseResult.CommandResult.Command, Width()));
            return 0;
        }
    }

    /// <summary>The help of <paramref name="command"/>, wrapped at <paramref name="width"/> columns.</summary>
    public static string Render(Command command, int width)
    {
        var chain = Chain(command);
        var path = string.Join(' ', chain.Select(c => c.Name));
        var text = new StringBuilder();
        var usage = new StringBuilder("Usage: ").Append(path);
        foreach (var argument in command.Arguments.Where(a => !a.Hidden)) usage.Append(' ').Append(ArgumentLabel(argument));
        if (command.Subcommands.Any(c => !c.Hidden)) usage.Append(" [command]");
        usage.Append(" [options]");
        text.Append(usage).Append('\n');
        if (!string.IsNullOrEmpty(command.Description)) Wrap(text.Append('\n'), command.Description, width, 0);

        var arguments = command.Arguments.Where(a => !a.Hidden).Select(a => (ArgumentLabel(a), a.Description ?? "")).ToList();
        Section(text, "Arguments", arguments, width);

        var options = command.Options.Where(o => !o.Hidden)
            .Concat(chain.SkipLast(1).SelectMany(c => c.Options).Where(o => o.Recursive && !o.Hidden))
            .Where(o => o is not HelpOption && (o.Name != "--version" || command.Parents.All(p => p is not Command)))
            .Select(o => (OptionLabel(o), Describe(o)))
            .Append(("-h, --help", "Show this help"))
            .ToList();
        Section(text, "Options", options, width);

        var commands = command.Subcommands.Where(c => !c.Hidden)
            .Select(c => (string.Join(' ', c.Arguments.Where(a => !a.Hidden).Select(ArgumentLabel).Prepend(c.Name)), c.Description ?? ""))
            .ToList();
        Section(text, "Commands", commands, width);
        if (commands.Count > 0) text.Append('\n').Append(CultureInfo.InvariantCulture, $"Run '{path} COMMAND --help' for a command's own options.\n");
        return text.ToString();
    }

    private static List<Command> Chain(Command command)
    {
        var chain = new List<Command> { command };
        for (var parent = command.Parents.OfType<Command>().FirstOrDefault(); parent is not null; parent = parent.Parents.OfType<Command>().FirstOrDefault())
            chain.Insert(0, parent);
        return chain;
    }

    private static void Section(StringBuilder text, string title, List<(string First, string Second)> rows, int width)
    {
        if (rows.Count == 0) return;
        text.Append('\n').Append(title).Append(":\n");
        var column = Math.Min(MaxFirstColumn, rows.Max(r => r.First.Length));
        foreach (var (first, second) in rows)
        {
            text.Append("  ").Append(first);
            if (first.Length > column)
            {
                // A long option gets its description on the lines below, so the column stays narrow for the rest.
                Wrap(text.Append('\n'), second, width, column + 4);
                continue;
            }
            text.Append(' ', column - first.Length + 2);
            Wrap(text, second, width, column + 4, firstLineStarted: true);
        }
    }

    /// <summary>Appends <paramref name="words"/> wrapped at <paramref name="width"/>, every line indented by <paramref name="indent"/>.</summary>
    private static void Wrap(StringBuilder text, string words, int width, int indent, bool firstLineStarted = false)
    {
        var room = Math.Max(20, width - indent);
        var line = 0;
        if (!firstLineStarted) text.Append(' ', indent);
        foreach (var word in words.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line > 0 && line + 1 + word.Length > room)
            {
                text.Append('\n').Append(' ', indent);
                line = 0;
            }
            if (line > 0)
            {
                text.Append(' ');
                line++;
            }
            text.Append(word);
            line += word.Length;
        }
        text.Append('\n');
    }

    private static string ArgumentLabel(Argument argument)
    {
        var name = $"<{argument.HelpName ?? argument.Name}>";
        if (argument.Arity.MaximumNumberOfValues > 1) name += "...";
        return argument.Arity.MinimumNumberOfValues == 0 ? $"[{name}]" : name;
    }

    private static string OptionLabel(Option option)
    {
        var names = option.Aliases.Where(a => a.Length == 2).Order(StringComparer.Ordinal).Append(option.Name)
            .Concat(option.Aliases.Where(a => a.Length > 2).Order(StringComparer.Ordinal));
        var label = string.Join(", ", names);
        if (option.Arity.MaximumNumberOfValues == 0 || option.ValueType == typeof(bool)) return label; // a flag
        var value = $"<{ValueName(option)}>";
        return option.Arity.MinimumNumberOfValues == 0 ? $"{label} [{value}]" : $"{label} {value}";
    }

    /// <summary>The option's help name; else its few allowed values (json|text); else its own name.</summary>
    private static string ValueName(Option option)
    {
        if (option.HelpName is { } name) return name;
        var allowed = option.GetCompletions(CompletionContext.Empty).Select(c => c.Label).ToList();
        return allowed.Count is > 0 and <= 6 ? string.Join('|', allowed) : option.Name.TrimStart('-');
    }

    private static string Describe(Option option)
    {
        var description = option.Description ?? "";
        if (!option.HasDefaultValue) return description;
        var shown = option.GetDefaultValue() switch
        {
            TimeSpan duration => Durations.Format(duration),
            long bytes when option.HelpName == SizeName => Compact(bytes),
            int bytes when option.HelpName == SizeName => Compact(bytes),
            bool or null => null,
            string { Length: 0 } => null,
            System.Collections.IEnumerable and not string => null,
            IFormattable value => value.ToString(null, CultureInfo.InvariantCulture),
            var value => value.ToString(),
        };
        return shown is null ? description : $"{description} (default {shown})";
    }

    private static string Compact(long bytes) => Sizes.Format(bytes).Replace(" ", "", StringComparison.Ordinal);

    /// <summary>The terminal's width; 100 when the help goes to a pipe or file.</summary>
    private static int Width()
    {
        if (Console.IsOutputRedirected) return 100;
        try
        {
            return Math.Max(60, Console.WindowWidth - 1);
        }
        catch (IOException)
        {
            return 100;
        }
    }
}
