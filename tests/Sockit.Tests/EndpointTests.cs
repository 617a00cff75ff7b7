using Sockit.Endpoints;

namespace Sockit.Tests;

public sealed class EndpointTests
{
    [Theory]
    [InlineData("127.0.0.1:80", TransportKind.Tcp, "127.0.0.1", 80, "127.0.0.1:80")]
    [InlineData("tcp://localhost:8080", TransportKind.Tcp, "localhost", 8080, "localhost:8080")]
    [InlineData("[::1]:443", TransportKind.Tcp, "::1", 443, "[::1]:443")]
    [InlineData(":5000", TransportKind.Tcp, "127.0.0.1", 5000, "127.0.0.1:5000")]
    [InlineData("*:5000", TransportKind.Tcp, "*", 5000, "*:5000")]
    [InlineData("udp://127.0.0.1:53", TransportKind.Udp, "127.0.0.1", 53, "udp://127.0.0.1:53")]
    [InlineData("udp://[::1]:0", TransportKind.Udp, "::1", 0, "udp://[::1]:0")]
    [InlineData("localhost:http", TransportKind.Tcp, "localhost", 80, "localhost:80")]
    [InlineData("udp://localhost:domain", TransportKind.Udp, "localhost", 53, "udp://localhost:53")]
    public void Parses_ip_forms(string text, TransportKind transport, string host, int port, string canonical)
    {
        var endpoint = Endpoint.Parse(text);
        Assert.Equal(transport, endpoint.Transport);
        Assert.Equal(host, endpoint.Host);
        Assert.Equal(port, endpoint.Port);
        Assert.Equal(canonical, endpoint.ToString());
        Assert.Equal(endpoint, Endpoint.Parse(endpoint.ToString())); // the canonical form reads back
    }

    [Theory]
    [InlineData("unix:///tmp/a.sock", TransportKind.Unix, "/tmp/a.sock", false)]
    [InlineData("unix://@sockit", TransportKind.Unix, "sockit", true)]
    [InlineData("unixgram:///run/x.sock", TransportKind.UnixDatagram, "/run/x.sock", false)]
    [InlineData("/tmp/b.sock", TransportKind.Unix, "/tmp/b.sock", false)]
    [InlineData("./rel.sock", TransportKind.Unix, "./rel.sock", false)]
    public void Parses_unix_forms(string text, TransportKind transport, string path, bool isAbstract)
    {
        var endpoint = Endpoint.Parse(text);
        Assert.Equal(transport, endpoint.Transport);
        Assert.Equal(path, endpoint.Path);
        Assert.Equal(isAbstract, endpoint.IsAbstract);
        Assert.True(endpoint.IsUnixDomain);
        Assert.Equal(endpoint, Endpoint.Parse(endpoint.ToString()));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("host", "there is no port")]
    [InlineData("host:", "the port is missing")]
    [InlineData("host:65536", "out of range")]
    [InlineData("::1:80", "needs brackets")]
    [InlineData("[::1]80", "a port must follow")]
    [InlineData("[127.0.0.1]:80", "is not an IPv6 address")]
    [InlineData("[::1:80", "no ']' closes it")]
    [InlineData("bad host:80", "not a valid host name")]
    [InlineData("sctp://h:1", "unknown scheme 'sctp'")]
    [InlineData("unix://", "the socket path is empty")]
    [InlineData("unix://@", "abstract socket name after '@' is empty")]
    [InlineData("h:notaservice", "neither a port number nor a known tcp service")]
    public void Rejects_bad_forms_with_a_reason(string text, string reason)
    {
        Assert.False(Endpoint.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
        var ex = Assert.Throws<SockitException>(() => Endpoint.Parse(text));
        Assert.True(ex.IsUsageError);
        Assert.Contains(Endpoint.AcceptedForms, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_a_unix_path_longer_than_sun_path()
    {
        Assert.False(Endpoint.TryParse("unix:///" + new string('a', 120), out _, out var error));
        Assert.Contains("107 bytes", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Reads_services_file_format()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "# comment\nhttp\t\t80/tcp\t\twww # WorldWideWeb\ndomain 53/udp\n");
        try
        {
            var map = ServiceNames.Load(file);
            Assert.Equal(80, map["http/tcp"]);
            Assert.Equal(80, map["www/tcp"]);
            Assert.Equal(53, map["domain/udp"]);
            Assert.False(map.ContainsKey("domain/tcp"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
