using System.Diagnostics;
using System.Net.Security;
using System.Security.Authentication;
using Sockit.Endpoints;
using Sockit.Transport;

namespace Sockit.Tls;

/// <summary>The two ends of a handshake: a server's on an accepted connection, a client's on a dialled one.</summary>
internal static class TlsHandshake
{
    private static readonly byte[] PlainHttpAnswer = System.Text.Encoding.ASCII.GetBytes(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 49\r\nConnection: close\r\n\r\n" +
        "The plain HTTP request was sent to an HTTPS port\n");

    /// <summary>
    /// The server's handshake, within <see cref="TlsServerOptions.HandshakeTimeout"/>; afterwards the connection's
    /// calls carry plaintext. A client that speaks plain text is told so (HTTP gets a 400, as nginx answers) and refused.
    /// </summary>
    /// <exception cref="SockitException">Timed out, plain text, or the handshake failed (the message says why).</exception>
    public static async Task AcceptAsync(Connection connection, TlsServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.HandshakeTimeout);
        var trace = connection.Tracer is { } tracer ? new TlsRecordTrace(tracer, connection.Fd) : null;
        var raw = new ConnectionStream(connection, trace);
        var ssl = new SslStream(raw, leaveInnerStreamOpen: true);
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (await raw.PrefetchAsync(deadline.Token).ConfigureAwait(false) == 0)
                throw new SockitException(SockitError.TlsFailed, "the client closed before the TLS handshake");
            if (raw.Prefetched[0] != 0x16) await RefusePlainTextAsync(connection, raw, options, deadline.Token).ConfigureAwait(false);
            await IoLoop.LeaveAsync();
            if (options.PicksByName)
            {
                await ssl.AuthenticateAsServerAsync(static (_, hello, state, _) =>
                {
                    var o = (TlsServerOptions)state!;
                    var built = o.Build();
                    return ValueTask.FromResult(new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = o.ContextFor(hello.ServerName),
                        EnabledSslProtocols = built.EnabledSslProtocols,
                        ClientCertificateRequired = built.ClientCertificateRequired,
                        CertificateRevocationCheckMode = built.CertificateRevocationCheckMode,
                        ApplicationProtocols = built.ApplicationProtocols,
                        CertificateChainPolicy = built.CertificateChainPolicy,
                        RemoteCertificateValidationCallback = built.RemoteCertificateValidationCallback,
                    });
                }, options, deadline.Token).ConfigureAwait(false);
            }
            else
            {
                await ssl.AuthenticateAsServerAsync(options.Build(), deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Fail(ssl, trace, new SockitException(SockitError.TimedOut, $"TLS handshake not finished after {Durations.Format(options.HandshakeTimeout)}"));
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or ObjectDisposedException))
        {
            throw Fail(ssl, trace, ex as SockitException ?? ServerFailure(ex, ssl, options));
        }
        catch
        {
            ssl.Dispose();
            throw;
        }
        var session = new TlsSession(ssl, ssl.TargetHostName is { Length: > 0 } sni ? sni : null, Stopwatch.GetElapsedTime(started), verdict: null);
        Attach(connection, ssl, raw, session, trace, Describe(session));
    }

    private static SockitException Fail(SslStream ssl, TlsRecordTrace? trace, SockitException error)
    {
        ssl.Dispose();
        trace?.Done(error.Message, failed: true);
        return error;
    }

    private static void Attach(Connection connection, SslStream ssl, ConnectionStream raw, TlsSession session, TlsRecordTrace? trace, string summary)
    {
        raw.EndTrace();
        trace?.Done(summary);
        raw.Layer = new TlsLayer(ssl, session);
        connection.AttachTls(raw.Layer);
    }

    private static async Task RefusePlainTextAsync(Connection connection, ConnectionStream raw, TlsServerOptions options, CancellationToken cancellationToken)
    {
        var first = raw.Prefetched;
        var http = options.AnswerPlainHttp && LooksLikeHttp(first);
        if (http)
        {
            try
            {
                await connection.RawSendAsync(PlainHttpAnswer, cancellationToken).ConfigureAwait(false);
                connection.RawShutdownSend();
            }
            catch (SockitException)
            {
            }
        }
        throw new SockitException(SockitError.PlainTextOnTlsPort, http ? "plain text on a TLS port (an HTTP request; answered 400)" : "plain text on a TLS port");
    }

    private static bool LooksLikeHttp(ReadOnlySpan<byte> first)
    {
        ReadOnlySpan<string> methods = ["GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE "];
        foreach (var method in methods)
        {
            var length = Math.Min(method.Length, first.Length);
            var match = true;
            for (var i = 0; i < length && match; i++) match = first[i] == method[i];
            if (match && length > 0) return true;
        }
        return false;
    }

    private static SockitException ServerFailure(Exception ex, SslStream ssl, TlsServerOptions options)
    {
        // The message is a resource key in a trimmed build (net_ssl_io_cert_custom_validation), a sentence otherwise.
        if (options.ClientCa is not null && ex is AuthenticationException
            && (ex.Message.Contains("RemoteCertificateValidationCallback", StringComparison.Ordinal) || ex.Message.Contains("custom_validation", StringComparison.Ordinal)))
        {
            return TlsServerOptions.Refused.TryGetValue(ssl, out var subject)
                ? new SockitException(SockitError.ClientCertificateRefused, $"client certificate '{subject}' refused: not signed by the client CA")
                : new SockitException(SockitError.ClientCertificateRefused, "the client sent no certificate, and one is required");
        }
        var translated = TlsFailures.Translate(ex);
        return translated as SockitException ?? new SockitException(SockitError.TlsFailed, translated.Message, ex);
    }

    /// <summary>
    /// The client's handshake: checks the server's certificate against <paramref name="options"/> (its name, chain and
    /// dates) and says in words what is wrong with it; afterwards the connection's calls carry plaintext.
    /// </summary>
    /// <exception cref="SockitException">The certificate is not trusted (why), or the handshake failed.</exception>
    public static async Task<TlsSession> ConnectAsync(Connection connection, Endpoint endpoint, TlsClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        var name = options.ServerName ?? (endpoint.IsUnixDomain || endpoint.IsAnyAddress ? "localhost" : endpoint.Host!);
        var verdict = new TlsVerdict(name, options.Insecure);
        var trace = connection.Tracer is { } tracer ? new TlsRecordTrace(tracer, connection.Fd) : null;
        var raw = new ConnectionStream(connection, trace);
        var ssl = new SslStream(raw, leaveInnerStreamOpen: true);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await IoLoop.LeaveAsync();
            await ssl.AuthenticateAsClientAsync(options.Build(name, verdict), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or ObjectDisposedException or SockitException))
        {
            var failure = verdict.Problem is not null && !options.Insecure
                ? new SockitException(verdict.Error!.Value, verdict.Problem, ex)
                : TlsFailures.Translate(ex) as SockitException ?? new SockitException(SockitError.TlsFailed, ex.Message, ex);
            // Asked for a certificate, given none, and cut off without an alert that says why (SslStream on Linux sends none): that is why.
            if (failure.Error == SockitError.TlsFailed && verdict.CertificateAskedButNoneGiven)
                failure = TlsFailures.ClosedForNoCertificate(ex);
            throw Fail(ssl, trace, failure);
        }
        catch
        {
            ssl.Dispose();
            throw;
        }
        var session = new TlsSession(ssl, System.Net.IPAddress.TryParse(name, out _) ? null : name, Stopwatch.GetElapsedTime(started), verdict);
        Attach(connection, ssl, raw, session, trace,
            Describe(session) + (verdict.Trusted ? ", certificate trusted" : $", NOT trusted ({verdict.Problem}), accepted as insecure"));
        return session;
    }

    private static string Describe(TlsSession session) =>
        $"{session}{(session.ServerName is null ? "" : $", SNI {session.ServerName}")}, {session.HandshakeTime.TotalMilliseconds:F1} ms";
}
