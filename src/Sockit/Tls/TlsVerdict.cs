using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Sockit.Tls;

/// <summary>
/// What a client made of the server's certificate, in words: trusted, or why not (expired, wrong name, unknown issuer,
/// self-signed). Filled in during the handshake by the validation callback, so a refusal can say more than OpenSSL's alert.
/// </summary>
internal sealed class TlsVerdict
{
    private readonly bool _insecure;
    private readonly string _expectedName;

    internal TlsVerdict(string expectedName, bool insecure)
    {
        _expectedName = expectedName;
        _insecure = insecure;
    }

    /// <summary>True when the certificate passed every check (whether or not --insecure let it through anyway).</summary>
    public bool Trusted { get; private set; }

    /// <summary>Why it is not trusted, one line; null when trusted.</summary>
    public string? Problem { get; private set; }

    /// <summary>The kind of problem, for the option that fixes it.</summary>
    public SockitError? Error { get; private set; }

    /// <summary>
    /// The server asked for a client certificate and this client had none to give (noted only when the options ask for
    /// it). A server that then refuses says so with an alert, or (SslStream on Linux, so sockit's own servers) only
    /// closes the connection; a server for which the certificate is optional goes on.
    /// </summary>
    public bool CertificateAskedButNoneGiven { get; private set; }

    /// <summary>
    /// SslStream's client-certificate selection, set only when there is none to give. It is called once before the
    /// handshake starts (no server certificate yet), and again when the server asks for one, after its certificate came.
    /// </summary>
    internal X509Certificate? NoteCertificateAsked(object sender, string targetHost, X509CertificateCollection localCertificates,
        X509Certificate? remoteCertificate, string[] acceptableIssuers)
    {
        if (remoteCertificate is not null) CertificateAskedButNoneGiven = true;
        return null;
    }

    /// <summary>The chain the server sent, leaf first, as the client built it.</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; private set; } = [];

    internal bool Check(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (chain is not null) Chain = [.. chain.ChainElements.Select(e => new X509Certificate2(e.Certificate))];
        else if (certificate is not null) Chain = [new X509Certificate2(certificate)];
        (Error, Problem) = Explain(certificate is null ? null : new X509Certificate2(certificate), chain, errors, _expectedName);
        Trusted = Problem is null;
        return Trusted || _insecure;
    }

    /// <summary>The first thing wrong with a certificate, in the words a user can act on.</summary>
    internal static (SockitError?, string?) Explain(X509Certificate2? leaf, X509Chain? chain, SslPolicyErrors errors, string expectedName)
    {
        if (errors == SslPolicyErrors.None) return (null, null);
        if (leaf is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return (SockitError.CertificateUntrusted, "the server sent no certificate");
        var names = Certificates.Names(leaf);
        var described = names.Count == 0 ? $"'{leaf.Subject}'" : string.Join(", ", names);
        var status = chain?.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status) ?? X509ChainStatusFlags.NoError;
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            if (status.HasFlag(X509ChainStatusFlags.NotTimeValid))
            {
                var now = DateTime.Now;
                return (SockitError.CertificateExpired, leaf.NotAfter < now
                    ? $"certificate for {described} expired on {Day(leaf.NotAfter)}"
                    : $"certificate for {described} is not valid until {Day(leaf.NotBefore)}");
            }
            if (status.HasFlag(X509ChainStatusFlags.UntrustedRoot) || status.HasFlag(X509ChainStatusFlags.PartialChain))
            {
                return (SockitError.CertificateUntrusted, leaf.SubjectName.RawData.AsSpan().SequenceEqual(leaf.IssuerName.RawData)
                    ? $"certificate for {described} is self-signed and not trusted"
                    : $"certificate for {described} is issued by '{leaf.Issuer}', which is not trusted");
            }
            var reasons = chain?.ChainStatus.Where(s => s.Status != X509ChainStatusFlags.NoError).Select(s => s.StatusInformation.Trim()).Distinct() ?? [];
            return (SockitError.CertificateUntrusted, $"certificate for {described} is not trusted: {string.Join("; ", reasons)}");
        }
        return (SockitError.CertificateNameMismatch, $"certificate for {described} is not valid for {expectedName}");
    }

    private static string Day(DateTime at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
