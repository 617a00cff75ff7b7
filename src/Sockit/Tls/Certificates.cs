using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Sockit.Tls;

/// <summary>Certificates from files (PEM or PKCS#12), made in memory, written as PEM, and described for people.</summary>
internal static class Certificates
{
    /// <summary>The names a server certificate made here covers when none are given.</summary>
    public static readonly IReadOnlyList<string> LocalNames = ["localhost", "127.0.0.1", "::1"];

    /// <summary>
    /// A certificate with its private key from <paramref name="certificateFile"/> (PEM, with the key there or in
    /// <paramref name="keyFile"/>; or PKCS#12), and the further certificates of a PEM file as its chain.
    /// </summary>
    /// <exception cref="SockitException">A file is missing, unreadable, or holds no usable certificate or key.</exception>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Chain) Load(string certificateFile, string? keyFile, string? password = null)
    {
        var text = Read(certificateFile);
        try
        {
            if (!text.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(certificateFile, password);
                var leaf = all.FirstOrDefault(c => c.HasPrivateKey)
                    ?? throw new SockitException(SockitError.InvalidArgument, $"{certificateFile} holds no certificate with a private key");
                var rest = new X509Certificate2Collection();
                foreach (var c in all) if (!ReferenceEquals(c, leaf)) rest.Add(c);
                return (leaf, rest);
            }
            var keyText = keyFile is null ? text : Read(keyFile);
            if (!keyText.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
                throw new SockitException(SockitError.InvalidArgument, keyFile is null
                    ? $"{certificateFile} holds no private key; give the key file too"
                    : $"{keyFile} holds no private key in PEM");
            var certificate = X509Certificate2.CreateFromPem(text, keyText);
            var chain = new X509Certificate2Collection();
            chain.ImportFromPem(text);
            var others = new X509Certificate2Collection();
            foreach (var c in chain) if (c.Thumbprint != certificate.Thumbprint) others.Add(c);
            return (certificate, others);
        }
        catch (CryptographicException ex)
        {
            throw new SockitException(SockitError.InvalidArgument, $"cannot load the certificate from {certificateFile}{(keyFile is null ? "" : $" and {keyFile}")}: {ex.Message.TrimEnd('.')}");
        }
    }

    /// <summary>Every certificate in a PEM (or DER) file: the authorities to trust.</summary>
    public static X509Certificate2Collection LoadAuthorities(string file)
    {
        var text = Read(file);
        var all = new X509Certificate2Collection();
        try
        {
            if (text.Contains("-----BEGIN", StringComparison.Ordinal)) all.ImportFromPem(text);
            else all.Add(X509CertificateLoader.LoadCertificateFromFile(file));
        }
        catch (CryptographicException ex)
        {
            throw new SockitException(SockitError.InvalidArgument, $"cannot read certificates from {file}: {ex.Message.TrimEnd('.')}");
        }
        if (all.Count == 0) throw new SockitException(SockitError.InvalidArgument, $"{file} holds no certificate in PEM");
        return all;
    }

    private static string Read(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SockitException(SockitError.InvalidArgument, $"cannot read {file}: {ex.Message.TrimEnd('.')}");
        }
    }

    /// <summary>A self-signed server certificate (ECDSA P-256) for <paramref name="names"/>, valid for 30 days from an hour ago.</summary>
    public static X509Certificate2 CreateSelfSigned(IEnumerable<string> names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var list = names.ToList();
        var request = new CertificateRequest($"CN={list[0]}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(SubjectAlternativeNames(list));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddHours(-1), now.AddDays(30));
    }

    /// <summary>A test certificate authority (ECDSA P-256, ten years) named <paramref name="name"/>.</summary>
    public static X509Certificate2 CreateAuthority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=Sockit test CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddHours(-1), now.AddYears(10));
    }

    /// <summary>A leaf for <paramref name="names"/> signed by <paramref name="authority"/> (which must hold its key), valid a year.</summary>
    public static X509Certificate2 Issue(X509Certificate2 authority, IReadOnlyList<string> names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(SubjectAlternativeNames(names));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var signed = request.Create(authority, now.AddHours(-1), now.AddYears(1) < authority.NotAfter ? now.AddYears(1) : authority.NotAfter, serial);
        return signed.CopyWithPrivateKey(key);
    }

    private static X509Extension SubjectAlternativeNames(IEnumerable<string> names)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var address)) san.AddIpAddress(address);
            else san.AddDnsName(name);
        }
        return san.Build();
    }

    /// <summary>The certificate in PEM.</summary>
    public static string ToPem(X509Certificate2 certificate) => certificate.ExportCertificatePem() + "\n";

    /// <summary>The private key in PEM (PKCS#8).</summary>
    public static string KeyToPem(X509Certificate2 certificate)
    {
        using AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey()
            ?? throw new SockitException(SockitError.InvalidArgument, "the certificate has no private key to write");
        return key.ExportPkcs8PrivateKeyPem() + "\n";
    }

    /// <summary>The SHA-256 fingerprint as openssl prints it: AB:CD:...</summary>
    public static string Fingerprint(X509Certificate2 certificate) =>
        string.Join(':', certificate.GetCertHash(HashAlgorithmName.SHA256).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The DNS names and IP addresses a certificate covers (its SANs; else its common name).</summary>
    public static IReadOnlyList<string> Names(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is not X509SubjectAlternativeNameExtension san) continue;
            names.AddRange(san.EnumerateDnsNames());
            names.AddRange(san.EnumerateIPAddresses().Select(a => a.ToString()));
        }
        if (names.Count == 0 && certificate.GetNameInfo(X509NameType.SimpleName, false) is { Length: > 0 } cn) names.Add(cn);
        return names;
    }

    /// <summary>The key's type and size, such as "ECDSA P-256" or "RSA 2048".</summary>
    public static string KeyType(X509Certificate2 certificate)
    {
        using var ec = certificate.GetECDsaPublicKey();
        if (ec is not null)
        {
            var curve = ec.ExportParameters(false).Curve;
            var name = curve.Oid.FriendlyName switch
            {
                "nistP256" or "ECDSA_P256" => "P-256",
                "nistP384" or "ECDSA_P384" => "P-384",
                "nistP521" or "ECDSA_P521" => "P-521",
                var other => other ?? curve.Oid.Value ?? "?",
            };
            return $"ECDSA {name}";
        }
        using var rsa = certificate.GetRSAPublicKey();
        if (rsa is not null) return $"RSA {rsa.KeySize}";
        return certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value ?? "unknown";
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="file"/>, readable by the owner only when it holds a key.</summary>
    public static void Write(string file, string text, bool secret = false)
    {
        try
        {
            if (secret && !OperatingSystem.IsWindows())
            {
                using var stream = new FileStream(file, new FileStreamOptions
                {
                    Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
                stream.Write(Encoding.ASCII.GetBytes(text));
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                return;
            }
            File.WriteAllText(file, text);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SockitException(SockitError.InvalidArgument, $"cannot write {file}: {ex.Message.TrimEnd('.')}");
        }
    }
}
