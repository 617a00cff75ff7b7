using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sockit.Cli.Rendering;
using Sockit.Inspection;

namespace Sockit.Cli.Commands;

/// <summary><c>sockit ls</c>: every socket on the machine with its state, addresses, queues and owner, like ss and netstat.</summary>
internal static class LsCommand
{
    private static readonly string[] States =
        ["established", "syn-sent", "syn-recv", "fin-wait-1", "fin-wait-2", "time-wait", "close", "close-wait", "last-ack", "listen", "closing",
         "new-syn-recv", "unconnected", "connecting", "disconnecting"];

    public static Command Create()
    {
        var filter = new Argument<string?>("port") { Description = "':PORT' or 'PORT': only sockets with this port at either end ('sockit ls :8080' — who holds 8080?)", Arity = ArgumentArity.ZeroOrOne };
        var listening = new Option<bool>("--listening", "-l") { Description = "Listening sockets only" };
        var all = new Option<bool>("--all", "-a") { Description = "Listening and non-listening sockets (default: non-listening only, as ss)" };
        var tcp = new Option<bool>("--tcp", "-t") { Description = "TCP sockets" };
        var udp = new Option<bool>("--udp", "-u") { Description = "UDP sockets" };
        var unix = new Option<bool>("--unix", "-x") { Description = "Unix-domain sockets (stream, datagram, seqpacket)" };
        var raw = new Option<bool>("--raw", "-w") { Description = "Raw sockets" };
        var v4 = new Option<bool>("--ipv4", "-4") { Description = "IPv4 only" };
        var v6 = new Option<bool>("--ipv6", "-6") { Description = "IPv6 only" };
        var port = new Option<int?>("--port") { Description = "Only sockets with this port at either end" };
        var state = new Option<string[]>("--state") { HelpName = "state", Description = "Only sockets in this state (repeatable): " + string.Join(", ", States) };
        state.AcceptOnlyFromAmong(States);
        var pid = new Option<int?>("--pid") { Description = "Only sockets held by this process" };
        var process = new Option<string?>("--process") { HelpName = "name", Description = "Only sockets held by processes of this name" };
        var processes = new Option<bool>("--processes", "-p") { Description = "Show the owning PID and process name (reads /proc/*/fd)" };
        var json = new Option<bool>("--json") { Description = "One JSON document with stable field names" };
        var summary = new Option<bool>("--summary", "-s") { Description = "Counts per kind and state" };
        var watch = new Option<TimeSpan?>("--watch") { HelpName = "interval", Description = "Refresh every interval (default 1s) and show sockets that appeared (+) or went away (-)", Arity = ArgumentArity.ZeroOrOne };
        watch.CustomParser = result =>
        {
            if (result.Tokens.Count == 0) return TimeSpan.FromSeconds(1);
            if (Durations.TryParse(result.Tokens[0].Value, out var interval) && interval >= TimeSpan.FromMilliseconds(100)) return interval;
            result.AddError($"invalid interval '{result.Tokens[0].Value}' for --watch: use 100ms or more, such as 500ms or 2s");
            return null;
        };

        var command = new Command("ls", "List every socket on this machine: kind, state, addresses, queues, owner (like ss -tuaxp)")
        {
            filter, listening, all, tcp, udp, unix, raw, v4, v6, port, state, pid, process, processes, json, summary, watch,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var kinds = new HashSet<SocketKind>();
            if (parse.GetValue(tcp)) kinds.Add(SocketKind.Tcp);
            if (parse.GetValue(udp)) kinds.Add(SocketKind.Udp);
            if (parse.GetValue(raw)) kinds.Add(SocketKind.Raw);
            if (parse.GetValue(unix)) kinds.UnionWith([SocketKind.UnixStream, SocketKind.UnixDatagram, SocketKind.UnixSeqpacket]);
            var families = new HashSet<string>();
            if (parse.GetValue(v4)) families.Add("ipv4");
            if (parse.GetValue(v6)) families.Add("ipv6");
            if (families.Count > 0 && kinds.Count == 0) kinds.UnionWith([SocketKind.Tcp, SocketKind.Udp, SocketKind.Raw]); // -4/-6 mean IP sockets
            var wantedPort = parse.GetValue(port) ?? ParsePortFilter(parse.GetValue(filter));
            var states = (parse.GetValue(state) ?? []).ToHashSet();
            var query = new SocketQuery
            {
                Kinds = kinds,
                Families = families,
                // A port or state filter looks at every socket, listening or not; so does -a.
                Listening = parse.GetValue(listening) ? true : parse.GetValue(all) || wantedPort is not null || states.Count > 0 ? null : false,
                Port = wantedPort,
                States = states,
                Pid = parse.GetValue(pid),
                Process = parse.GetValue(process),
                Processes = parse.GetValue(processes) || wantedPort is not null,
            };
            var showOwner = query.Processes || query.Pid is not null || query.Process is not null;

            if (parse.GetResult(watch) is not null)
            {
                await WatchAsync(query, showOwner, parse.GetValue(watch) ?? TimeSpan.FromSeconds(1), cancellationToken);
                return CliRunner.Ok;
            }

            var snapshot = WithoutOwnDiagnostics(SocketTable.Read(query));
            using var output = TextTable.OpenStdout();
            if (parse.GetValue(json))
            {
                var sockets = snapshot.Sockets.Select(s => new SocketJson(KindName(s), s.Family, s.State, s.Local, s.Remote, s.LocalAddress, s.LocalPort,
                    s.RemoteAddress, s.RemotePort, s.ReceiveQueue, s.SendQueue, s.Pid, s.Process, s.Uid, s.Inode)).ToList();
                output.WriteLine(JsonSerializer.Serialize(new LsOutput(sockets, snapshot.OwnersIncomplete, Summarize(snapshot.Sockets)), CliJsonContext.Output.LsOutput));
                return CliRunner.Ok;
            }
            if (parse.GetValue(summary)) WriteSummary(snapshot.Sockets, output);
            else if (!TextTable.IsTerminal) PlainSocketTable.Write(snapshot.Sockets, showOwner, output.BaseStream);
            else Render(snapshot.Sockets, showOwner, output);
            output.Flush();
            if (showOwner && snapshot.OwnersIncomplete && snapshot.Sockets.Any(s => s.Pid is null))
                Reporter.Info("some owners are hidden: processes of other users can be seen only as root");
            return CliRunner.Ok;
        });
        return command;
    }

    /// <summary>
    /// The table without the socket the .NET runtime opens in this very process for its diagnostics tools
    /// (/tmp/dotnet-diagnostic-PID-…): it is ours, not the user's, and would be listed by every ls -x.
    /// </summary>
    private static SocketSnapshot WithoutOwnDiagnostics(SocketSnapshot snapshot)
    {
        var own = $"dotnet-diagnostic-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-";
        return snapshot.Sockets.Any(s => s.IsUnix && s.LocalAddress.Contains(own, StringComparison.Ordinal))
            ? snapshot with { Sockets = [.. snapshot.Sockets.Where(s => !(s.IsUnix && s.LocalAddress.Contains(own, StringComparison.Ordinal)))] }
            : snapshot;
    }

    private static int? ParsePortFilter(string? text)
    {
        if (text is null) return null;
        var digits = text.StartsWith(':') ? text[1..] : text;
        if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value <= 65535) return value;
        throw new UsageException($"invalid port filter '{text}': write :PORT or PORT, such as :8080");
    }

    internal static void Render(IReadOnlyList<SocketEntry> sockets, bool showOwner, TextWriter output, Func<SocketEntry, string>? mark = null)
    {
        var headers = new List<string> { "Kind", "State", "Local", "Remote", "Recv-Q", "Send-Q" };
        if (showOwner) headers.AddRange(["PID", "Process"]);
        headers.AddRange(["UID", "Inode"]);
        if (mark is not null) headers.Insert(0, "");
        var rows = sockets.Select(IReadOnlyList<string> (s) =>
        {
            var row = new List<string> { KindName(s), s.State, s.Local, s.Remote, Number(s.ReceiveQueue), Number(s.SendQueue) };
            if (showOwner) row.AddRange([Number(s.Pid), s.Process ?? "-"]);
            row.AddRange([Number(s.Uid), s.Inode.ToString(CultureInfo.InvariantCulture)]);
            if (mark is not null) row.Insert(0, mark(s));
            return row;
        }).ToList();
        // On a terminal narrower than the table (ss's columns need ~112), the least useful columns go first, then long
        // addresses and names are cut in the middle: one line per socket, as ss keeps. Piped output is never cut.
        if (TextTable.TerminalWidth() is { } width) TextTable.WriteFitted(headers, rows, output, width, DropFirst, ["Local", "Remote", "Process"]);
        else TextTable.Write(headers, rows, output);
    }

    /// <summary>The columns a narrow terminal loses, least useful first.</summary>
    private static readonly string[] DropFirst = ["Inode", "UID", "Send-Q", "Recv-Q", "PID"];

    private static void WriteSummary(IReadOnlyList<SocketEntry> sockets, TextWriter output)
    {
        var summary = Summarize(sockets);
        TextTable.Write(["Kind", "Total", "By state"], summary.Select(k => (IReadOnlyList<string>)
            [k.Key, k.Value.Values.Sum().ToString(CultureInfo.InvariantCulture), string.Join(", ", k.Value.Select(s => $"{s.Key} {s.Value}"))]), output);
    }

    private static Dictionary<string, Dictionary<string, int>> Summarize(IReadOnlyList<SocketEntry> sockets) =>
        sockets.GroupBy(KindName).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.GroupBy(s => s.State).OrderByDescending(s => s.Count()).ToDictionary(s => s.Key, s => s.Count()));

    private static async Task WatchAsync(SocketQuery query, bool showOwner, TimeSpan interval, CancellationToken cancellationToken)
    {
        var terminal = !Console.IsOutputRedirected;
        Dictionary<string, SocketEntry>? previous = null;
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                var current = WithoutOwnDiagnostics(SocketTable.Read(query)).Sockets.ToDictionary(Key, s => s);
                var appeared = previous is null ? [] : current.Keys.Where(k => !previous.ContainsKey(k)).ToHashSet();
                var gone = previous is null ? [] : previous.Where(p => !current.ContainsKey(p.Key)).Select(p => p.Value).ToList();
                if (terminal)
                {
                    Console.Out.Write("\u001b[H\u001b[2J"); // redraw in place
                    var title = $"sockit ls --watch: {Words.Plural(current.Count, "socket")} at {DateTime.Now:HH:mm:ss}; + appeared, - went away (Ctrl-C to stop)";
                    Console.Out.WriteLine(TextTable.TerminalWidth() is { } width && title.Length > width ? title[..(width - 1)] + "…" : title);
                    Render([.. current.Values, .. gone], showOwner, Console.Out, s => gone.Contains(s) ? "-" : appeared.Contains(Key(s)) ? "+" : "");
                }
                else if (previous is null)
                {
                    Render([.. current.Values], showOwner, Console.Out);
                }
                else
                {
                    // Piped: only the changes, one line each, for logs and scripts.
                    var time = DateTime.Now.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
                    foreach (var key in appeared) Console.Out.WriteLine($"{time} + {Describe(current[key])}");
                    foreach (var entry in gone) Console.Out.WriteLine($"{time} - {Describe(entry)}");
                }
                Console.Out.Flush();
                previous = current;
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C: the way a watch ends.
        }
    }

    private static string Key(SocketEntry s) => $"{s.Kind}|{s.Local}|{s.Remote}|{s.Inode}";

    private static string Describe(SocketEntry s) => $"{KindName(s)} {s.State} {s.Local} {s.Remote}{(s.Pid is null ? "" : $" {s.Process}({s.Pid})")}";

    private static string KindName(SocketEntry s) => PlainSocketTable.KindName(s);

    private static string Number(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Number(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";
}
