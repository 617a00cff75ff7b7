using System.Globalization;
using System.Text.RegularExpressions;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>tls:// against the TLS peers people use: openssl s_client and s_server, curl, Python's ssl module.</summary>
public sealed class TlsCliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sockit-tls-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string File(string name) => Path.Combine(_directory, name);

    private static async Task<(ChildProcess Server, string Address)> ServeAsync(params string[] arguments)
    {
        var server = SockitCli.Start(["serve", .. arguments]);
        var line = await server.WaitForStderrAsync(l => l.Contains("serving ", StringComparison.Ordinal));
        return (server, line.Split(" on tls://")[1].Split(' ')[0]);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string tool, string stdin, params string[] arguments)
    {
        await using var process = ChildProcess.Start(Peers.Require(tool), arguments);
        await process.WriteAsync(stdin);
        process.CloseStdin();
        var exit = await process.WaitForExitAsync();
        return (exit, await process.ReadStdoutTextAsync(), process.Stderr);
    }

    /// <summary>A server certificate minted by openssl req (ECDSA P-256, for localhost and 127.0.0.1).</summary>
    private async Task<(string Cert, string Key)> OpensslReqAsync()
    {
        var (exit, _, stderr) = await RunAsync("openssl", "", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "1",
            "-keyout", File("req-key.pem"), "-out", File("req.pem"));
        Assert.True(exit == 0, stderr);
        return (File("req.pem"), File("req-key.pem"));
    }

    /// <summary>sockit cert: a test CA in the directory and a leaf for localhost; a second call reuses the CA.</summary>
    private async Task MakeCertificatesAsync()
    {
        var (exit, _, stderr) = await SockitCli.RunAsync("", "cert", "--out", _directory);
        Assert.True(exit == 0, stderr);
        Assert.Contains("made a test CA", stderr, StringComparison.Ordinal);
        (exit, _, stderr) = await SockitCli.RunAsync("", "cert", "client.test", "--out", _directory, "--cert-file", "client.pem", "--key-file", "client-key.pem");
        Assert.True(exit == 0, stderr);
        Assert.Contains("using the test CA", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Openssl_s_client_verifies_the_made_certificate_with_forced_versions()
    {
        var (server, address) = await ServeAsync("echo", "tls://127.0.0.1:0", "--cert-out", File("server.pem"));
        await using var _ = server;
        Assert.Contains("SHA-256 fingerprint ", server.Stderr, StringComparison.Ordinal);
        foreach (var version in new[] { "-tls1_2", "-tls1_3" })
        {
            var (exit, stdout, stderr) = await RunAsync("openssl", "", "s_client", "-connect", address, "-servername", "localhost",
                "-CAfile", File("server.pem"), "-verify_return_error", "-verify_hostname", "localhost", version);
            Assert.True(exit == 0, stderr);
            Assert.Contains("Verify return code: 0 (ok)", stdout, StringComparison.Ordinal);
            Assert.Contains($"New, TLSv1.{version[^1]}, Cipher is ", stdout, StringComparison.Ordinal);
        }
        // TLS 1.1 and older are refused, and so are weak ciphers.
        var (oldExit, _, _) = await RunAsync("openssl", "", "s_client", "-connect", address, "-tls1_1");
        Assert.NotEqual(0, oldExit);
        var (weakExit, _, _) = await RunAsync("openssl", "", "s_client", "-connect", address, "-tls1_2", "-cipher", "NULL:EXPORT:RC4:DES:3DES:MD5:aNULL:@SECLEVEL=0");
        Assert.NotEqual(0, weakExit);
    }

    [Fact]
    public async Task Connect_gives_openssl_s_server_a_client_certificate_and_names_a_missing_one()
    {
        await MakeCertificatesAsync();
        var (cert, key) = await OpensslReqAsync();
        foreach (var withCertificate in new[] { true, false })
        {
            // Port 0, and the port s_server prints once it listens: a port picked for it beforehand could be taken by
            // another test's server in between, and the handshake would go to the wrong server.
            await using var server = ChildProcess.Start(Peers.Require("openssl"), ["s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key,
                "-Verify", "1", "-CAfile", File("ca.pem"), "-verify_return_error", "-rev", "-naccept", "1"]);
            var port = Regex.Match(await server.WaitForStdoutTextAsync(text => Regex.IsMatch(text, @"ACCEPT 127\.0\.0\.1:\d+\n")),
                @"ACCEPT 127\.0\.0\.1:(\d+)").Groups[1].Value;
            string[] client = withCertificate ? ["--cert", File("cert.pem"), "--key", File("key.pem")] : [];
            var (exit, stdout, stderr) = await SockitCli.RunAsync("hello\n", ["connect", $"tls://127.0.0.1:{port}", "--ca", cert, .. client]);
            if (withCertificate)
            {
                Assert.True(exit == 0, stderr);
                Assert.Equal("olleh\n", stdout); // s_server -rev answers each line reversed
            }
            else
            {
                Assert.Equal(1, exit);
                Assert.Equal("sockit: the server requires a client certificate and none was given; give one the server trusts with --cert FILE --key FILE\n", stderr);
            }
        }
    }

    [Fact]
    public async Task Curl_trusts_the_test_ca_and_brings_a_client_certificate_for_mtls()
    {
        await MakeCertificatesAsync();
        var (server, address) = await ServeAsync("http-echo", "tls://127.0.0.1:0", "--cert", File("cert.pem"), "--key", File("key.pem"),
            "--client-ca", File("ca.pem"), "--alpn", "http/1.1", "--log");
        await using var _ = server;
        var port = address.Split(':')[^1];
        var (exit, stdout, stderr) = await RunAsync("curl", "", "-sS", "--cacert", File("ca.pem"), "--cert", File("client.pem"), "--key", File("client-key.pem"),
            $"https://localhost:{port}/hello?status=201");
        Assert.True(exit == 0, stderr);
        Assert.Contains("Response Status: 201 Created", stdout, StringComparison.Ordinal);
        var (refused, _, _) = await RunAsync("curl", "", "-sS", "--cacert", File("ca.pem"), $"https://localhost:{port}/");
        Assert.NotEqual(0, refused);
        await server.WaitForStdoutTextAsync(log => log.Contains("the client sent no certificate", StringComparison.Ordinal));
    }

    /// <summary>
    /// sockit's own servers refuse a client without a certificate by closing (SslStream on Linux sends no alert): the
    /// client must still say why, on TLS 1.3 (refused after the handshake) and 1.2, and not take it for an empty answer.
    /// </summary>
    [Fact]
    public async Task Connect_names_a_missing_client_certificate_to_sockits_own_mtls_server()
    {
        await MakeCertificatesAsync();
        var (server, address) = await ServeAsync("echo", "tls://127.0.0.1:0", "--cert", File("cert.pem"), "--key", File("key.pem"), "--client-ca", File("ca.pem"));
        await using var _ = server;
        var endpoint = $"tls://localhost:{address.Split(':')[^1]}";
        foreach (var version in new[] { "1.3", "1.2" })
        {
            var (exit, stdout, stderr) = await SockitCli.RunAsync("hello\n", "connect", endpoint, "--ca", File("ca.pem"), "--tls-max", version);
            Assert.Equal(1, exit);
            Assert.Equal("", stdout);
            Assert.Equal("sockit: the server asked for a client certificate, none was given, and it closed the connection; give one the server trusts with --cert FILE --key FILE\n", stderr);
        }
        var given = await SockitCli.RunAsync("hello\n", "connect", endpoint, "--ca", File("ca.pem"), "--cert", File("client.pem"), "--key", File("client-key.pem"));
        Assert.True(given.ExitCode == 0, given.Stderr);
        Assert.Equal("hello\n", given.Stdout);
    }

    [Fact]
    public async Task Plain_http_on_the_tls_port_gets_400_like_nginx()
    {
        var (server, address) = await ServeAsync("http-echo", "tls://127.0.0.1:0", "--log");
        await using var _ = server;
        var (exit, stdout, stderr) = await RunAsync("curl", "", "-sS", "-i", $"http://{address}/");
        Assert.True(exit == 0, stderr);
        Assert.StartsWith("HTTP/1.1 400 Bad Request", stdout, StringComparison.Ordinal);
        Assert.Contains("plain HTTP request was sent to an HTTPS port", stdout, StringComparison.Ordinal);
        await server.WaitForStdoutTextAsync(log => log.Contains("plain text on a TLS port", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Python_ssl_client_gets_its_echo_from_a_certificate_made_by_openssl_req()
    {
        var (cert, key) = await OpensslReqAsync();
        var (server, address) = await ServeAsync("echo", "tls://127.0.0.1:0", "--cert", cert, "--key", key);
        await using var _ = server;
        var port = address.Split(':')[^1];
        var script = $$"""
            import socket, ssl
            context = ssl.create_default_context(cafile="{{cert}}")
            with socket.create_connection(("127.0.0.1", {{port}})) as raw:
                with context.wrap_socket(raw, server_hostname="localhost") as tls:
                    tls.sendall(b"from python ssl\n")
                    print(tls.version(), tls.recv(100).decode(), end="")
            """;
        var (exit, stdout, stderr) = await RunAsync("python3", script, "-");
        Assert.True(exit == 0, stderr);
        Assert.Equal("TLSv1.3 from python ssl\n", stdout);
    }

    [Fact]
    public async Task Untrusted_and_wrong_name_certificates_are_one_line_with_the_fix()
    {
        var (server, address) = await ServeAsync("echo", "tls://127.0.0.1:0", "--cert-out", File("server.pem"));
        await using var _ = server;
        var (exit, stdout, stderr) = await SockitCli.RunAsync("x", "connect", $"tls://{address}");
        Assert.Equal(1, exit);
        Assert.Equal("sockit: certificate for localhost, 127.0.0.1, ::1 is self-signed and not trusted; trust its CA with --ca FILE, or --insecure\n", stderr);
        (exit, stdout, stderr) = await SockitCli.RunAsync("x", "connect", $"tls://{address}", "--ca", File("server.pem"), "--sni", "example.test");
        Assert.Equal(1, exit);
        Assert.Equal("sockit: certificate for localhost, 127.0.0.1, ::1 is not valid for example.test; connect by that name, or --sni, or --insecure\n", stderr);
        (exit, stdout, stderr) = await SockitCli.RunAsync("over tls", "connect", $"tls://{address}", "--ca", File("server.pem"));
        Assert.True(exit == 0, stderr);
        Assert.Equal("over tls", stdout);
        (exit, stdout, stderr) = await SockitCli.RunAsync("", "connect", $"127.0.0.1:1", "--ca", File("server.pem"));
        Assert.Equal(2, exit);
        Assert.Equal("sockit: --ca applies to a TLS endpoint; connect to tls://HOST:PORT\n", stderr);
    }

    /// <summary>A terminating proxy shows the plaintext in its hexdump: what an app sends over TLS, readable.</summary>
    [Fact]
    public async Task A_terminating_proxy_dumps_the_plaintext()
    {
        var (echo, echoAddress) = await ServeAsync("echo", "tls://127.0.0.1:0", "--cert-out", File("upstream.pem"));
        await using var _ = echo;
        await using var proxy = SockitCli.Start("proxy", "tls://127.0.0.1:0", $"tls://{echoAddress}", "--upstream-ca", File("upstream.pem"), "--hex");
        var line = await proxy.WaitForStderrAsync(l => l.Contains("relaying ", StringComparison.Ordinal));
        var front = line.Split("relaying ")[1].Split(' ')[0];
        var (exit, stdout, stderr) = await SockitCli.RunAsync("secret-in-plaintext", "connect", front, "-k");
        Assert.True(exit == 0, stderr);
        Assert.Equal("secret-in-plaintext", stdout);
        await proxy.WaitForStderrAsync(l => l.Contains("|secret-in-plaint", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tls_shows_the_handshake_and_chain_and_judges_trust()
    {
        await MakeCertificatesAsync();
        var (server, address) = await ServeAsync("echo", "tls://127.0.0.1:0", "--cert", File("cert.pem"), "--key", File("key.pem"), "--alpn", "h2,http/1.1");
        await using var _ = server;
        var port = address.Split(':')[^1];
        var (exit, stdout, stderr) = await SockitCli.RunAsync("", "tls", $"localhost:{port}", "--ca", File("ca.pem"), "--alpn", "h2", "--json");
        Assert.True(exit == 0, stderr);
        using var json = System.Text.Json.JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.True(root.GetProperty("trusted").GetBoolean());
        Assert.Equal("h2", root.GetProperty("alpn").GetString());
        Assert.Equal("localhost", root.GetProperty("sni").GetString());
        var leaf = root.GetProperty("chain")[0];
        Assert.Equal("ECDSA P-256", leaf.GetProperty("key").GetString());
        Assert.Contains("127.0.0.1", leaf.GetProperty("names").EnumerateArray().Select(n => n.GetString()));

        (exit, stdout, stderr) = await SockitCli.RunAsync("", "tls", $"tls://127.0.0.1:{port}", "--versions");
        Assert.Equal(1, exit);
        Assert.Contains("versions   TLSv1.0 refused, TLSv1.1 refused, TLSv1.2 accepted, TLSv1.3 accepted\n", stdout, StringComparison.Ordinal);
        Assert.Contains("verdict    NOT trusted: certificate for localhost, 127.0.0.1, ::1 is issued by 'CN=Sockit test CA", stdout, StringComparison.Ordinal);
        Assert.Contains("which is not trusted; trust its CA with --ca FILE, or --insecure\n", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_wait_and_scan_speak_tls()
    {
        var (echo, echoAddress) = await ServeAsync("echo", "tls://127.0.0.1:0");
        await using var _ = echo;
        var (http, httpAddress) = await ServeAsync("http-echo", "tls://127.0.0.1:0");
        await using var __ = http;

        var (exit, stdout, stderr) = await SockitCli.RunAsync("", "wait", $"tls://{echoAddress}", "-t", "10s");
        Assert.True(exit == 0, stderr);

        (exit, stdout, stderr) = await SockitCli.RunAsync("", "bench", $"tls://{echoAddress}", "-k", "-m", "connect", "-n", "20");
        Assert.True(exit == 0, stderr);
        Assert.Contains("connections 20 in", stdout, StringComparison.Ordinal);
        Assert.Contains("connect+tls ", stdout, StringComparison.Ordinal);

        (exit, stdout, stderr) = await SockitCli.RunAsync("", "bench", $"https://{httpAddress}/bench", "-k", "-n", "50", "--json");
        Assert.True(exit == 0, stderr);
        using (var json = System.Text.Json.JsonDocument.Parse(stdout))
            Assert.Equal(50, json.RootElement.GetProperty("statuses").GetProperty("200").GetInt64());

        var ports = string.Join(',', echoAddress.Split(':')[^1], httpAddress.Split(':')[^1]);
        (exit, stdout, stderr) = await SockitCli.RunAsync("", "scan", "127.0.0.1", ports, "--tls", "--json");
        Assert.True(exit == 0, stderr);
        using (var json = System.Text.Json.JsonDocument.Parse(stdout))
            Assert.Equal(2, json.RootElement.GetProperty("tls").EnumerateObject().Count());
    }
}
