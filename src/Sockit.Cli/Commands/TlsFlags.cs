using System.CommandLine;
using Sockit.Cli.Rendering;
using Sockit.Endpoints;
using Sockit.Tls;

namespace Sockit.Cli.Commands;

/// <summary>The options of a server on a tls:// endpoint (serve, proxy's LISTEN): certificate, client certificates, versions, ALPN.</summary>
internal sealed class TlsServerFlags
{
    private readonly Option<string?> _cert = new("--cert")
    {
        HelpName = "file",
        Description = "tls:// server: the certificate, PEM (with its chain; the key too, or in --key) or PKCS#12. " +
                      "Without it, one for localhost, 127.0.0.1 and ::1 is made in memory and its fingerprint printed",
    };
    private readonly Option<string?> _key = new("--key") { HelpName = "file", Description = "tls:// server: the private key of --cert, PEM" };
    private readonly Option<string?> _certOut = new("--cert-out") { HelpName = "file", Description = "tls:// server: write the certificate in PEM to FILE, for clients to trust (--ca)" };
    private readonly Option<string[]> _sniCert = new("--sni-cert")
    {
        HelpName = "cert[,key]",
        Description = "tls:// server: another certificate (PEM), served to clients that ask for one of its names (SNI); repeatable. --cert serves the rest",
    };
    private readonly Option<string?> _clientCa = new("--client-ca") { HelpName = "file", Description = "tls:// server: require client certificates signed by this CA (PEM); refuse the rest (mutual TLS)" };
    private readonly Option<string?> _min = new("--tls-min") { HelpName = "version", Description = "Lowest TLS version allowed: 1.2 or 1.3 (default: 1.2)" };
    private readonly Option<string?> _max = new("--tls-max") { HelpName = "version", Description = "Highest TLS version allowed: 1.2 or 1.3 (default: 1.3)" };
    private readonly Option<string?> _alpn = new("--alpn") { HelpName = "list", Description = "Application protocols offered (ALPN), comma-separated, most preferred first: h2,http/1.1" };
    private readonly Option<TimeSpan?> _timeout = CommonOptions.Duration("--handshake-timeout", null,
        "tls:// server: cut a client whose TLS handshake has not finished after this long", TimeSpan.FromSeconds(10));

    public TlsServerFlags(Command command)
    {
        foreach (var option in new Option[] { _cert, _key, _sniCert, _certOut, _clientCa, _min, _max, _alpn, _timeout }) command.Add(option);
    }

    /// <summary>The TLS options for a server on <paramref name="local"/>; null when it is not tls://.</summary>
    public TlsServerOptions? Build(ParseResult parse, Endpoint? local)
    {
        var given = new Option[] { _cert, _key, _sniCert, _certOut, _clientCa, _min, _max, _alpn }.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false });
        if (local is null || !local.IsTls)
        {
            if (given is not null) throw new UsageException($"{given.Name} applies to a TLS server; listen on tls://HOST:PORT or tls+unix:///path");
            return null;
        }
        var certFile = parse.GetValue(_cert);
        if (certFile is null && parse.GetValue(_key) is not null) throw new UsageException("--key goes with --cert; give the certificate too");
        X509Pair pair;
        if (certFile is null)
        {
            var made = Certificates.CreateSelfSigned(Certificates.LocalNames);
            Reporter.Info($"TLS certificate made for {string.Join(", ", Certificates.LocalNames)} (self-signed, ECDSA P-256, 30 days); " +
                          $"SHA-256 fingerprint {Certificates.Fingerprint(made)}");
            pair = new(made, null);
        }
        else
        {
            var (certificate, chain) = Load(() => Certificates.Load(certFile, parse.GetValue(_key), Environment.GetEnvironmentVariable("SOCKIT_CERT_PASSWORD")));
            pair = new(certificate, chain);
        }
        if (parse.GetValue(_certOut) is { } certOut)
        {
            Load(() =>
            {
                Certificates.Write(certOut, Certificates.ToPem(pair.Certificate));
                return 0;
            });
        }
        var clientCa = parse.GetValue(_clientCa) is { } caFile ? Load(() => Certificates.LoadAuthorities(caFile)) : null;
        var byName = (parse.GetValue(_sniCert) ?? []).Select(spec =>
        {
            var parts = spec.Split(',', 2);
            return Load(() => Certificates.Load(parts[0], parts.Length > 1 ? parts[1] : null).Certificate);
        }).ToList();
        return new TlsServerOptions
        {
            Certificate = pair.Certificate,
            Chain = pair.Chain,
            ClientCa = clientCa,
            ByName = byName,
            Protocols = Load(() => Versions.Range(parse.GetValue(_min), parse.GetValue(_max))),
            Alpn = TlsClientFlags.SplitList(parse.GetValue(_alpn)),
            HandshakeTimeout = parse.GetValue(_timeout) ?? TimeSpan.FromSeconds(10),
        };
    }

    private sealed record X509Pair(System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate,
        System.Security.Cryptography.X509Certificates.X509Certificate2Collection? Chain);

    /// <summary>A file the user named that cannot be used is a usage error: exit 2, with the library's words.</summary>
    internal static T Load<T>(Func<T> load)
    {
        try
        {
            return load();
        }
        catch (SockitException ex) when (ex.Error == SockitError.InvalidArgument)
        {
            throw new UsageException(ex.Message);
        }
    }
}

/// <summary>The options of a TLS client (connect, bench, wait, scan, tls, and proxy's upstream under --upstream-…).</summary>
internal sealed class TlsClientFlags
{
    private readonly string _prefix;
    private readonly Option<string?> _ca, _sni, _alpn, _cert, _key, _min, _max;
    private readonly Option<bool> _insecure;

    /// <param name="command">Where the options go.</param>
    /// <param name="prefix">"upstream-" for a proxy's upstream side; "" for a client.</param>
    /// <param name="versions">Whether to add --tls-min and --tls-max (a proxy's server side has them already).</param>
    public TlsClientFlags(Command command, string prefix = "", bool versions = true)
    {
        _prefix = prefix;
        var side = prefix.Length == 0 ? "tls:// client" : "tls:// upstream";
        _ca = new($"--{prefix}ca") { HelpName = "file", Description = $"{side}: trust the server certificates signed by this CA (PEM) instead of the system's store" };
        _insecure = prefix.Length == 0 ? new($"--insecure", "-k") : new($"--{prefix}insecure");
        _insecure.Description = $"{side}: accept any server certificate (no chain, name or date checks), for testing";
        _sni = new($"--{prefix}sni") { HelpName = "name", Description = $"{side}: the server name to send (SNI) and check the certificate against (default: the host connected to)" };
        _alpn = new($"--{prefix}alpn") { HelpName = "list", Description = $"{side}: application protocols to offer (ALPN), comma-separated: h2,http/1.1" };
        _cert = new($"--{prefix}cert") { HelpName = "file", Description = $"{side}: a client certificate (PEM, key inside or in --{prefix}key; or PKCS#12), for mutual TLS" };
        _key = new($"--{prefix}key") { HelpName = "file", Description = $"{side}: the private key of --{prefix}cert, PEM" };
        _min = new($"--{prefix}tls-min") { HelpName = "version", Description = $"{side}: lowest TLS version to offer, 1.2 or 1.3" };
        _max = new($"--{prefix}tls-max") { HelpName = "version", Description = $"{side}: highest TLS version to offer, 1.2 or 1.3" };
        foreach (var option in new Option[] { _ca, _insecure, _sni, _alpn, _cert, _key }) command.Add(option);
        if (versions)
        {
            command.Add(_min);
            command.Add(_max);
        }
    }

    /// <summary>The client TLS options for <paramref name="target"/>; null when it is not tls:// (and then no TLS flag may be given).</summary>
    public TlsClientOptions? Build(ParseResult parse, Endpoint? target, bool anyTarget = false)
    {
        if (target is null || !target.IsTls)
        {
            if (!anyTarget && new Option[] { _ca, _insecure, _sni, _alpn, _cert, _key, _min, _max }.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } given)
            {
                var what = _prefix.Length == 0 ? "a TLS endpoint; connect to tls://HOST:PORT" : "a TLS upstream; give it as tls://HOST:PORT";
                throw new UsageException($"{given.Name} applies to {what}");
            }
            if (!anyTarget) return null;
        }
        return Build(parse);
    }

    /// <summary>The client TLS options the flags describe.</summary>
    public TlsClientOptions Build(ParseResult parse)
    {
        var certFile = parse.GetValue(_cert);
        if (certFile is null && parse.GetValue(_key) is not null) throw new UsageException($"--{_prefix}key goes with --{_prefix}cert; give the certificate too");
        var insecure = parse.GetValue(_insecure);
        if (insecure && parse.GetValue(_ca) is not null) throw new UsageException($"--{_prefix}ca and --{_prefix}insecure contradict each other; pick one");
        return new TlsClientOptions
        {
            TrustedCa = parse.GetValue(_ca) is { } ca ? TlsServerFlags.Load(() => Certificates.LoadAuthorities(ca)) : null,
            Insecure = insecure,
            ServerName = parse.GetValue(_sni),
            Alpn = SplitList(parse.GetValue(_alpn)),
            Certificate = certFile is null ? null
                : TlsServerFlags.Load(() => Certificates.Load(certFile, parse.GetValue(_key), Environment.GetEnvironmentVariable("SOCKIT_CERT_PASSWORD")).Certificate),
            Protocols = TlsServerFlags.Load(() => Versions.Range(parse.GetValue(_min), parse.GetValue(_max))),
        };
    }

    public static IReadOnlyList<string> SplitList(string? text) =>
        text is null ? [] : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
