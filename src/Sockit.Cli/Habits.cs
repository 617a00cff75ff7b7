using System.CommandLine;
using System.Globalization;

namespace Sockit.Cli;

/// <summary>
/// What nc and ss users type, turned into our spelling before the parser sees it: <c>connect HOST PORT</c>,
/// <c>connect -u</c>, <c>listen -l -p 9000</c>, <c>connect -z</c>, <c>ls -tulpn</c>. A habit we cannot honour is refused
/// with a line that names it and shows our spelling. Our own options keep their meaning where the letters clash.
/// </summary>
internal static class Habits
{
    /// <summary>What an nc or ss flag does for one command: nothing (we already behave so), or a rewrite of the words.</summary>
    private enum Effect { Ignore, Udp, Unix, ListenPort, Scan, Refuse }

    private sealed record Habit(string Flag, Effect Effect, string? Refusal = null);

    private static readonly Dictionary<string, Habit[]> ByCommand = new()
    {
        ["connect"] =
        [
            new("-u", Effect.Udp), new("-U", Effect.Unix), new("-N", Effect.Ignore), new("-n", Effect.Ignore), new("-z", Effect.Scan),
            new("-l", Effect.Refuse, "nc's -l is 'sockit listen' here: sockit listen :PORT"),
            new("-k", Effect.Refuse, "nc's -k is 'sockit listen -k :PORT' here"),
            new("-p", Effect.Refuse, "nc's -p (the source port) has no counterpart in sockit connect: the OS picks the source port"),
        ],
        ["listen"] =
        [
            new("-l", Effect.Ignore), new("-u", Effect.Udp), new("-U", Effect.Unix), new("-N", Effect.Ignore), new("-n", Effect.Ignore),
            new("-p", Effect.ListenPort),
            new("-z", Effect.Refuse, "nc's -z is 'sockit scan HOST PORTS' here"),
        ],
        ["scan"] =
        [
            new("-z", Effect.Ignore), new("-v", Effect.Ignore), new("-n", Effect.Ignore),
            new("-u", Effect.Refuse, "sockit scan checks TCP ports only; for one UDP port, sockit connect udp://HOST:PORT -v"),
        ],
        ["ls"] =
        [
            new("-n", Effect.Ignore), // ss -n: we never resolve names or services
            new("-r", Effect.Refuse, "ss's -r (resolve names) is not offered: sockit ls shows addresses and port numbers, as ss -n does"),
            new("-e", Effect.Refuse, "ss's -e is not offered: sockit ls always shows the UID and inode"),
            new("-o", Effect.Refuse, "ss's -o (timers) is not offered by sockit ls"),
            new("-m", Effect.Refuse, "ss's -m (memory) is not offered by sockit ls; Recv-Q and Send-Q show the queues"),
            new("-i", Effect.Refuse, "ss's -i (TCP internals) is not offered by sockit ls"),
        ],
    };

    /// <summary>Commands that take one endpoint as their first word (serve: the second), so HOST PORT can stand for it.</summary>
    private static readonly Dictionary<string, int> EndpointPosition = new()
    {
        ["connect"] = 0, ["listen"] = 0, ["serve"] = 1, ["bench"] = 0, ["wait"] = 0,
    };

    /// <summary>
    /// <paramref name="args"/> in our spelling. <paramref name="command"/> is the named command, built, so its own short
    /// options are known (they win over a habit of the same letter) and so are the options that take a value.
    /// </summary>
    public static string[] Rewrite(string[] args, Command? command)
    {
        var at = Array.FindIndex(args, a => !a.StartsWith('-'));
        if (command is null || at < 0) return args;
        var name = command.Name;
        var habits = ByCommand.GetValueOrDefault(name, []);
        var end = Array.IndexOf(args, "--", at);
        if (end < 0) end = args.Length;

        var words = new List<string>();
        foreach (var word in args[(at + 1)..end]) words.AddRange(Unbundle(word, command, habits));
        var kept = new List<string>();
        var positions = new List<int>(); // indexes in kept of the positional words
        var flags = new HashSet<Effect>();
        string? listenPort = null;
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            var own = Find(command, word);
            if (own is not null)
            {
                kept.Add(word);
                if (TakesValue(own) && i + 1 < words.Count) kept.Add(words[++i]);
                // nc's -q SECONDS closes some time after stdin ends; ours is the flag -q (close at once), the nearest thing.
                // The number goes unless it may still be the port: the endpoint is not whole yet and no positional word
                // follows ('connect HOST -q 80', 'connect HOST -q 80 -v').
                else if (word == "-q" && i + 1 < words.Count && words[i + 1].All(char.IsAsciiDigit)
                    && (HasEndpoint(name, kept, positions) || PositionalFollows(command, words, i + 2))) i++;
                continue;
            }
            var habit = Array.Find(habits, h => h.Flag == word);
            if (habit is null)
            {
                if (!word.StartsWith('-') || word == "-") positions.Add(kept.Count);
                kept.Add(word);
                continue;
            }
            switch (habit.Effect)
            {
                case Effect.Refuse:
                    throw new UsageException(habit.Refusal!);
                case Effect.ListenPort:
                    if (i + 1 >= words.Count || !IsPort(words[i + 1])) throw new UsageException($"nc's -p takes a port: sockit {name} :PORT");
                    listenPort = words[++i];
                    break;
                default:
                    flags.Add(habit.Effect);
                    break;
            }
        }

        if (flags.Contains(Effect.Scan)) return ToScan(args[..at], kept, positions);
        JoinEndpoint(name, kept, positions, listenPort, flags);
        return [.. args[..(at + 1)], .. kept, .. args[end..]];
    }

    /// <summary>
    /// Whether the positional words so far already make the command's endpoint: HOST PORT, or one word with a port
    /// (HOST:PORT, [V6]:PORT, :PORT), a scheme or a path. A bare IPv6 address (::1) still wants its port.
    /// </summary>
    private static bool HasEndpoint(string name, List<string> kept, List<int> positions)
    {
        var first = EndpointPosition.GetValueOrDefault(name);
        if (positions.Count <= first) return false;
        var word = kept[positions[first]];
        return positions.Count - first >= 2 || word.Contains("://", StringComparison.Ordinal) || word.StartsWith('/')
            || (word.StartsWith('[') ? word.Contains("]:", StringComparison.Ordinal) : word.Count(c => c == ':') == 1);
    }

    /// <summary>Whether a positional word (not an option, nor an option's value) comes at or after <paramref name="from"/>.</summary>
    private static bool PositionalFollows(Command command, List<string> words, int from)
    {
        for (var i = from; i < words.Count; i++)
        {
            if (!words[i].StartsWith('-') || words[i] == "-") return true;
            if (Find(command, words[i]) is { } option && TakesValue(option)) i++;
        }
        return false;
    }

    /// <summary>nc's -z is our scan: <c>connect -z HOST PORTS</c> runs <c>scan HOST PORTS</c>, with -w kept, exiting 1 if none is open.</summary>
    private static string[] ToScan(string[] before, List<string> kept, List<int> positions)
    {
        if (positions.Count != 2) throw new UsageException("nc's -z HOST PORTS is 'sockit scan HOST PORTS' here, such as sockit scan 127.0.0.1 8000-8100");
        var timeout = kept.FindIndex(w => w is "-w" or "--connect-timeout");
        string[] wait = timeout >= 0 && timeout + 1 < kept.Count ? ["-w", kept[timeout + 1]] : [];
        return [.. before, "scan", kept[positions[0]], kept[positions[1]], .. wait];
    }

    /// <summary>HOST PORT becomes HOST:PORT; -p PORT becomes :PORT; -u and -U choose the scheme.</summary>
    private static void JoinEndpoint(string name, List<string> kept, List<int> positions, string? port, HashSet<Effect> flags)
    {
        if (!EndpointPosition.TryGetValue(name, out var first)) return;
        if (name == "bench" && positions.Count > 0 && kept[positions[0]] == "merge") return;
        var udp = flags.Contains(Effect.Udp);
        if (flags.Contains(Effect.Unix))
        {
            if (positions.Count <= first) throw new UsageException($"nc's -U takes a socket path: sockit {name} unix:///path");
            var path = kept[positions[first]];
            if (!path.Contains("://", StringComparison.Ordinal)) kept[positions[first]] = (udp ? "unixgram://" : "unix://") + path;
            return;
        }
        if (port is not null)
        {
            // nc -l -p PORT [HOST]: loopback unless a host is given (ours never listens on every interface unasked).
            var host = positions.Count > first ? kept[positions[first]] : null;
            var endpoint = Join(host ?? "", port);
            if (host is null) kept.Add(endpoint);
            else kept[positions[first]] = endpoint;
            if (host is null) positions.Add(kept.Count - 1);
        }
        else if (positions.Count == first + 2 && IsPort(kept[positions[first + 1]]) && !kept[positions[first]].Contains("://", StringComparison.Ordinal)
                 && !IsPort(kept[positions[first]]))
        {
            kept[positions[first]] = Join(kept[positions[first]], kept[positions[first + 1]]);
            kept.RemoveAt(positions[first + 1]);
            positions.RemoveAt(first + 1);
        }
        else if (name == "listen" && positions.Count == 1 && IsPort(kept[positions[0]]))
        {
            kept[positions[0]] = ":" + kept[positions[0]]; // nc -l 9000
        }
        if (udp && positions.Count > first && !kept[positions[first]].Contains("://", StringComparison.Ordinal))
            kept[positions[first]] = "udp://" + kept[positions[first]];
    }

    private static string Join(string host, string port) =>
        host.Contains(':') && !host.StartsWith('[') ? $"[{host}]:{port}" : $"{host}:{port}";

    private static bool IsPort(string word) =>
        word.Length is > 0 and <= 5 && word.All(char.IsAsciiDigit) && int.Parse(word, CultureInfo.InvariantCulture) <= 65535;

    /// <summary><c>-tulpn</c> as <c>-t -u -l -p -n</c> when every letter is a short flag we or a habit know.</summary>
    private static IEnumerable<string> Unbundle(string word, Command command, Habit[] habits)
    {
        if (word.Length < 3 || word[0] != '-' || word[1] == '-' || !word.Skip(1).All(char.IsAsciiLetter)) return [word];
        var letters = word.Skip(1).Select(c => "-" + c).ToList();
        return letters.All(l => Find(command, l) is not null || Array.Exists(habits, h => h.Flag == l)) ? letters : [word];
    }

    private static Option? Find(Command command, string word) =>
        word.StartsWith('-') ? command.Options.FirstOrDefault(o => o.Name == word || o.Aliases.Contains(word)) : null;

    private static bool TakesValue(Option option) => option.ValueType != typeof(bool) && option.Arity.MaximumNumberOfValues > 0;
}
