using System.Globalization;

namespace Sockit.Endpoints;

/// <summary>Maps service names (<c>http</c>, <c>ssh</c>) to ports, from /etc/services where it exists.</summary>
internal static class ServiceNames
{
    // Used when /etc/services is absent (minimal containers): the names people actually type.
    private static readonly Dictionary<string, int> Fallback = new(StringComparer.OrdinalIgnoreCase)
    {
        ["echo"] = 7, ["discard"] = 9, ["daytime"] = 13, ["chargen"] = 19, ["ftp"] = 21, ["ssh"] = 22,
        ["telnet"] = 23, ["smtp"] = 25, ["domain"] = 53, ["http"] = 80, ["pop3"] = 110, ["ntp"] = 123,
        ["imap"] = 143, ["https"] = 443, ["redis"] = 6379, ["postgresql"] = 5432, ["mysql"] = 3306,
    };

    private static readonly Lazy<Dictionary<string, int>> FromFile = new(() => Load("/etc/services"));

    public static bool TryGetPort(string name, string protocol, out int port)
    {
        if (FromFile.Value.TryGetValue($"{name}/{protocol}", out port)) return true;
        return Fallback.TryGetValue(name, out port);
    }

    /// <summary>Reads lines of the form <c>name port/proto [aliases…] [# comment]</c>.</summary>
    internal static Dictionary<string, int> Load(string path)
    {
        var map = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        if (!File.Exists(path)) return map;
        foreach (var raw in File.ReadLines(path))
        {
            var hash = raw.IndexOf('#');
            var line = hash >= 0 ? raw[..hash] : raw;
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2) continue;
            var slash = fields[1].IndexOf('/');
            if (slash <= 0 || !int.TryParse(fields[1].AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var port)) continue;
            var protocol = fields[1][(slash + 1)..];
            foreach (var name in fields.Where((_, i) => i != 1))
                map.TryAdd($"{name}/{protocol}", port);
        }
        return map;
    }
}
