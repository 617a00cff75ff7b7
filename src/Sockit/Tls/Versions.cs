using System.Security.Authentication;

namespace Sockit.Tls;

/// <summary>TLS protocol versions by the names people type (1.2, 1.3) and read (TLSv1.3).</summary>
internal static class Versions
{
    /// <summary>The versions Sockit can ask for, oldest first.</summary>
#pragma warning disable SYSLIB0039 // TLS 1.0 and 1.1 are offered only to test that a peer refuses them
    public static readonly IReadOnlyList<(string Name, SslProtocols Protocol)> All =
        [("1.0", SslProtocols.Tls), ("1.1", SslProtocols.Tls11), ("1.2", SslProtocols.Tls12), ("1.3", SslProtocols.Tls13)];
#pragma warning restore SYSLIB0039

    /// <summary>The versions from <paramref name="min"/> to <paramref name="max"/> (each "1.2" or "1.3", or null for no bound); None for neither.</summary>
    /// <exception cref="SockitException">A version is unknown, or the range is empty.</exception>
    public static SslProtocols Range(string? min, string? max)
    {
        if (min is null && max is null) return SslProtocols.None;
        var low = Index(min ?? "1.2");
        var high = Index(max ?? "1.3");
        if (low > high) throw new SockitException(SockitError.InvalidArgument, $"the TLS version range {min} to {max} is empty; the minimum must not be above the maximum");
        var protocols = SslProtocols.None;
        for (var i = low; i <= high; i++) protocols |= All[i].Protocol;
        return protocols;
    }

    private static int Index(string text)
    {
        var name = text.StartsWith("tls", StringComparison.OrdinalIgnoreCase) ? text[3..].TrimStart('v', 'V') : text;
        for (var i = 0; i < All.Count; i++) if (All[i].Name == name) return i;
        throw new SockitException(SockitError.InvalidArgument, $"unknown TLS version '{text}': use 1.0, 1.1, 1.2 or 1.3");
    }

    /// <summary>TLSv1.3, TLSv1.2...</summary>
    public static string Name(SslProtocols protocol)
    {
        foreach (var (name, value) in All) if (value == protocol) return $"TLSv{name}";
        return protocol.ToString();
    }
}
