using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Sockit.Tls;

/// <summary>What a finished TLS handshake agreed on, and how long it took.</summary>
public sealed class TlsSession
{
    internal TlsSession(SslStream ssl, string? serverName, TimeSpan handshakeTime, TlsVerdict? verdict)
    {
        Protocol = ssl.SslProtocol;
        CipherSuite = ssl.NegotiatedCipherSuite;
        var alpn = ssl.NegotiatedApplicationProtocol;
        Alpn = alpn.Protocol.IsEmpty ? null : alpn.ToString();
        ServerName = serverName;
        HandshakeTime = handshakeTime;
        PeerCertificate = ssl.RemoteCertificate is { } remote ? remote as X509Certificate2 ?? new X509Certificate2(remote) : null;
        Verdict = verdict;
    }

    /// <summary>The protocol version agreed.</summary>
    public SslProtocols Protocol { get; }

    /// <summary>The cipher suite agreed.</summary>
    public TlsCipherSuite CipherSuite { get; }

    /// <summary>The application protocol agreed (ALPN), or null.</summary>
    public string? Alpn { get; }

    /// <summary>The name the client sent (SNI): as sent by this client, or as received by this server; null for none.</summary>
    public string? ServerName { get; }

    /// <summary>From the first handshake byte to the last.</summary>
    public TimeSpan HandshakeTime { get; }

    /// <summary>The certificate the peer presented, or null.</summary>
    public X509Certificate2? PeerCertificate { get; }

    /// <summary>On a client: what it made of the server's certificate. Null on a server.</summary>
    internal TlsVerdict? Verdict { get; }

    /// <summary>On a client: whether the server's certificate passed every check (false when only Insecure let it through). Null on a server.</summary>
    public bool? CertificateTrusted => Verdict?.Trusted;

    /// <summary>On a client: why the server's certificate is not trusted, in words; null when it is, and on a server.</summary>
    public string? CertificateProblem => Verdict?.Problem;

    /// <summary>The protocol as people write it: TLSv1.3.</summary>
    public string ProtocolName => Versions.Name(Protocol);

    /// <summary>One line: TLSv1.3 TLS_AES_256_GCM_SHA384, ALPN h2.</summary>
    public override string ToString() => $"{ProtocolName} {CipherSuite}{(Alpn is null ? "" : $", ALPN {Alpn}")}";
}
