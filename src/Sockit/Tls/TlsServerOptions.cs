using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Sockit.Tls;

/// <summary>How a server speaks TLS on a <c>tls://</c> endpoint: its certificate, what it asks of clients, and its limits.</summary>
public sealed record TlsServerOptions
{
    /// <summary>The certificate with its private key, and the chain to send after it (intermediates), if any.</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>Intermediate certificates sent after <see cref="Certificate"/>.</summary>
    public X509Certificate2Collection? Chain { get; init; }

    /// <summary>More certificates, picked by the name a client asks for (SNI); <see cref="Certificate"/> serves the rest.</summary>
    public IReadOnlyList<X509Certificate2> ByName { get; init; } = [];

    /// <summary>When set, clients must present a certificate signed by one of these (mutual TLS); the rest are refused.</summary>
    public X509Certificate2Collection? ClientCa { get; init; }

    /// <summary>The protocol versions allowed; None is the platform's default (TLS 1.2 and 1.3 with OpenSSL 3).</summary>
    public SslProtocols Protocols { get; init; } = SslProtocols.None;

    /// <summary>Application protocols offered (ALPN), most preferred first, such as h2 and http/1.1.</summary>
    public IReadOnlyList<string> Alpn { get; init; } = [];

    /// <summary>
    /// A handshake not finished after this long is cut. It waits on the I/O engine like any read, so a client that never
    /// finishes costs the others nothing but one connection slot, and only this long.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Answer a plain-text HTTP request on the TLS port with 400, as nginx does, before closing.</summary>
    public bool AnswerPlainHttp { get; init; } = true;

    private static readonly Lazy<TlsServerOptions> Localhost = new(() => new TlsServerOptions { Certificate = Certificates.CreateSelfSigned(Certificates.LocalNames) });

    /// <summary>A self-signed certificate for localhost, 127.0.0.1 and ::1, made once per process.</summary>
    public static TlsServerOptions ForLocalhost() => Localhost.Value;

    private SslServerAuthenticationOptions? _built;

    /// <summary>The subject of a client certificate refused, by the SslStream that refused it.</summary>
    internal static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, string> Refused = new();

    /// <summary>The options SslStream takes, built once: the certificate context (with its chain) is the costly part.</summary>
    internal SslServerAuthenticationOptions Build()
    {
        if (_built is not null) return _built;
        var context = SslStreamCertificateContext.Create(Certificate, Chain, offline: true);
        var byName = ByName.Select(c => (Certificate: c, Context: SslStreamCertificateContext.Create(c, null, offline: true))).ToArray();
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = context,
            EnabledSslProtocols = Protocols,
            ClientCertificateRequired = ClientCa is not null,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ApplicationProtocols = Alpn.Count == 0 ? null : [.. Alpn.Select(p => new SslApplicationProtocol(p))],
        };
        if (byName.Length > 0) _sniContexts = byName;
        if (ClientCa is not null)
        {
            options.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            options.CertificateChainPolicy.CustomTrustStore.AddRange(ClientCa);
            options.RemoteCertificateValidationCallback = static (sender, certificate, _, errors) =>
            {
                // Kept for the refusal's message: SslStream forgets the certificate once the handshake fails.
                if (certificate is not null && errors != SslPolicyErrors.None) Refused.AddOrUpdate(sender, certificate.Subject);
                return certificate is not null && errors == SslPolicyErrors.None;
            };
        }
        return _built = options;
    }

    private (X509Certificate2 Certificate, SslStreamCertificateContext Context)[]? _sniContexts;

    /// <summary>The certificate for the name a client asked for: the first whose names cover it, or the default.</summary>
    internal SslStreamCertificateContext? ContextFor(string? serverName)
    {
        if (_sniContexts is null) return null;
        if (!string.IsNullOrEmpty(serverName)) // no SNI (a client connecting by IP address) is an empty name
            foreach (var (certificate, context) in _sniContexts)
                if (certificate.MatchesHostname(serverName, allowWildcards: true, allowCommonName: true)) return context;
        return _built!.ServerCertificateContext;
    }

    /// <summary>True when a certificate is picked per client by SNI.</summary>
    internal bool PicksByName => ByName.Count > 0;
}
