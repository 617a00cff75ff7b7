using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Sockit.Tls;

/// <summary>How a client speaks TLS to a <c>tls://</c> endpoint: whom it trusts, the name it asks for, what it offers.</summary>
public sealed record TlsClientOptions
{
    /// <summary>The platform's trust store, the host name of the endpoint, no client certificate.</summary>
    public static TlsClientOptions Default { get; } = new();

    /// <summary>Trust only these certificate authorities (a test CA, a self-signed server); null trusts the system's store.</summary>
    public X509Certificate2Collection? TrustedCa { get; init; }

    /// <summary>Accept any certificate: no chain, name or date checks. For testing only.</summary>
    public bool Insecure { get; init; }

    /// <summary>The name sent (SNI) and checked against the certificate; null uses the endpoint's host.</summary>
    public string? ServerName { get; init; }

    /// <summary>Application protocols offered (ALPN), most preferred first.</summary>
    public IReadOnlyList<string> Alpn { get; init; } = [];

    /// <summary>A client certificate with its private key, for servers that ask for one (mutual TLS).</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>The protocol versions allowed; None is the platform's default.</summary>
    public SslProtocols Protocols { get; init; } = SslProtocols.None;

    /// <summary>
    /// Without a <see cref="Certificate"/>, note whether the server asks for one (<see cref="TlsVerdict.CertificateAskedButNoneGiven"/>),
    /// so that a refusal without an alert can be named. For a one-off client only: .NET then resumes no session and offers
    /// post-handshake authentication, which a proxy's or a load's many connections must not pay for.
    /// </summary>
    internal bool NoticesCertificateRequest { get; init; }

    /// <summary>The options for one handshake; <paramref name="verdict"/> receives what was wrong with the server's certificate.</summary>
    internal SslClientAuthenticationOptions Build(string targetHost, TlsVerdict verdict)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ApplicationProtocols = Alpn.Count == 0 ? null : [.. Alpn.Select(p => new SslApplicationProtocol(p))],
            RemoteCertificateValidationCallback = verdict.Check,
        };
        if (Certificate is not null)
        {
            options.ClientCertificateContext = SslStreamCertificateContext.Create(Certificate, null, offline: true);
        }
        else if (NoticesCertificateRequest)
        {
            options.LocalCertificateSelectionCallback = verdict.NoteCertificateAsked!;
        }
        if (TrustedCa is not null)
        {
            options.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            options.CertificateChainPolicy.CustomTrustStore.AddRange(TrustedCa);
        }
        return options;
    }
}
