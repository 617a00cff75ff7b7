using Spectre.Console;

namespace Sockit.Cli.Rendering;

/// <summary>
/// Rows of cells shown as a table: a drawn Spectre.Console table on a terminal, plain space-aligned columns when stdout
/// is piped or redirected (nothing decorative for grep, awk and cut).
/// </summary>
internal static class TextTable
{
    /// <summary>
    /// Stdout for bulk output: buffered, so thousands of rows cost a handful of write() calls rather than one each
    /// (Console.Out flushes every line). Flush or dispose it when done.
    /// </summary>
    public static StreamWriter OpenStdout() => new(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false };

    /// <summary>True when stdout is a terminal a person reads (so tables may be drawn).</summary>
    public static bool IsTerminal => !Console.IsOutputRedirected;

    public static void Write(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, TextWriter output, bool rightAlignNumbers = true)
    {
        var all = rows.ToList();
        if (IsTerminal)
        {
            var table = new Table().Border(TableBorder.Simple);
            foreach (var header in headers) table.AddColumn(new TableColumn(header) { NoWrap = true });
            foreach (var row in all) table.AddRow(row.Select(cell => (Spectre.Console.Rendering.IRenderable)new Text(cell)).ToArray());
            output.Flush();
            AnsiConsole.Write(table);
            return;
        }
        var widths = new int[headers.Count];
        for (var i = 0; i < widths.Length; i++) widths[i] = headers[i].Length;
        foreach (var row in all)
            for (var i = 0; i < widths.Length; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        WriteRow(output, headers, widths, rightAlignNumbers: false);
        foreach (var row in all) WriteRow(output, row, widths, rightAlignNumbers);
    }

    private static readonly string Spaces = new(' ', 256);

    /// <summary>Writes one row straight to the writer: no padded copies or joined strings for thousands of rows.</summary>
    private static void WriteRow(TextWriter output, IReadOnlyList<string> cells, int[] widths, bool rightAlignNumbers)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            var cell = cells[i];
            var pad = Math.Min(widths[i] - cell.Length, Spaces.Length);
            if (i > 0) output.Write("  ");
            var numeric = rightAlignNumbers && cell.Length > 0 && cell.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0;
            if (numeric) output.Write(Spaces.AsSpan(0, pad));
            output.Write(cell);
            if (!numeric && i < cells.Count - 1) output.Write(Spaces.AsSpan(0, pad));
        }
        output.WriteLine();
    }
}
