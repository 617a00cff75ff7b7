using System.Net;
using System.Net.Sockets;
using System.Text;
using Sockit.Endpoints;
using Sockit.Mock;

namespace Sockit.Tests;

/// <summary>The mock as a library: an imposter per test on a port of its own, stubs fluent or in mountebank's JSON, and the requests it saw.</summary>
public sealed class MockServerTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_https_mock_answers_over_tls_and_a_tls_mock_answers_raw_data_over_tls()
    {
        await using var https = await MockServer.StartAsync("https", Token);
        https.Stub(s => s.Equals("path", "/secure").Is(200, "over tls"));
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true }; // the made-up localhost certificate
        using var http = new HttpClient(handler) { BaseAddress = https.Url };
        Assert.Equal("https", https.Url.Scheme);
        Assert.Equal("over tls", await http.GetStringAsync("/secure", Token));
        Assert.Equal("/secure", (string?)Assert.Single(https.Requests)["path"]);

        await using var tls = await MockServer.StartAsync("tls", Token);
        tls.Stub(s => s.Equals("data", "PING\n").Reply("PONG\n"));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, tls.Port, Token);
        await using var ssl = new System.Net.Security.SslStream(client.GetStream(), false, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "localhost" }, Token);
        await ssl.WriteAsync("PING\n"u8.ToArray(), Token);
        var reply = new byte[5];
        await ssl.ReadExactlyAsync(reply, Token);
        Assert.Equal("PONG\n", Encoding.UTF8.GetString(reply));
    }

    [Fact]
    public async Task Match_assertions_count_the_requests_a_stub_would_match_and_say_what_came_instead()
    {
        await using var mock = await MockServer.StartAsync("http", Token);
        using var http = new HttpClient { BaseAddress = mock.Url };
        await http.PostAsync("/orders", new StringContent("""{"item":"book"}"""), Token);
        await http.PostAsync("/orders", new StringContent("""{"item":"pen"}"""), Token);
        await http.GetStringAsync("/health", Token);

        Assert.Equal(2, mock.RequestsMatching(r => r.Equals("method", "post").StartsWith("path", "/ORDERS")).Count); // case-insensitive, as a stub
        Assert.Equal("""{"item":"pen"}""", (string?)Assert.Single(mock.RequestsMatching(r => r.Contains("body", "pen")))["body"]);
        mock.AssertReceived(r => r.Equals("path", "/orders"), times: 2)
            .AssertReceived(r => r.Equals("path", "/health"))
            .AssertReceived(r => r.Equals("path", "/never"), times: 0);

        var wrongCount = Assert.Throws<MockAssertionException>(() => mock.AssertReceived(r => r.Equals("path", "/orders"), times: 1));
        Assert.Equal("""expected 1 request matching [{"equals":{"path":"/orders"}}], found 2; it received 3: POST /orders, POST /orders, GET /health""", wrongCount.Message);
        mock.ClearRequests();
        var none = Assert.Throws<MockAssertionException>(() => mock.AssertReceived(r => r.Equals("method", "DELETE")));
        Assert.Equal("""expected a request matching [{"equals":{"method":"DELETE"}}], found 0; it received none""", none.Message);

        await using var tcp = await MockServer.StartAsync("tcp", Token);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, tcp.Port, Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\n"u8.ToArray(), Token);
            client.Client.Shutdown(SocketShutdown.Send);
            Assert.Equal(0, await stream.ReadAsync(new byte[16], Token)); // the default answer is empty; then the close
        }
        var tcpMiss = Assert.Throws<MockAssertionException>(() => tcp.AssertReceived(r => r.StartsWith("data", "QUIT")));
        Assert.EndsWith("it received 1: \"PING\\n\"", tcpMiss.Message, StringComparison.Ordinal);
    }

    /// <summary>Sockit's toxics as response behaviors: the reply goes out late, slow, in pieces, cut short, or as a reset.</summary>
    [Fact]
    public async Task Toxic_behaviors_shape_the_reply_and_can_reset_or_cut_the_connection()
    {
        await using var mock = await MockServer.StartAsync("tcp", Token);
        mock.AddStub("""{"predicates":[{"equals":{"data":"slices"}}],"responses":[{"is":{"data":"0123456789"},"behaviors":[{"toxic":{"type":"slicer","attributes":{"average_size":3,"delay":20000}}}]}]}""")
            .AddStub("""{"predicates":[{"equals":{"data":"late"}}],"responses":[{"is":{"data":"ok"},"behaviors":[{"toxic":{"type":"latency","attributes":{"latency":100}}}]}]}""")
            .AddStub("""{"predicates":[{"equals":{"data":"cut"}}],"responses":[{"is":{"data":"0123456789"},"behaviors":[{"toxic":{"type":"limit_data","attributes":{"bytes":4}}}]}]}""")
            .AddStub("""{"predicates":[{"equals":{"data":"reset"}}],"responses":[{"is":{"data":"never sent"},"behaviors":[{"toxic":{"type":"reset_peer"}}]}]}""")
            .AddStub("""{"predicates":[{"equals":{"data":"hang"}}],"responses":[{"is":{"data":"never sent"},"behaviors":[{"toxic":{"type":"timeout","attributes":{"timeout":100}}}]}]}""")
            .AddStub("""{"predicates":[{"equals":{"data":"bye"}}],"responses":[{"is":{"data":"bye"},"behaviors":[{"toxic":{"type":"slow_close","attributes":{"delay":100}}}]}]}""");

        using var client = await ConnectAsync(mock.Port);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await client.SendAsync("slices"u8.ToArray(), Token);
        var pieces = new List<int>();
        var text = new StringBuilder();
        var buffer = new byte[64];
        while (text.Length < 10)
        {
            var n = await client.ReceiveAsync(buffer, Token);
            pieces.Add(n);
            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        Assert.Equal("0123456789", text.ToString());
        Assert.All(pieces, n => Assert.InRange(n, 1, 3)); // pieces 20 ms apart arrive one by one
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(60), "three 20 ms gaps between four pieces");

        started = System.Diagnostics.Stopwatch.GetTimestamp();
        await client.SendAsync("late"u8.ToArray(), Token);
        Assert.Equal(2, await client.ReceiveAsync(buffer, Token));
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(100), "the latency was not applied");

        await client.SendAsync("cut"u8.ToArray(), Token);
        Assert.Equal("0123", Encoding.ASCII.GetString(await ReadToEndAsync(client))); // four bytes, then the close

        using var resetClient = await ConnectAsync(mock.Port);
        await resetClient.SendAsync("reset"u8.ToArray(), Token);
        var reset = await Assert.ThrowsAsync<SocketException>(async () => await resetClient.ReceiveAsync(buffer, Token));
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);

        // timeout: no reply, then the close, 100 ms later; slow_close: the reply, then the close, 100 ms after it.
        foreach (var (request, reply) in new[] { ("hang", ""), ("bye", "bye") })
        {
            using var closing = await ConnectAsync(mock.Port);
            started = System.Diagnostics.Stopwatch.GetTimestamp();
            await closing.SendAsync(Encoding.ASCII.GetBytes(request), Token);
            Assert.Equal(reply, Encoding.ASCII.GetString(await ReadToEndAsync(closing)));
            Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(100), $"{request}: closed before its 100 ms");
        }

        var bad = Assert.Throws<SockitException>(() => mock.AddStub("""{"responses":[{"is":{"data":"x"},"behaviors":[{"toxic":{"type":"loss"}}]}]}"""));
        Assert.Contains("toxic behavior type must be one of latency, bandwidth, slicer, limit_data, timeout, reset_peer, slow_close", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bandwidth_behavior_sends_an_http_body_no_faster_than_its_rate()
    {
        await using var mock = await MockServer.StartAsync("http", Token);
        var body = new string('x', 50_000);
        mock.AddStub("""{"responses":[{"is":{"body":"BODY"},"behaviors":[{"toxic":{"type":"bandwidth","attributes":{"rate":100}}}]}]}""".Replace("BODY", body, StringComparison.Ordinal));
        using var http = new HttpClient { BaseAddress = mock.Url };
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Assert.Equal(body, await http.GetStringAsync("/", Token));
        // 100 KB/s: 50 kB (and the head) take half a second at least; the first 20 ms piece goes at once.
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(450), "faster than the rate");
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Token);
        return socket;
    }

    private static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        var all = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, Token)) > 0) all.Write(buffer, 0, n);
        return all.ToArray();
    }

    [Fact]
    public async Task An_http_mock_answers_fluent_stubs_and_records_the_requests()
    {
        await using var mock = await MockServer.StartAsync("http", Token);
        mock.Stub(s => s.Equals("method", "POST").Equals("path", "/orders").Is(201, """{"id":7}""", new Dictionary<string, string> { ["Content-Type"] = "application/json" }))
            .Stub(s => s.Equals("query.fail", "yes").Reply("first").Repeat(2).Fault("CONNECTION_RESET_BY_PEER"))
            .AddStub("""{"predicates":[{"startsWith":{"path":"/slow"}}],"responses":[{"is":{"body":"late"},"behaviors":[{"wait":50}]}]}""");

        using var http = new HttpClient { BaseAddress = mock.Url };
        var created = await http.PostAsync("/orders", new StringContent("""{"item":"book"}""", Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("""{"id":7}""", await created.Content.ReadAsStringAsync(Token));
        Assert.Equal("first", await http.GetStringAsync("/x?fail=yes", Token));
        Assert.Equal("first", await http.GetStringAsync("/x?fail=yes", Token));
        // The fault, third in the cycle: the connection closes with no answer (raw, as HttpClient would retry).
        Assert.Equal("", await RawHttp.ExchangeAsync(mock.LocalEndpoint, "GET /x?fail=yes HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.Equal("late", await http.GetStringAsync("/slow", Token));
        Assert.Equal("", await http.GetStringAsync("/unmatched", Token)); // mountebank's default: 200, empty

        var requests = mock.Requests;
        Assert.Equal(6, requests.Count);
        Assert.Equal("POST", (string?)requests[0]["method"]);
        Assert.Equal("""{"item":"book"}""", (string?)requests[0]["body"]);
        Assert.Equal("yes", (string?)requests[1]["query"]!["fail"]);
        Assert.Equal("/unmatched", (string?)requests[^1]["path"]);
        mock.ClearRequests();
        Assert.Empty(mock.Requests);
    }

    [Fact]
    public async Task Tcp_mocks_in_parallel_each_have_their_own_port_and_requests()
    {
        var mocks = await Task.WhenAll(Enumerable.Range(0, 4).Select(async i =>
        {
            var mock = await MockServer.StartAsync("tcp", Token);
            mock.Stub(s => s.StartsWith("data", "PING").Reply($"PONG {i}\n"));
            return mock;
        }));
        try
        {
            Assert.Equal(4, mocks.Select(m => m.Port).Distinct().Count());
            var replies = await Task.WhenAll(mocks.Select(async (mock, i) =>
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, mock.Port, Token);
                var stream = client.GetStream();
                await stream.WriteAsync(Encoding.UTF8.GetBytes($"PING {i}\n"), Token);
                var buffer = new byte[64];
                return Encoding.UTF8.GetString(buffer, 0, await stream.ReadAsync(buffer, Token));
            }));
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal($"PONG {i}\n", replies[i]);
                Assert.Equal($"PING {i}\n", (string?)Assert.Single(mocks[i].Requests)["data"]);
            }
        }
        finally
        {
            foreach (var mock in mocks) await mock.DisposeAsync();
        }
    }

    [Fact]
    public async Task Tcp_framing_splits_requests_by_line_and_by_length_prefix_whatever_the_packets()
    {
        await using var lines = await MockServer.StartFromJsonAsync("""
            {"protocol":"tcp","framing":{"type":"line"},"stubs":[{"predicates":[{"equals":{"data":"PING\n"}}],"responses":[{"is":{"data":"PONG\n"}}]},
             {"responses":[{"is":{"data":"ERR\n"}}]}]}
            """, Token);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, lines.Port, Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\nHEL"u8.ToArray(), Token); // one packet, one request and a half
            Assert.Equal("PONG\n", await ReadAsync(stream, 5));
            await stream.WriteAsync("LO\nPING\n"u8.ToArray(), Token);
            Assert.Equal("ERR\nPONG\n", await ReadAsync(stream, 9));
        }
        Assert.Equal(["PING\n", "HELLO\n", "PING\n"], lines.Requests.Select(r => (string?)r["data"]));

        // A 2-byte big-endian length after a 1-byte type: [type][len][payload], in binary mode.
        await using var framed = await MockServer.StartFromJsonAsync("""
            {"protocol":"tcp","mode":"binary","framing":{"type":"length","size":2,"byteOrder":"big","offset":1},
             "stubs":[{"predicates":[{"startsWith":{"data":"AQ=="}}],"responses":[{"is":{"data":"T0s="}}]}]}
            """, Token);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, framed.Port, Token);
            var stream = client.GetStream();
            await stream.WriteAsync(new byte[] { 1, 0, 3, (byte)'a' }, Token);
            await stream.WriteAsync(new byte[] { (byte)'b', (byte)'c', 1, 0, 0 }, Token);
            Assert.Equal("OKOK", await ReadAsync(stream, 4));
        }
        Assert.Equal([Convert.ToBase64String([1, 0, 3, 97, 98, 99]), Convert.ToBase64String([1, 0, 0])], framed.Requests.Select(r => (string?)r["data"]));

        var bad = await Assert.ThrowsAsync<SockitException>(() => MockServer.StartFromJsonAsync("""{"protocol":"tcp","framing":{"type":"length","size":3}}""", Token));
        Assert.Equal("bad data: 'framing.size' must be 1, 2 or 4", bad.Message);
    }

    private static async Task<string> ReadAsync(NetworkStream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, Token);
        return Encoding.UTF8.GetString(buffer);
    }

    [Fact]
    public async Task Bad_stubs_and_imposters_throw_with_mountebanks_errors()
    {
        await using var mock = await MockServer.StartAsync("tcp", Token);
        var unknown = Assert.Throws<SockitException>(() => mock.AddStub("""{"predicates":[{"near":{"data":"x"}}],"responses":[{"is":{"data":"y"}}]}"""));
        Assert.Equal("bad data: missing predicate", unknown.Message);
        Assert.Equal(SockitError.InvalidArgument, unknown.Error);
        var malformed = Assert.Throws<SockitException>(() => mock.AddStub("""{"responses": [}"""));
        Assert.Contains("line 1, column 16", malformed.Message, StringComparison.Ordinal);
        var injection = await Assert.ThrowsAsync<SockitException>(() => MockServer.StartFromJsonAsync("""{"protocol":"http","stubs":[{"responses":[{"inject":"function(){}"}]}]}""", Token));
        Assert.StartsWith("invalid injection: ", injection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tcp_imposter_on_a_unix_socket_answers_a_unix_client_and_removes_its_file_at_stop()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sockit-mock-{Guid.NewGuid():N}.sock");
        var mock = await MockServer.StartFromJsonAsync($$$"""
            {"protocol":"tcp","path":"{{{path}}}","stubs":[{"predicates":[{"equals":{"data":"PING\n"}}],"responses":[{"is":{"data":"PONG\n"}}]}]}
            """, Token);
        try
        {
            Assert.Equal(path, mock.LocalEndpoint.Path);
            Assert.Equal(65536, mock.Port); // no port given: the first number above every real port
            Assert.True(File.Exists(path));
            using (var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                await client.ConnectAsync(new UnixDomainSocketEndPoint(path), Token);
                await client.SendAsync("PING\n"u8.ToArray(), Token);
                var reply = new byte[5];
                Assert.Equal(5, await client.ReceiveAsync(reply, Token));
                Assert.Equal("PONG\n", Encoding.ASCII.GetString(reply));
            }
            var request = Assert.Single(mock.Requests);
            Assert.Equal("unix://(unnamed)", (string?)request["requestFrom"]); // an unbound Unix client has no address
            Assert.Contains($"\"path\": \"{path}\"", mock.ToJson(), StringComparison.Ordinal);
        }
        finally
        {
            await mock.DisposeAsync();
        }
        Assert.False(File.Exists(path), "the socket file outlived the imposter");

        var both = await Assert.ThrowsAsync<SockitException>(() => MockServer.StartFromJsonAsync("""{"protocol":"tcp","path":"/tmp/x.sock","host":"127.0.0.1"}""", Token));
        Assert.Equal("bad data: an imposter listens on a 'host' or on a Unix socket 'path', not both", both.Message);
        var udp = await Assert.ThrowsAsync<SockitException>(() => MockServer.StartFromJsonAsync("""{"protocol":"udp","path":"/tmp/x.sock"}""", Token));
        Assert.Contains("a udp imposter listens on a port", udp.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_udp_imposter_answers_each_datagram_by_predicate_cycle_copy_and_default_and_records_its_sender()
    {
        await using var mock = await MockServer.StartFromJsonAsync("""
            {"protocol":"udp","defaultResponse":{"data":"ERR\n"},"stubs":[
              {"predicates":[{"equals":{"data":"PING"}}],"responses":[{"is":{"data":"PONG 1"},"repeat":2},{"is":{"data":"PONG 2"}}]},
              {"predicates":[{"startsWith":{"data":"HELLO"}}],"responses":[{"is":{"data":"hi ${name}"},"behaviors":[{"copy":{"from":"data","into":"${name}","using":{"method":"regex","selector":"\\w+$"}}}]}]}]}
            """, Token);
        Assert.Equal(TransportKind.Udp, mock.LocalEndpoint.Transport);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var server = new IPEndPoint(IPAddress.Loopback, mock.Port);
        async Task<string> AskAsync(string request)
        {
            await client.SendToAsync(Encoding.UTF8.GetBytes(request), server, Token);
            return await ReceiveDatagramAsync(client);
        }
        Assert.Equal("PONG 1", await AskAsync("PING"));
        Assert.Equal("PONG 1", await AskAsync("PING"));
        Assert.Equal("PONG 2", await AskAsync("PING"));
        Assert.Equal("hi Ann", await AskAsync("HELLO Ann"));
        Assert.Equal("ERR\n", await AskAsync("other"));

        var requests = mock.Requests;
        Assert.Equal(["PING", "PING", "PING", "HELLO Ann", "other"], requests.Select(r => (string?)r["data"]));
        var local = (IPEndPoint)client.LocalEndPoint!;
        Assert.All(requests, r => Assert.Equal($"127.0.0.1:{local.Port}", (string?)r["requestFrom"]));
        Assert.Equal("127.0.0.1", (string?)requests[0]["ip"]);
        mock.AssertReceived(r => r.Equals("data", "ping"), times: 3);
    }

    [Fact]
    public async Task A_binary_udp_imposter_matches_and_answers_base64_and_sends_nothing_for_empty_data()
    {
        await using var mock = await MockServer.StartFromJsonAsync("""
            {"protocol":"udp","mode":"binary","stubs":[{"predicates":[{"startsWith":{"data":"AAE="}}],"responses":[{"is":{"data":"/wD+"}}]}]}
            """, Token);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        // Unmatched: the default response's data is empty, so no datagram comes back and the first reply is the next request's.
        await client.SendToAsync(new byte[] { 9 }, new IPEndPoint(IPAddress.Loopback, mock.Port), Token);
        await client.SendToAsync(new byte[] { 0, 1, 2, 0xff }, new IPEndPoint(IPAddress.Loopback, mock.Port), Token);
        var reply = new byte[16];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        Assert.Equal(new byte[] { 0xff, 0x00, 0xfe }, reply[..await client.ReceiveAsync(reply, timeout.Token)]);
        Assert.Equal(["CQ==", Convert.ToBase64String([0, 1, 2, 0xff])], mock.Requests.Select(r => (string?)r["data"]));
        Assert.Contains("\"mode\": \"binary\"", mock.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_udp_wait_behavior_holds_up_no_other_sender()
    {
        await using var mock = await MockServer.StartFromJsonAsync("""
            {"protocol":"udp","stubs":[{"predicates":[{"equals":{"data":"slow"}}],"responses":[{"is":{"data":"late"},"behaviors":[{"wait":3000}]}]},
                                       {"responses":[{"is":{"data":"now"}}]}]}
            """, Token);
        var server = new IPEndPoint(IPAddress.Loopback, mock.Port);
        using var slow = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var fast = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await slow.SendToAsync("slow"u8.ToArray(), server, Token);
        var late = ReceiveDatagramAsync(slow);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await fast.SendToAsync("fast"u8.ToArray(), server, Token);
        Assert.Equal("now", await ReceiveDatagramAsync(fast));
        Assert.False(late.IsCompleted, "the slow reply came before the fast one");
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(2), "the fast reply waited for the slow one");
        Assert.Equal("late", await late);
        Assert.Equal(2, mock.Requests.Count);
    }

    [Fact]
    public async Task Two_stops_at_once_of_a_udp_imposter_with_an_answer_waiting_both_end()
    {
        var mock = await MockServer.StartFromJsonAsync("""{"protocol":"udp","stubs":[{"responses":[{"is":{"data":"late"},"behaviors":[{"wait":30000}]}]}]}""", Token);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await client.SendToAsync("slow"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, mock.Port), Token);
        // Each stop waits for every answer's slot; two that each waited for them all would never end.
        await Task.WhenAll(mock.DisposeAsync().AsTask(), mock.DisposeAsync().AsTask()).WaitAsync(TimeSpan.FromSeconds(10), Token);
    }

    [Fact]
    public async Task A_udp_imposter_refuses_faults_proxies_toxics_and_framing_with_mountebanks_errors()
    {
        var fault = await Assert.ThrowsAsync<SockitException>(() => MockServer.StartFromJsonAsync("""{"protocol":"udp","stubs":[{"responses":[{"fault":"CONNECTION_RESET_BY_PEER"}]}]}""", Token));
        Assert.Equal("bad data: a fault response needs a connection, and udp has no connection to reset; an empty 'data' sends no reply", fault.Message);
        var proxy = await Assert.ThrowsAsync<SockitException>(() => MockServer.StartFromJsonAsync("""{"protocol":"udp","stubs":[{"responses":[{"proxy":{"to":"udp://127.0.0.1:53"}}]}]}""", Token));
        Assert.Equal("bad data: proxy responses are not supported by udp imposters", proxy.Message);
        var framing = await Assert.ThrowsAsync<SockitException>(() => MockServer.StartFromJsonAsync("""{"protocol":"udp","framing":{"type":"line"}}""", Token));
        Assert.Equal("bad data: 'framing' is for tcp imposters: each udp datagram is one request", framing.Message);
        await using var mock = await MockServer.StartAsync("udp", Token);
        var toxic = Assert.Throws<SockitException>(() => mock.AddStub("""{"responses":[{"is":{"data":"x"},"behaviors":[{"toxic":{"type":"latency","attributes":{"latency":10}}}]}]}"""));
        Assert.StartsWith("bad data: toxic behaviors shape a connection's stream", toxic.Message, StringComparison.Ordinal);
        Assert.Throws<SockitException>(() => mock.Stub(s => s.Fault("CONNECTION_RESET_BY_PEER")));
        mock.Stub(s => s.Equals("data", "a").Reply("b"));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await client.SendToAsync("a"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, mock.Port), Token);
        Assert.Equal("b", await ReceiveDatagramAsync(client));
    }

    private static async Task<string> ReceiveDatagramAsync(Socket socket)
    {
        var buffer = new byte[2048];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        return Encoding.UTF8.GetString(buffer, 0, await socket.ReceiveAsync(buffer, timeout.Token));
    }
}
