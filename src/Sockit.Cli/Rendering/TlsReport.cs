using System.Globalization;
using Sockit.Tls;

namespace Sockit.Cli.Rendering;

/// <summary>TLS sessions and failures in words: one line for -v, and the option that fixes a failure.</summary>
internal static class TlsReport
{
    public static string Summary(TlsSession session)
    {
        var peer = session.PeerCertificate is { } certificate ? $"; peer certificate {certificate.Subject}" : "";
        var verdict = session.Verdict is { Trusted: false, Problem: { } problem } ? $" (NOT trusted: {problem}; accepted because of --insecure)" : "";
        return string.Create(CultureInfo.InvariantCulture, $"TLS: {session}{peer}{verdict}, handshake {session.HandshakeTime.TotalMilliseconds:F1} ms");
    }

    /// <summary>The option that fixes a TLS failure, to follow its message; "" for other failures.</summary>
    public static string Hint(SockitError error) => error switch
    {
        SockitError.CertificateNameMismatch => "; connect by that name, or --sni, or --insecure",
        SockitError.CertificateUntrusted => "; trust its CA with --ca FILE, or --insecure",
        SockitError.CertificateExpired => "; renew the certificate, or --insecure to accept it anyway",
        SockitError.ClientCertificateRefused => "; give one the server trusts with --cert FILE --key FILE",
        _ => "",
    };
}
