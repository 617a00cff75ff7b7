using System.Text.Json;

namespace Sockit.Cli.Rendering;

/// <summary>Everything meant for the person (errors, -v notes) goes to stderr, so stdout carries only data.</summary>
internal static class Reporter
{
    /// <summary>
    /// Set by <c>--log-format json</c>: every stderr line is then a JSON object of its own (<c>{"level":"info","message":…}</c>)
    /// so a log collector can parse the whole stream, not only the log lines.
    /// </summary>
    public static bool JsonLines { get; set; }

    public static void Error(string message) => Write("error", message);

    public static void Info(string message) => Write("info", message);

    /// <summary>A JSON document on stderr as it is, one line, with no prefix.</summary>
    public static void Json(string document) => Console.Error.WriteLine(document);

    private static void Write(string level, string message) => Console.Error.WriteLine(JsonLines
        ? JsonSerializer.Serialize(new ReportLine(level, message), CliJsonContext.Output.ReportLine)
        : $"sockit: {message}");
}
