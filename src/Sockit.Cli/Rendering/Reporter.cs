namespace Sockit.Cli.Rendering;

/// <summary>Everything meant for the person (errors, -v notes) goes to stderr, so stdout carries only data.</summary>
internal static class Reporter
{
    public static void Error(string message) => Console.Error.WriteLine($"sockit: {message}");

    public static void Info(string message) => Console.Error.WriteLine($"sockit: {message}");
}
