using System.Globalization;

namespace Sockit.Cli.Rendering;

/// <summary>Counts as a person writes them: "1 connection", "2 connections".</summary>
internal static class Words
{
    public static string Plural(long count, string noun, string? plural = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? noun : plural ?? noun + "s")}");
}
