using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Proxies;
using Sockit.Servers;
using Sockit.Tls;
using Sockit.Transport;

namespace Sockit.Tests;

/// <summary>TLS as a layer on the one connection: every service unchanged over it, and every failure in words.</summary>
public sealed class TlsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static readonly Lazy<X509Certificate2> Localhost = new(() => Certificates.CreateSelfSigned(Certificates.LocalNames));

    private static TlsServerOptions ServerTls(X509Certificate2? certificate = null) => new() { Certificate = certificate ?? Localhost.Value };

    private static DialOptions Trusting(X509Certificate2? certificate = null, string? serverName = null) => new()
    {
        Tls = new TlsClientOptions { TrustedCa = [certificate ?? Localhost.Value], ServerName = serverName },
    };

    public static TheoryData<string> Endpoints => new() { "tls://127.0.0.1:0", "tls://[::1]:0", $"tls+unix:///tmp/sockit-tls-{Guid.NewGuid():N}.sock" };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Echo_works_unchanged_over_tls(string endpoint)
    {
        await using var server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse(endpoint), new ServerOptions { Tls = ServerTls() }, Token);
        Assert.True(server.LocalEndpoint.IsTls);
        await using var client = await Dialer.ConnectAsync(server.LocalEndpoint, Trusting(), Token);
        var sending = client.SendAndShutdownAsync(Encoding.ASCII.GetBytes("over tls\n"));
        Assert.Equal("over tls\n", Encoding.ASCII.GetString(await client.ReadToEndAsync()));
        await sending;
        Assert.NotNull(client.Tls);
        Assert.True(client.Tls!.Verdict!.Trusted);
        Assert.Equal(9, client.BytesSent); // plaintext, not the records on the wire
    }

    [Fact]
    public async Task Alpn_and_version_range_are_agreed()
    {
        var options = new ServerOptions { Tls = ServerTls() with { Alpn = ["h2", "http/1.1"], Protocols = Versions.Range("1.2", "1.2") } };
        await using var server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("tls://127.0.0.1:0"), options, Token);
        var dial = Trusting() with { Tls = Trusting().Tls! with { Alpn = ["http/1.1"] } };
        await using var client = await Dialer.ConnectAsync(server.LocalEndpoint, dial, Token);
        Assert.Equal("http/1.1", client.Tls!.Alpn);
        Assert.Equal("TLSv1.2", client.Tls.ProtocolName);
    }

    [Fact]
    public async Task A_certificate_for_another_name_is_refused_in_words()
    {
        var other = Certificates.CreateSelfSigned(["example.test"]);
        await using var server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("tls://127.0.0.1:0"), new ServerOptions { Tls = ServerTls(other) }, Token);
        var error = await Assert.ThrowsAsync<SockitException>(() => Dialer.ConnectAsync(server.LocalEndpoint, Trusting(other), Token));
        Assert.Equal(SockitError.CertificateNameMismatch, error.Error);
        Assert.Equal("certificate for example.test is not valid for 127.0.0.1", error.Message);
        // Connecting by that name (SNI and the check both use it) is the fix.
        await using var fixedByName = await Dialer.ConnectAsync(server.LocalEndpoint, Trusting(other, "example.test"), Token);
        Assert.Equal("example.test", fixedByName.Tls!.ServerName);
    }

    [Fact]
    public async Task A_certificate_is_picked_by_the_name_the_client_asks_for()
    {
        var other = Certificates.CreateSelfSigned(["other.test"]);
        var options = new ServerOptions { Tls = ServerTls() with { ByName = [other] } };
        await using var server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("tls://127.0.0.1:0"), options, Token);
        await using var byName = await Dialer.ConnectAsync(server.LocalEndpoint, Trusting(other, "other.test"), Token);
        Assert.Equal(other.Thumbprint, byName.Tls!.PeerCertificate!.Thumbprint);
        await using var byDefault = await Dialer.ConnectAsync(server.LocalEndpoint, Trusting(), Token);
        Assert.Equal(Localhost.Value.Thumbprint, byDefault.Tls!.PeerCertificate!.Thumbprint);
    }

    [Fact]
    public async Task Untrusted_and_expired_certificates_say_which()
    {
        await using var server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("tls://127.0.0.1:0"), new ServerOptions { Tls = ServerTls() }, Token);
        var untrusted = await Assert.ThrowsAsync<SockitException>(() => Dialer.ConnectAsync(server.LocalEndpoint, new DialOptions(), Token));
        Assert.Equal(SockitError.CertificateUntrusted, untrusted.Error);
        Assert.Contains("is self-signed and not trusted", untrusted.Message, StringComparison.Ordinal);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        var expired = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        await using var old = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("tls://127.0.0.1:0"), new ServerOptions { Tls = ServerTls(expired) }, Token);
        var error = await Assert.ThrowsAsync<SockitException>(() => Dialer.ConnectAsync(old.LocalEndpoint, Trusting(expired), Token));
        Assert.Equal(SockitError.CertificateExpired, error.Error);
        Assert.StartsWith("certificate for 127.0.0.1 expired on ", error.Message, StringComparison.Ordinal);
        // Insecure lets it through, and still says what was wrong.
        await using var anyway = await Dialer.ConnectAsync(old.LocalEndpoint, new DialOptions { Tls = new TlsClientOptions { Insecure = true } }, Token);
        Assert.False(anyway.Tls!.Verdict!.Trusted);
    }

    [Fact]
    public async Task Plain_http_on_a_tls_port_gets_400_and_is_logged()
    {
        var log = new ConcurrentQueue<ConnectionRecord>();
        var options = new ServerOptions { Tls = ServerTls(), OnConnection = log.Enqueue };
        await using var server = await TestServer.StartAsync(ServerKind.HttpEcho, Endpoint.Parse("tls://127.0.0.1:0"), options, Token);
        await using var plain = await Dialer.ConnectAsync(server.LocalEndpoint.WithTls(false), cancellationToken: Token);
        var sending = plain.SendAndShutdownAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var answer = Encoding.ASCII.GetString(await plain.ReadToEndAsync());
        await sending;
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", answer, StringComparison.Ordinal);
        var summary = await server.StopAsync(Token);
        Assert.Contains(log, r => r.Outcome.StartsWith("plain text on a TLS port", StringComparison.Ordinal));
        Assert.Equal(1, summary.Limits[HostLimit.TlsRefused]);
    }

    /// <summary>A client that connects and never says hello holds its slot until the timeout, and nobody else waits for it.</summary>
    [Fact]
    public async Task A_handshake_that_never_finishes_is_cut_and_costs_others_nothing()
    {
        var options = new ServerOptions { Tls = ServerTls() with { HandshakeTimeout = TimeSpan.FromSeconds(3) } };
        await using var server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("tls://127.0.0.1:0"), options, Token);
        await using var silent = await Dialer.ConnectAsync(server.LocalEndpoint.WithTls(false), cancellationToken: Token);

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await using (var other = await Dialer.ConnectAsync(server.LocalEndpoint, Trusting(), Token))
        {
            var sending = other.SendAndShutdownAsync("meanwhile"u8.ToArray());
            Assert.Equal("meanwhile", Encoding.ASCII.GetString(await other.ReadToEndAsync()));
            await sending;
        }
        // Well inside the silent client's 3 s: a first handshake in a fresh process on a loaded machine can take a while.
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(2.5), "the other client waited for the silent one");

        Assert.Equal(0, await silent.ReceiveAsync(new byte[16], Token)); // closed by the server at the timeout
        var summary = await server.StopAsync(Token);
        Assert.Equal(1, summary.Limits[HostLimit.HandshakeTimeout]);
    }

    [Fact]
    public async Task Mutual_tls_admits_a_client_signed_by_the_client_ca_and_refuses_others()
    {
        var directory = Directory.CreateTempSubdirectory("sockit-mtls-").FullName;
        try
        {
            var authority = LocalAuthority.OpenOrCreate(directory);
            var client = authority.IssueTo(["client.test"], Path.Combine(directory, "client.pem"), Path.Combine(directory, "client-key.pem"));
            var log = new ConcurrentQueue<ConnectionRecord>();
            var options = new ServerOptions { Tls = ServerTls() with { ClientCa = [authority.Certificate] }, OnConnection = log.Enqueue };
            await using var server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("tls://127.0.0.1:0"), options, Token);

            var admitted = Trusting() with { Tls = Trusting().Tls! with { Certificate = Certificates.Load(Path.Combine(directory, "client.pem"), Path.Combine(directory, "client-key.pem")).Certificate } };
            await using (var connection = await Dialer.ConnectAsync(server.LocalEndpoint, admitted, Token))
            {
                var sending = connection.SendAndShutdownAsync("mtls"u8.ToArray());
                Assert.Equal("mtls", Encoding.ASCII.GetString(await connection.ReadToEndAsync()));
                await sending;
            }
            Assert.Equal("CN=client.test", client.Subject);

            // TLS 1.3 finishes the client's side before the server judges its certificate: the refusal is a closed connection.
            await using (var refused = await Dialer.ConnectAsync(server.LocalEndpoint, Trusting(), Token))
            {
                await refused.SendAsync("no cert"u8.ToArray(), Token);
                Assert.True(await refused.ReceiveOrFailAsync(new byte[16], Token) <= 0);
            }
            await server.StopAsync(Token);
            Assert.Contains(log, r => r.Outcome.Contains("the client sent no certificate", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Random bytes through a terminating proxy (TLS in, plain out) and a re-encrypting one (TLS in, TLS out) to an echo
    /// server and back, hashed as they stream: the plaintext arrives byte for byte. bench/tls.py moves 256 MiB.
    /// </summary>
    [Theory]
    [InlineData("127.0.0.1:0")]
    [InlineData("tls://127.0.0.1:0")]
    public async Task Terminating_and_reencrypting_proxies_relay_byte_exact(string back)
    {
        const int chunk = 1 << 20;
        const int chunks = 24;
        var backEndpoint = Endpoint.Parse(back);
        await using var echo = await TestServer.StartAsync(ServerKind.Echo, backEndpoint, new ServerOptions { Tls = backEndpoint.IsTls ? ServerTls() : null }, Token);
        await using var proxy = await Proxy.StartAsync("tls", Endpoint.Parse("tls://127.0.0.1:0"), echo.LocalEndpoint,
            serverOptions: new ServerOptions { Tls = ServerTls() }, proxyOptions: new ProxyOptions { UpstreamTls = Trusting().Tls }, cancellationToken: Token);
        await using var client = await Dialer.ConnectAsync(proxy.Listen, Trusting(), Token);
        var (sent, received, total) = await client.EchoRandomAsync(chunk, chunks);
        Assert.Equal((long)chunk * chunks, total);
        Assert.Equal(sent, received);
    }

    /// <summary>A TLS session over loopback: the server's end (its handshake done by hand) and the client's.</summary>
    private static async Task<Session> SessionAsync()
    {
        await using var listener = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var dialing = Dialer.ConnectAsync(listener.LocalEndpoint.WithTls(true), Trusting(), Token);
        var server = await listener.AcceptAsync(Token);
        try
        {
            await TlsHandshake.AcceptAsync(server, ServerTls(), Token);
            return new Session(server, await dialing);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private sealed record Session(Connection Server, Connection Client) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    // SslStream does not keep its ShutdownAsync apart from a write under way: close_notify went out as a second send on
    // the socket, into the middle of the write's records. It must wait for the write and follow its last record.
    [Fact]
    public async Task Half_closing_during_a_write_that_waits_sends_close_notify_after_it()
    {
        await using var session = await SessionAsync();
        var (server, client) = (session.Server, session.Client);
        var data = RandomNumberGenerator.GetBytes(16 << 20); // more than the socket buffers hold while nobody reads
        var writing = client.SendAsync(data, Token).AsTask();
        Assert.False(writing.IsCompleted);
        client.ShutdownSend();
        // SslStream refuses a second write while one is under way; the refused call must not let close_notify in early.
        await Assert.ThrowsAsync<SockitException>(async () => await client.SendAsync(new byte[16], Token));
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Token);
        limit.CancelAfter(TimeSpan.FromSeconds(20)); // a lost record or alert shows as a reader left waiting
        var received = new MemoryStream();
        var buffer = new byte[256 * 1024];
        int read;
        while ((read = await server.ReceiveAsync(buffer, limit.Token)) > 0) received.Write(buffer, 0, read);
        await writing;
        Assert.Equal(data.Length, received.Length);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received.ToArray()));
    }

    [Fact]
    public async Task A_session_cut_in_the_middle_of_a_record_says_so_in_words()
    {
        await using var session = await SessionAsync();
        var (server, client) = (session.Server, session.Client);
        // The header of an application-data record of 64 bytes, five of them, then FIN: a cut, not a close_notify.
        await server.RawSendAsync(new byte[] { 0x17, 0x03, 0x03, 0x00, 0x40, 1, 2, 3, 4, 5 }, Token);
        server.RawShutdownSend();
        var cut = await Assert.ThrowsAsync<SockitException>(async () => await client.ReceiveAsync(new byte[64], Token));
        Assert.Contains("in the middle of a TLS record", cut.Message);
    }

    [Theory]
    [InlineData("tls://localhost:443", "tls://localhost:443")]
    [InlineData("TLS://[::1]:8443", "tls://[::1]:8443")]
    [InlineData("tls+unix:///run/app.sock", "tls+unix:///run/app.sock")]
    public void Tls_endpoints_parse_and_print_back(string text, string canonical)
    {
        var endpoint = Endpoint.Parse(text);
        Assert.True(endpoint.IsTls);
        Assert.True(endpoint.IsStream);
        Assert.Equal(canonical, endpoint.ToString());
        Assert.Equal(endpoint, Endpoint.Parse(endpoint.ToString()));
    }
}
