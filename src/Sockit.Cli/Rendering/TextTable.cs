using Spectre.Console;

namespace Sockit.Cli.Rendering;

/// <summary>
/// Rows of cells shown as a table: a drawn Spectre.Console table on a terminal, plain space-aligned columns when stdout
/// is piped or redirected (nothing decorative for grep, awk and cut).
/// </summary>
internal static class TextTable
{
    public static void Write(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, TextWriter output, bool rightAlignNumbers = true)
    {
        var all = rows.ToList();
        if (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected)
        {
            var table = new Table().Border(TableBorder.Simple);
            foreach (var header in headers) table.AddColumn(new TableColumn(header) { NoWrap = true });
            foreach (var row in all) table.AddRow(row.Select(cell => (Spectre.Console.Rendering.IRenderable)new Text(cell)).ToArray());
            AnsiConsole.Write(table);
            return;
        }
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        output.WriteLine(Format(headers, widths, rightAlignNumbers: false));
        foreach (var row in all) output.WriteLine(Format(row, widths, rightAlignNumbers));
    }

    private static string Format(IReadOnlyList<string> cells, int[] widths, bool rightAlignNumbers)
    {
        var parts = new string[cells.Count];
        for (var i = 0; i < cells.Count; i++)
        {
            var last = i == cells.Count - 1;
            var numeric = rightAlignNumbers && cells[i].Length > 0 && cells[i].All(char.IsAsciiDigit);
            parts[i] = numeric ? cells[i].PadLeft(widths[i]) : last ? cells[i] : cells[i].PadRight(widths[i]);
        }
        return string.Join("  ", parts);
    }
}
