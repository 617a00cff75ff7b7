using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Sockit.Endpoints;
using Sockit.Tracing;

namespace Sockit.Cli.Commands;

/// <summary>Options and arguments shared by several commands, and the parsers behind them.</summary>
internal static class CommonOptions
{
    /// <summary>--trace works on every command, before or after its name.</summary>
    public static readonly Option<bool> Trace = new("--trace")
    {
        Description = "Print every socket call (socket, bind, listen, accept, connect, send, recv, shutdown, close) on stderr as it happens",
        Recursive = true,
    };

    public static Argument<Endpoint> EndpointArgument(string description, string name = "endpoint") => new(name)
    {
        Description = description + $". Forms: {Endpoint.AcceptedForms}",
        CustomParser = ParseEndpoint,
    };

    public static Option<bool> Verbose() => new("--verbose", "-v")
    {
        Description = "Say on stderr who connected, and the bytes each way and duration at the end",
    };

    public static Option<bool> Hex() => new("--hex")
    {
        Description = "Hexdump both directions on stderr ('>' sent, '<' received, with offsets)",
    };

    public static Option<TimeSpan?> Duration(string name, string? alias, string description, TimeSpan? defaultValue = null)
    {
        var option = alias is null ? new Option<TimeSpan?>(name) : new Option<TimeSpan?>(name, alias);
        option.Description = description;
        option.HelpName = "duration";
        option.CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
            if (Durations.TryParse(text, out var value)) return value;
            result.AddError($"invalid duration '{text}' for {name}: use a number of seconds or a unit, such as 500ms, 5s or 2m");
            return null;
        };
        if (defaultValue is { } d) option.DefaultValueFactory = _ => d;
        return option;
    }

    public static Option<long> Size(string name, string description, long defaultValue) => new(name)
    {
        Description = description + "; bytes, or with a unit such as 64KiB or 1MiB",
        HelpName = Rendering.HelpText.SizeName,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Sizes.TryParse(text, out var bytes) && bytes > 0) return bytes;
            result.AddError($"invalid size '{text}' for {name}: use bytes or a unit, such as 65536, 64k or 1MiB");
            return defaultValue;
        },
    };

    public static Option<int> PositiveInt(string name, string description, int defaultValue) => new(name)
    {
        Description = description,
        HelpName = "n",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0) return value;
            result.AddError($"invalid value '{text}' for {name}: use a whole number of 1 or more");
            return defaultValue;
        },
    };

    public static TextSocketTracer? CreateTracer(ParseResult parse, TextWriter? writer = null) =>
        parse.GetValue(Trace) ? new TextSocketTracer(writer ?? Console.Error) : null;

    public static Endpoint ParseEndpoint(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (Endpoint.TryParse(text, out var endpoint, out var error)) return endpoint;
        result.AddError(Rendering.EndpointDiagnosis.Explain(text, error));
        return null!;
    }

    /// <summary>An endpoint typed as a word the parser could not type-check (wait's list); a usage error says what is wrong.</summary>
    public static Endpoint ToEndpoint(string text) =>
        Endpoint.TryParse(text, out var endpoint, out var error) ? endpoint : throw new UsageException(Rendering.EndpointDiagnosis.Explain(text, error));

    /// <summary>Octal permissions for a Unix socket file (--mode 600), checked against the endpoint.</summary>
    public static UnixFileMode? ParseMode(string? text, Endpoint endpoint)
    {
        if (text is null) return null;
        if (!endpoint.IsUnixDomain || endpoint.IsAbstract)
            throw new UsageException("--mode sets a Unix socket file's permissions; it needs a unix:///path or unixgram:///path endpoint");
        try
        {
            var bits = Convert.ToInt32(text, 8);
            if (bits is >= 0 and <= 0x1FF) return (UnixFileMode)bits;
        }
        catch (FormatException)
        {
        }
        catch (ArgumentException)
        {
        }
        throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"invalid --mode '{text}': use octal permissions such as 600 or 660"));
    }
}
