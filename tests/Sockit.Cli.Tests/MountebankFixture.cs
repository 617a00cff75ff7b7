using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>
/// One mountebank 2.9.1 (<c>mb</c>) and one <c>sockit mock --api</c>, started once for a test class, side by side on
/// free loopback ports, with helpers that make the same API call to both and compare what comes back.
/// </summary>
public sealed class MountebankFixture : IAsyncLifetime
{
    private readonly string _logs = Directory.CreateTempSubdirectory("sockit-mb-").FullName;
    private ChildProcess? _mb;
    private ChildProcess? _sockit;

    public string? SkipReason { get; private set; }

    public Uri MbApi { get; private set; } = null!;

    public Uri SockitApi { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(20) };

    public async ValueTask InitializeAsync()
    {
        var mb = Peers.Find("mb");
        if (mb is null)
        {
            SkipReason = "mountebank is not installed (npm install -g mountebank@2.9.1, as .ci/install-peers does)";
            return;
        }
        var mbPort = Ports.Free();
        _mb = ChildProcess.Start(mb, ["start", "--port", mbPort.ToString(), "--host", "127.0.0.1", "--logfile", Path.Combine(_logs, "mb.log"), "--pidfile", Path.Combine(_logs, "mb.pid")]);
        _sockit = SockitCli.Start("mock", "--api", "127.0.0.1:0", "--quiet");
        var line = await _sockit.WaitForStderrAsync(l => l.Contains("API on http://", StringComparison.Ordinal));
        SockitApi = new Uri("http://" + line.Split("http://")[1].Split(' ')[0]);
        await Ports.WaitForTcpListenerAsync(mbPort, TimeSpan.FromSeconds(30));
        MbApi = new Uri($"http://127.0.0.1:{mbPort}");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (_mb is not null) await _mb.DisposeAsync();
        if (_sockit is not null) await _sockit.DisposeAsync();
        try
        {
            Directory.Delete(_logs, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public void SkipUnlessReady()
    {
        if (SkipReason is null) return;
        if (Peers.RequirePeers) Assert.Fail($"{SkipReason}, and SOCKIT_REQUIRE_PEERS=1 requires it");
        Assert.Skip(SkipReason);
    }

    /// <summary>One API call; the status and the body.</summary>
    public async Task<(int Status, string Body)> CallAsync(Uri api, string method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(api, path));
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await Http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Creates the same imposter (with its own free port) on both; returns the two ports.</summary>
    public async Task<(int Mb, int Sockit)> CreateBothAsync(string imposterJson)
    {
        var ports = new int[2];
        var apis = new[] { MbApi, SockitApi };
        for (var i = 0; i < 2; i++)
        {
            var imposter = JsonNode.Parse(imposterJson)!.AsObject();
            imposter["port"] = ports[i] = Ports.Free();
            var (status, body) = await CallAsync(apis[i], "POST", "/imposters", imposter.ToJsonString());
            Assert.True(status == 201, $"{(i == 0 ? "mountebank" : "sockit")} refused the imposter ({status}): {body}");
        }
        return (ports[0], ports[1]);
    }

    public async Task DeleteBothAsync(int mbPort, int sockitPort)
    {
        await CallAsync(MbApi, "DELETE", $"/imposters/{mbPort}");
        await CallAsync(SockitApi, "DELETE", $"/imposters/{sockitPort}");
    }

    /// <summary>
    /// An API answer with what legitimately differs made equal: the ports, client addresses and timestamps. Keys keep
    /// their order, so the order mountebank prints them in is compared too.
    /// </summary>
    public static string Normalize(string json, int imposterPort, Uri api)
    {
        var text = JsonNode.Parse(json)?.ToJsonString() ?? "";
        text = text.Replace($"{api.Host}:{api.Port}", "API", StringComparison.Ordinal).Replace(imposterPort.ToString(), "PORT", StringComparison.Ordinal);
        text = Regex.Replace(text, "\"requestFrom\":\"[^\"]*\"", "\"requestFrom\":\"CLIENT\"");
        text = Regex.Replace(text, "\"timestamp\":\"[^\"]*\"", "\"timestamp\":\"TIME\"");
        return Regex.Replace(text, "\"_proxyResponseTime\":\\d+", "\"_proxyResponseTime\":0");
    }

    /// <summary>Sends <paramref name="data"/> on a new connection and returns the first reply (or what came before the close).</summary>
    public static async Task<(byte[] Reply, bool Closed)> TcpExchangeAsync(int port, byte[] data)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        await stream.WriteAsync(data);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        try
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0) return ([], true);
            var reply = buffer[..read];
            return (reply, false);
        }
        catch (IOException)
        {
            return ([], true);
        }
    }

    /// <summary>Sends a raw HTTP request and reads the whole response (the imposters close after it, as mountebank's do by default).</summary>
    public static async Task<byte[]> HttpExchangeAsync(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var all = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0) all.Write(buffer, 0, read);
        }
        catch (IOException)
        {
            // a fault: what came before the close is the answer
        }
        return all.ToArray();
    }

    /// <summary>A response with the Date line taken out, as text.</summary>
    public static string WithoutDate(byte[] response) => Regex.Replace(Encoding.UTF8.GetString(response), "\r\nDate: [^\r]*", "");
}

[CollectionDefinition("mountebank")]
public sealed class MountebankCollection : ICollectionFixture<MountebankFixture>;
