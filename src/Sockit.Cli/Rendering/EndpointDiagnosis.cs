using System.Net;
using System.Net.Sockets;
using Sockit.Endpoints;

namespace Sockit.Cli.Rendering;

/// <summary>
/// Why an endpoint did not parse, in one line: what was understood, what is missing, and the one correct form closest to
/// what was typed ("did you mean udp://127.0.0.1:9999?"). Each rule below recognises one kind of slip; a rule's
/// suggestion is offered only if <see cref="Endpoint.TryParse"/> accepts it, so a rule can never suggest a wrong form.
/// </summary>
internal static class EndpointDiagnosis
{
    /// <summary>The schemes the parser knows. A new scheme is one more entry here; unix-like ones take a path.</summary>
    private static readonly (string Name, bool TakesPath)[] Schemes =
        [("tcp", false), ("udp", false), ("unix", true), ("unixgram", true), ("tls", false), ("tls+unix", true)];

    /// <summary>URL schemes people paste, and the port each implies.</summary>
    private static readonly Dictionary<string, int> UrlPorts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["http"] = 80, ["https"] = 443, ["ws"] = 80, ["wss"] = 443, ["ftp"] = 21, ["ssh"] = 22, ["redis"] = 6379, ["postgres"] = 5432,
    };

    private delegate (string What, string? Fix)? Rule(string text);

    /// <summary>In order: the first rule that recognises the text explains it.</summary>
    private static readonly Rule[] Rules =
    [
        SchemeWithoutSlashes, UnknownScheme, BarePort, SpaceForColon, TrailingColons, PathAfterPort, BareIPv6, NoPort, UnknownService,
    ];

    /// <summary>The error line for <paramref name="text"/>, given the parser's own <paramref name="error"/>.</summary>
    public static string Explain(string text, string error)
    {
        foreach (var rule in Rules)
        {
            if (rule(text.Trim()) is not { } found) continue;
            if (found.Fix is null) return $"invalid endpoint '{text}': {found.What}";
            if (Endpoint.TryParse(found.Fix, out _, out _)) return $"invalid endpoint '{text}': {found.What}; did you mean {found.Fix}?";
        }
        return $"invalid endpoint '{text}': {error}";
    }

    /// <summary><c>udp:127.0.0.1:9999</c>, <c>unix:/tmp/s.sock</c>: a known scheme without its '//'.</summary>
    private static (string, string?)? SchemeWithoutSlashes(string text)
    {
        var colon = text.IndexOf(':');
        if (colon <= 0 || text.AsSpan(colon).StartsWith("://")) return null;
        var name = text[..colon].ToLowerInvariant();
        if (!Array.Exists(Schemes, s => s.Name == name)) return null;
        var rest = text[(colon + 1)..];
        var takesPath = Array.Find(Schemes, s => s.Name == name).TakesPath;
        var fix = takesPath ? $"{name}://{(rest.StartsWith('/') ? "/" + rest.TrimStart('/') : rest)}" : $"{name}://{rest.TrimStart('/')}";
        return ($"'{name}:' needs '//' after it", fix);
    }

    /// <summary><c>tpc://host:80</c> (a typo of a scheme) or <c>http://host/</c> (a URL where an endpoint goes).</summary>
    private static (string, string?)? UnknownScheme(string text)
    {
        var end = text.IndexOf("://", StringComparison.Ordinal);
        if (end <= 0) return null;
        var name = text[..end];
        if (Array.Exists(Schemes, s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase))) return null;
        var rest = text[(end + 3)..];
        if (UrlPorts.TryGetValue(name, out var port) && Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Host.Length > 0)
        {
            var host = uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.IdnHost.Trim('[', ']')}]" : uri.IdnHost;
            var actual = uri.IsDefaultPort ? port : uri.Port;
            return ("that is a URL, not host:port", $"{host}:{actual}");
        }
        var closest = Suggestions.Closest(name.ToLowerInvariant(), Schemes.Select(s => s.Name));
        return closest is null
            ? ($"unknown scheme '{name}': use {string.Join(", ", Supported())}", null)
            : ($"unknown scheme '{name}'", $"{closest}://{rest}");
    }

    /// <summary><c>8080</c>: a port with no host.</summary>
    private static (string, string?)? BarePort(string text) =>
        text.Length is > 0 and <= 5 && text.All(char.IsAsciiDigit) ? ($"'{text}' is a port with no host (':PORT' means loopback)", $":{text}") : null;

    /// <summary><c>"127.0.0.1 8080"</c> given as one word.</summary>
    private static (string, string?)? SpaceForColon(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 2 && parts[1].All(char.IsAsciiDigit) ? ("host and port are joined by ':', not a space", Join(parts[0], parts[1])) : null;
    }

    /// <summary><c>127.0.0.1:8080:</c>: a stray ':' at the end.</summary>
    private static (string, string?)? TrailingColons(string text)
    {
        var trimmed = text.TrimEnd(':');
        return trimmed.Length < text.Length && trimmed.Length > 0 && Endpoint.TryParse(trimmed, out _, out _) ? ("it ends with a stray ':'", trimmed) : null;
    }

    /// <summary><c>localhost:8080/path</c>: a URL's path after the port.</summary>
    private static (string, string?)? PathAfterPort(string text)
    {
        var slash = text.IndexOf('/');
        if (slash <= 0 || text.Contains("://", StringComparison.Ordinal)) return null;
        var head = text[..slash];
        return Endpoint.TryParse(head, out _, out _) ? ("an endpoint has no path (a path goes in an http:// URL to sockit bench)", head) : null;
    }

    /// <summary><c>::1:8080</c> or <c>::1</c>: an IPv6 address without brackets.</summary>
    private static (string, string?)? BareIPv6(string text)
    {
        if (text.StartsWith('[') || text.Count(c => c == ':') < 2) return null;
        var colon = text.LastIndexOf(':');
        var host = text[..colon];
        var last = text[(colon + 1)..];
        // '::1:8080' is itself an IPv6 address, but a last group of decimal digits after an address reads as a port.
        var lastIsPort = last.Length > 0 && last.All(char.IsAsciiDigit) && IPAddress.TryParse(host, out _);
        if (!lastIsPort && IPAddress.TryParse(text, out var whole) && whole.AddressFamily == AddressFamily.InterNetworkV6)
            return ($"'{text}' is an IPv6 address with no port; write [{text}]:PORT", null);
        return IPAddress.TryParse(host, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6
            ? ("an IPv6 address goes in brackets before its port", $"[{host}]:{last}")
            : ($"'{text}' has more than one ':'; write host:port, or [v6 address]:port", null);
    }

    /// <summary><c>localhost</c>: a host with no port.</summary>
    private static (string, string?)? NoPort(string text) =>
        !text.Contains(':') && !text.Contains('/') ? ($"a host with no port; write {text}:PORT", null) : null;

    /// <summary><c>localhost:htp</c>: neither a port number nor a service name.</summary>
    private static (string, string?)? UnknownService(string text)
    {
        var colon = text.LastIndexOf(':');
        var service = text[(colon + 1)..];
        return colon >= 0 && service.Length > 0 && !service.All(char.IsAsciiDigit) && service.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? ($"'{service}' is not a port or a service in /etc/services", null)
            : null;
    }

    /// <summary>The schemes of the table that this build's parser accepts (a scheme may be listed before it is supported).</summary>
    private static IEnumerable<string> Supported() =>
        Schemes.Where(s => Endpoint.TryParse($"{s.Name}://{(s.TakesPath ? "/s" : "h:1")}", out _, out _)).Select(s => s.Name);

    private static string Join(string host, string port) => host.Contains(':') && !host.StartsWith('[') ? $"[{host}]:{port}" : $"{host}:{port}";
}
