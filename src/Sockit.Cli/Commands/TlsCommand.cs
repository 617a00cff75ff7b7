using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Sockit.Cli.Rendering;
using Sockit.Endpoints;
using Sockit.Tls;
using Sockit.Transport;

namespace Sockit.Cli.Commands;

/// <summary>
/// <c>sockit tls ENDPOINT</c>: what openssl s_client shows, readable: protocol, cipher, ALPN, SNI, handshake time, the
/// chain, and whether it is trusted and why not, with the option that fixes it.
/// </summary>
internal static class TlsCommand
{
    public static Command Create()
    {
        var endpoint = CommonOptions.EndpointArgument("The TLS server to look at (tls://host:port; host:port is taken as TLS)");
        var versions = new Option<bool>("--versions") { Description = "Also try each protocol version alone (1.0 to 1.3) and say which the server accepts" };
        var json = new Option<bool>("--json") { Description = "Print everything as one JSON document" };
        var connectTimeout = CommonOptions.Duration("--connect-timeout", "-w", "Give up connecting and handshaking after this long", TimeSpan.FromSeconds(10));
        var command = new Command("tls", "Handshake with ENDPOINT and show the protocol, cipher, ALPN, SNI, time, certificate chain and whether it is trusted (exit 1 if not)")
        {
            endpoint, versions, json, connectTimeout,
        };
        var flags = new TlsClientFlags(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var given = parse.GetValue(endpoint)!;
            if (!given.IsStream) throw new UsageException($"{given} is a datagram endpoint; TLS runs over TCP or Unix streams");
            var target = given.WithTls(true);
            var client = flags.Build(parse);
            using var tracer = CommonOptions.CreateTracer(parse);
            // Through whatever the certificate is, so it can be shown; the verdict is kept and reported.
            var dial = new DialOptions { ConnectTimeout = parse.GetValue(connectTimeout), Tracer = tracer, Tls = client with { Insecure = true } };
            TlsSession session;
            await using (var connection = await Dialer.ConnectAsync(target, dial, cancellationToken))
                session = connection.Tls!;
            var accepted = parse.GetValue(versions) ? await TryVersionsAsync(target, dial, cancellationToken) : null;
            var verdict = session.Verdict!;
            var fix = verdict.Error is { } error ? TlsReport.Hint(error).TrimStart(';', ' ') : null;
            if (parse.GetValue(json))
            {
                var document = new TlsJson(target.ToString(), session.ProtocolName, session.CipherSuite.ToString(), session.Alpn, session.ServerName,
                    Math.Round(session.HandshakeTime.TotalMilliseconds, 3), [.. verdict.Chain.Select(Describe)], verdict.Trusted, verdict.Problem, fix, accepted, null);
                Stdio.WriteStdout(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(document, CliJsonContext.Output.TlsJson) + "\n"));
            }
            else
            {
                Stdio.WriteStdout(Encoding.UTF8.GetBytes(Render(target, session, verdict, fix, accepted)));
            }
            return verdict.Trusted || client.Insecure ? CliRunner.Ok : CliRunner.Failure;
        });
        return command;
    }

    private static async Task<Dictionary<string, bool>> TryVersionsAsync(Endpoint target, DialOptions dial, CancellationToken cancellationToken)
    {
        var accepted = new Dictionary<string, bool>();
        foreach (var (name, protocol) in Versions.All)
        {
            try
            {
                await using var connection = await Dialer.ConnectAsync(target, dial with { Tls = dial.Tls! with { Protocols = protocol } }, cancellationToken);
                accepted[$"TLSv{name}"] = true;
            }
            catch (SockitException ex) when (ex.Error is SockitError.TlsFailed or SockitError.ConnectionReset)
            {
                accepted[$"TLSv{name}"] = false;
            }
        }
        return accepted;
    }

    private static CertificateJson Describe(X509Certificate2 certificate) => new(certificate.Subject, certificate.Issuer, Certificates.Names(certificate),
        Certificates.KeyType(certificate), Day(certificate.NotBefore), Day(certificate.NotAfter), DaysLeft(certificate), Certificates.Fingerprint(certificate));

    private static int DaysLeft(X509Certificate2 certificate) => (int)Math.Floor((certificate.NotAfter.ToUniversalTime() - DateTime.UtcNow).TotalDays);

    private static string Day(DateTime at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string Render(Endpoint target, TlsSession session, TlsVerdict verdict, string? fix, Dictionary<string, bool>? accepted)
    {
        var text = new StringBuilder();
        void Line(string label, string value) => text.Append(CultureInfo.InvariantCulture, $"{label,-11}{value}\n");
        Line("endpoint", target.ToString());
        Line("protocol", session.ProtocolName);
        Line("cipher", session.CipherSuite.ToString());
        Line("ALPN", session.Alpn ?? "none agreed");
        Line("SNI sent", session.ServerName ?? "none (an IP address is not sent as SNI)");
        Line("handshake", string.Create(CultureInfo.InvariantCulture, $"{session.HandshakeTime.TotalMilliseconds:F1} ms"));
        text.Append("chain\n");
        for (var i = 0; i < verdict.Chain.Count; i++)
        {
            var c = Describe(verdict.Chain[i]);
            text.Append(CultureInfo.InvariantCulture, $"  {i}  subject  {c.Subject}\n");
            text.Append(CultureInfo.InvariantCulture, $"     issuer   {c.Issuer}\n");
            if (c.Names.Count > 0) text.Append(CultureInfo.InvariantCulture, $"     names    {string.Join(", ", c.Names)}\n");
            text.Append(CultureInfo.InvariantCulture, $"     key      {c.Key}\n");
            var left = c.DaysLeft < 0 ? $"EXPIRED {-c.DaysLeft} days ago" : $"{c.DaysLeft} days left";
            text.Append(CultureInfo.InvariantCulture, $"     valid    {c.NotBefore} to {c.NotAfter} ({left})\n");
        }
        if (accepted is not null)
            Line("versions", string.Join(", ", accepted.Select(v => $"{v.Key} {(v.Value ? "accepted" : "refused")}")));
        Line("verdict", verdict.Trusted ? "trusted" : $"NOT trusted: {verdict.Problem}{(fix is null ? "" : $"; {fix}")}");
        return text.ToString();
    }
}
