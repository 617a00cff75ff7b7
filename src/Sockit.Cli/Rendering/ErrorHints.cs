namespace Sockit.Cli.Rendering;

/// <summary>
/// The library names the option that would change an outcome by its property; the command says which flag that is.
/// </summary>
internal static class ErrorHints
{
    private static readonly Dictionary<string, string> Hints = new(StringComparer.Ordinal)
    {
        ["ConnectTimeout"] = "or raise --connect-timeout",
        ["Message"] = "give --msg, --msg-file or --size",
        ["Count"] = "drop --count and --rate",
    };

    /// <summary>The exception's message with the flag that fixes it, when it names one.</summary>
    public static string Explain(SockitException exception) =>
        exception.Limit is { } limit && Hints.TryGetValue(limit, out var hint) ? $"{exception.Message}{(hint.StartsWith("or ", StringComparison.Ordinal) ? ", " : "; ")}{hint}"
        : exception.Message + TlsReport.Hint(exception.Error);
}
