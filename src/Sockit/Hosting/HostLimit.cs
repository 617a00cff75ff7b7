namespace Sockit.Hosting;

/// <summary>The limits a host enforces, each counted when it turns a client away or ends a connection.</summary>
internal enum HostLimit
{
    /// <summary>Refused by the access rules (allow/deny).</summary>
    Denied,

    /// <summary>Reset for being over the connections allowed from one client address.</summary>
    PerClient,

    /// <summary>Closed after the idle timeout, with no data either way.</summary>
    Idle,

    /// <summary>Closed because a request's head did not arrive in time (the slowloris guard).</summary>
    HeadTimeout,

    /// <summary>Closed for a request over a size limit (request line, header block, body).</summary>
    TooLarge,

    /// <summary>Closed for a malformed request.</summary>
    Malformed,

    /// <summary>Closed because its TLS handshake did not finish in time.</summary>
    HandshakeTimeout,

    /// <summary>Closed because its TLS handshake failed: plain text, no version or cipher in common, a refused certificate.</summary>
    TlsRefused,
}
