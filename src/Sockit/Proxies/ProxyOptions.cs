using Sockit.Proxies.Faults;
using Sockit.Tracing;

namespace Sockit.Proxies;

/// <summary>How a proxy reaches its upstream and what it does to the traffic on the way.</summary>
public sealed record ProxyOptions
{
    /// <summary>How long to try to connect to the upstream before the client is closed.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where to record every conversation ('&gt;' client to upstream, '&lt;' back, with connection ids), or null.</summary>
    internal ConversationDump? Dump { get; init; }

    /// <summary>A UDP proxy ends a client's session (and its socket to the upstream) after this long without traffic either way.</summary>
    public TimeSpan DatagramIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How to speak TLS to a tls:// upstream (trust, name, client certificate); null is the defaults.</summary>
    public Tls.TlsClientOptions? UpstreamTls { get; init; }

    /// <summary>The toxics to apply, changeable while the proxy runs; null relays untouched.</summary>
    public FaultSet? Faults { get; init; }
}
