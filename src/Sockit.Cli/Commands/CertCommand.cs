using System.CommandLine;
using Sockit.Cli.Rendering;
using Sockit.Tls;

namespace Sockit.Cli.Commands;

/// <summary><c>sockit cert NAME… --out DIR</c>: a certificate for the names, signed by a test CA kept in DIR.</summary>
internal static class CertCommand
{
    public static Command Create()
    {
        var names = new Argument<string[]>("names")
        {
            Description = "Host names and IP addresses the certificate covers, such as localhost 127.0.0.1 ::1 (default: those three)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var output = new Option<string>("--out", "-o") { HelpName = "dir", Description = "Where to keep the test CA and write the certificate", DefaultValueFactory = _ => "." };
        var certFile = new Option<string>("--cert-file") { HelpName = "name", Description = "The certificate's file name in DIR", DefaultValueFactory = _ => "cert.pem" };
        var keyFile = new Option<string>("--key-file") { HelpName = "name", Description = "The key's file name in DIR", DefaultValueFactory = _ => "key.pem" };
        var command = new Command("cert", "Make a certificate for NAMEs signed by a local test CA (kept in DIR as ca.pem and reused): DIR/cert.pem, DIR/key.pem. " +
                                          "Nothing is added to the system's trust store: clients trust DIR/ca.pem with --ca")
        {
            names, output, certFile, keyFile,
        };
        command.SetAction(parse =>
        {
            var directory = parse.GetValue(output)!;
            var given = parse.GetValue(names) is { Length: > 0 } list ? list : [.. Certificates.LocalNames];
            var authority = TlsServerFlags.Load(() => LocalAuthority.OpenOrCreate(directory));
            var certPath = Path.Combine(directory, parse.GetValue(certFile)!);
            var keyPath = Path.Combine(directory, parse.GetValue(keyFile)!);
            var leaf = TlsServerFlags.Load(() => authority.IssueTo(given, certPath, keyPath));
            var caPath = Path.Combine(directory, LocalAuthority.CaFile);
            Reporter.Info($"{(authority.Created ? "made a test CA" : "using the test CA")} in {caPath} (its key: {Path.Combine(directory, LocalAuthority.CaKeyFile)})");
            Reporter.Info($"wrote {certPath} and {keyPath} for {string.Join(", ", given)}, valid until {leaf.NotAfter.ToUniversalTime():yyyy-MM-dd}");
            Reporter.Info($"serve with --cert {certPath} --key {keyPath}; clients trust it with --ca {caPath} (curl --cacert {caPath})");
            return CliRunner.Ok;
        });
        return command;
    }
}
