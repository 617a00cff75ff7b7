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

    /// <summary>The terminal's width in columns, or null when stdout is not a terminal (or will not say).</summary>
    public static int? TerminalWidth()
    {
        if (!IsTerminal) return null;
        try
        {
            return Console.WindowWidth is > 0 and var width ? width : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Rows as space-aligned columns that fit <paramref name="width"/>: first the columns in <paramref name="dropFirst"/>
    /// go, in that order, while the table is too wide; then the cells of the <paramref name="elidable"/> columns are cut
    /// in the middle with '…' (both ends of an address say more than its middle). A cell never wraps: one line per row.
    /// </summary>
    public static void WriteFitted(IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows, TextWriter output, int width,
        IReadOnlyList<string> dropFirst, IReadOnlyList<string> elidable)
    {
        const int Narrowest = 9;
        var widths = new int[headers.Count];
        for (var i = 0; i < widths.Length; i++) widths[i] = Math.Max(headers[i].Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length));
        var shown = Enumerable.Range(0, headers.Count).ToList();
        int Total() => shown.Sum(c => widths[c]) + 2 * (shown.Count - 1);
        foreach (var name in dropFirst)
        {
            if (Total() <= width) break;
            shown.Remove(headers.ToList().IndexOf(name));
        }
        var cuttable = shown.Where(c => elidable.Contains(headers[c])).ToList();
        while (Total() > width && cuttable.Where(c => widths[c] > Narrowest).OrderByDescending(c => widths[c]).FirstOrDefault(-1) is var widest and >= 0)
            widths[widest]--;

        var shownHeaders = shown.Select(c => headers[c]).ToList();
        var shownWidths = shown.Select(c => Math.Max(widths[c], 1)).ToArray();
        var line = new StringWriter();
        WriteRow(line, shownHeaders.Select((h, i) => Elide(h, shownWidths[i])).ToList(), shownWidths, rightAlignNumbers: false);
        foreach (var row in rows) WriteRow(line, shown.Select((c, i) => Elide(row[c], shownWidths[i])).ToList(), shownWidths, rightAlignNumbers: true);
        // Still too wide (a terminal narrower than the columns that cannot be cut): cut the line, never wrap it.
        foreach (var text in line.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            output.WriteLine(text.Length > width ? text[..(width - 1)] + "…" : text);
    }

    /// <summary><paramref name="text"/> in at most <paramref name="width"/> characters, its middle replaced by '…'.</summary>
    public static string Elide(string text, int width)
    {
        if (text.Length <= width) return text;
        if (width <= 1) return "…";
        var tail = (width - 1) / 2;
        return string.Concat(text.AsSpan(0, width - 1 - tail), "…", text.AsSpan(text.Length - tail));
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
