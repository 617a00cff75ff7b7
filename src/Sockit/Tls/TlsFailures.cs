namespace Sockit.Tls;

/// <summary>TLS failures as one line each: what the peer's alert or OpenSSL's error means, not the exception chain.</summary>
internal static class TlsFailures
{
    /// <summary>
    /// A failure below the TLS layer (a reset, a closed connection, a cancellation) as it was; a TLS one as a
    /// <see cref="SockitException"/> in words.
    /// </summary>
    /// <param name="ex">What SslStream threw.</param>
    /// <param name="afterHandshake">The session was already established (a read or write failed, not the handshake).</param>
    public static Exception Translate(Exception ex, bool afterHandshake = false)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is SockitException or OperationCanceledException or ObjectDisposedException) return e;
        var (error, message) = Describe(ex, afterHandshake);
        return new SockitException(error, message, ex);
    }

    /// <summary>
    /// A client with no certificate, refused by a server that asked for one and then closed without an alert that says
    /// why: SslStream on Linux (so sockit's own servers) refuses that way. Only the caller can judge that a close was a
    /// refusal (nothing came back where something was expected).
    /// </summary>
    public static SockitException ClosedForNoCertificate(Exception? inner = null) =>
        new(SockitError.ClientCertificateRefused, "the server asked for a client certificate, none was given, and it closed the connection", inner);

    /// <summary>What went wrong, from the alert names and OpenSSL reasons buried in the exception chain.</summary>
    public static (SockitError Error, string Message) Describe(Exception ex, bool afterHandshake = false)
    {
        var text = string.Join(" | ", Chain(ex).Select(e => e.Message)).ToLowerInvariant();
        if (text.Contains("certificate required", StringComparison.Ordinal))
            return (SockitError.ClientCertificateRefused, "the server requires a client certificate and none was given");
        if (text.Contains("unknown ca", StringComparison.Ordinal) || text.Contains("bad certificate", StringComparison.Ordinal)
            || text.Contains("certificate unknown", StringComparison.Ordinal))
            return (SockitError.ClientCertificateRefused, $"the peer refused the certificate presented ({Alert(text)})");
        if (text.Contains("certificate expired", StringComparison.Ordinal))
            return (SockitError.CertificateExpired, "the peer says the certificate presented has expired");
        if (text.Contains("wrong version number", StringComparison.Ordinal) || text.Contains("packet length too long", StringComparison.Ordinal)
            || text.Contains("record layer failure", StringComparison.Ordinal) || text.Contains("unexpected message", StringComparison.Ordinal) || text.Contains("http request", StringComparison.Ordinal))
            return (SockitError.TlsFailed, "the peer does not speak TLS here (its answer is not a TLS record)");
        if (text.Contains("protocol version", StringComparison.Ordinal) || text.Contains("unsupported protocol", StringComparison.Ordinal)
            || text.Contains("no protocols available", StringComparison.Ordinal))
            return (SockitError.TlsFailed, "no TLS version in common with the peer");
        if (text.Contains("no shared cipher", StringComparison.Ordinal) || text.Contains("handshake failure", StringComparison.Ordinal))
            return (SockitError.TlsFailed, $"the TLS handshake failed: no cipher or parameters in common ({Alert(text)})");
        if (text.Contains("no application protocol", StringComparison.Ordinal))
            return (SockitError.TlsFailed, "no application protocol (ALPN) in common with the peer");
        if (text.Contains("unexpected eof", StringComparison.Ordinal) || text.Contains("received an unexpected eof", StringComparison.Ordinal)
            || text.Contains("0 bytes from the transport stream", StringComparison.Ordinal))
            return (SockitError.TlsFailed, afterHandshake
                ? "the peer closed the connection in the middle of a TLS record (cut, not closed with close_notify)"
                : "the peer closed the connection during the TLS handshake");
        return (SockitError.TlsFailed, $"TLS failed: {Innermost(ex)}");
    }

    private static IEnumerable<Exception> Chain(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException) yield return e;
    }

    private static string Innermost(Exception ex) => Chain(ex).Last().Message.Trim().TrimEnd('.');

    /// <summary>The alert named in OpenSSL's text ("sslv3 alert bad certificate" says bad certificate).</summary>
    private static string Alert(string text)
    {
        var at = text.IndexOf("alert ", StringComparison.Ordinal);
        if (at < 0) return "handshake refused";
        var end = text.IndexOfAny(['|', ')', '\n', '.'], at);
        return "alert: " + (end < 0 ? text[(at + 6)..] : text[(at + 6)..end]).Trim();
    }
}
