namespace Sockit.Proxies.Faults;

/// <summary>Which way through a proxy a toxic acts, in toxiproxy's terms.</summary>
public enum ToxicStream
{
    /// <summary>Data from the client to the upstream server.</summary>
    Upstream,

    /// <summary>Data from the upstream server back to the client (toxiproxy's default).</summary>
    Downstream,
}
