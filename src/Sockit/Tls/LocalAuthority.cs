using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sockit.Tls;

/// <summary>
/// A test certificate authority kept in a directory (ca.pem and ca-key.pem), made on first use and reused after, that
/// issues leaf certificates: mkcert's job, without touching the system's trust store.
/// </summary>
internal sealed class LocalAuthority
{
    /// <summary>The file names in the directory.</summary>
    public const string CaFile = "ca.pem", CaKeyFile = "ca-key.pem";

    private LocalAuthority(X509Certificate2 certificate, string directory, bool created)
    {
        Certificate = certificate;
        Directory = directory;
        Created = created;
    }

    /// <summary>The authority's certificate, with its key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Where it is kept.</summary>
    public string Directory { get; }

    /// <summary>True when it was made now rather than found.</summary>
    public bool Created { get; }

    /// <summary>The CA in <paramref name="directory"/>, made (and the directory with it) when there is none.</summary>
    /// <exception cref="SockitException">The directory cannot be made or written, or holds a CA that cannot be read.</exception>
    public static LocalAuthority OpenOrCreate(string directory)
    {
        var caPath = Path.Combine(directory, CaFile);
        var keyPath = Path.Combine(directory, CaKeyFile);
        if (File.Exists(caPath))
        {
            if (!File.Exists(keyPath))
                throw new SockitException(SockitError.InvalidArgument, $"{caPath} exists but its key {keyPath} does not; remove {caPath} to make a new CA");
            return new LocalAuthority(Certificates.Load(caPath, keyPath).Certificate, directory, created: false);
        }
        try
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SockitException(SockitError.InvalidArgument, $"cannot make the directory {directory}: {ex.Message.TrimEnd('.')}");
        }
        var authority = Certificates.CreateAuthority($"Sockit test CA {Environment.UserName}@{Environment.MachineName}");
        Certificates.Write(keyPath, Certificates.KeyToPem(authority), secret: true);
        Certificates.Write(caPath, Certificates.ToPem(authority));
        return new LocalAuthority(authority, directory, created: true);
    }

    /// <summary>Issues a leaf for <paramref name="names"/> and writes it and its key to <paramref name="certificateFile"/> and <paramref name="keyFile"/>.</summary>
    public X509Certificate2 IssueTo(IReadOnlyList<string> names, string certificateFile, string keyFile)
    {
        if (names.Count == 0) throw new SockitException(SockitError.InvalidArgument, "no name to make a certificate for");
        X509Certificate2 leaf;
        try
        {
            leaf = Certificates.Issue(Certificate, names);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            throw new SockitException(SockitError.InvalidArgument, $"cannot make a certificate for {string.Join(", ", names)}: {ex.Message.TrimEnd('.')}");
        }
        Certificates.Write(keyFile, Certificates.KeyToPem(leaf), secret: true);
        Certificates.Write(certificateFile, Certificates.ToPem(leaf));
        return leaf;
    }
}
