using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Proxies;
using Sockit.Servers;
using Sockit.Servers.Http;

namespace Sockit.Tests;

/// <summary>http-echo over real sockets: what it echoes, and a clear status for every malformed or oversized request.</summary>
public sealed class HttpEchoTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static Task<TestServer> StartAsync(HttpEchoOptions? http = null, int maxConnections = 1024) =>
        TestServer.StartAsync(ServerKind.HttpEcho, Endpoint.Parse("127.0.0.1:0"),
            new ServerOptions { Http = http ?? new HttpEchoOptions(), MaxConnections = maxConnections }, Token);

    [Fact]
    public async Task Echoes_method_target_version_source_status_headers_in_order_and_body()
    {
        await using var server = await StartAsync();
        var response = await RawHttp.ExchangeAsync(server.LocalEndpoint,
            "POST /path?status=201&header=X-Reply:yes HTTP/1.1\r\nHost: h\r\nZ-Last: 1\r\nA-First: 2\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
        Assert.StartsWith("HTTP/1.1 201 Created\r\n", response, StringComparison.Ordinal);
        Assert.Contains("\r\nX-Reply: yes\r\n", response, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: close\r\n", response, StringComparison.Ordinal);
        var body = response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        Assert.Matches(@"^Request Method: POST\nRequest Target: /path\?status=201&header=X-Reply:yes\nRequest Version: HTTP/1.1\nRequest Source: 127\.0\.0\.1:\d+\nResponse Status: 201 Created\n\nHost: h\nZ-Last: 1\nA-First: 2\nContent-Length: 5\nConnection: close\n\nhello$", body);
    }

    [Fact]
    public async Task Json_on_accept_header_or_format_parameter()
    {
        await using var server = await StartAsync();
        foreach (var request in new[]
        {
            "GET /x?status=404 HTTP/1.1\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
            "GET /x?status=404&format=json HTTP/1.1\r\nConnection: close\r\n\r\n",
        })
        {
            var response = await RawHttp.ExchangeAsync(server.LocalEndpoint, request);
            Assert.Contains("Content-Type: application/json", response, StringComparison.Ordinal);
            using var json = JsonDocument.Parse(response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
            Assert.Equal("GET", json.RootElement.GetProperty("method").GetString());
            Assert.Equal(404, json.RootElement.GetProperty("status").GetInt32());
            Assert.Equal("Not Found", json.RootElement.GetProperty("reason").GetString());
            Assert.Equal("Connection", json.RootElement.GetProperty("headers").EnumerateArray().Last().GetProperty("name").GetString());
        }
    }

    [Fact]
    public async Task Keep_alive_and_pipelining_answer_each_request_in_order()
    {
        await using var server = await StartAsync();
        using var socket = await RawHttp.ConnectAsync(server.LocalEndpoint);
        // Three requests in one write; the second has a body.
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            "GET /one HTTP/1.1\r\nHost: h\r\n\r\nPOST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcHEAD /three HTTP/1.1\r\nHost: h\r\n\r\n"), SocketFlags.None, Token);
        var pending = new StringBuilder();
        Assert.Contains("Request Target: /one\n", await RawHttp.ReadResponseAsync(socket, pending), StringComparison.Ordinal);
        var second = await RawHttp.ReadResponseAsync(socket, pending);
        Assert.Contains("Request Target: /two\n", second, StringComparison.Ordinal);
        Assert.EndsWith("\n\nabc", second, StringComparison.Ordinal);
        // HEAD: the head says how long the body would be, and no body follows.
        await socket.SendAsync("GET /four HTTP/1.1\r\nHost: h\r\n\r\n"u8.ToArray(), SocketFlags.None, Token);
        var fourth = await RawHttp.ReadResponseAsync(socket, pending);
        Assert.StartsWith("HTTP/1.1 200 OK", fourth, StringComparison.Ordinal);
        Assert.Contains("Content-Length: ", fourth, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chunked_body_with_extensions_and_trailers()
    {
        await using var server = await StartAsync();
        var response = await RawHttp.ExchangeAsync(server.LocalEndpoint,
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK", response, StringComparison.Ordinal);
        Assert.EndsWith("\n\nhello, world", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expect_100_continue_is_answered_before_the_body()
    {
        await using var server = await StartAsync();
        using var socket = await RawHttp.ConnectAsync(server.LocalEndpoint);
        await socket.SendAsync("PUT / HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"u8.ToArray(), SocketFlags.None, Token);
        var buffer = new byte[256];
        var n = await socket.ReceiveAsync(buffer, SocketFlags.None, Token);
        Assert.Equal("HTTP/1.1 100 Continue\r\n\r\n", Encoding.ASCII.GetString(buffer, 0, n));
        await socket.SendAsync("data"u8.ToArray(), SocketFlags.None, Token);
        Assert.EndsWith("\n\ndata", await RawHttp.ReadToCloseAsync(socket), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Close_parameter_ends_a_keep_alive_connection_after_the_response()
    {
        await using var server = await StartAsync();
        // HTTP/1.1 would keep the connection; ?close=1 makes the server say so and close, so this read ends.
        var response = await RawHttp.ExchangeAsync(server.LocalEndpoint, "GET /bye?close=1 HTTP/1.1\r\nHost: h\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK", response, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: close\r\n", response, StringComparison.Ordinal);
        Assert.Contains("Request Target: /bye?close=1\n", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http10_closes_unless_keep_alive_is_asked()
    {
        await using var server = await StartAsync();
        var response = await RawHttp.ExchangeAsync(server.LocalEndpoint, "GET / HTTP/1.0\r\n\r\n");
        Assert.Contains("Connection: close", response, StringComparison.Ordinal);
        Assert.Contains("Request Version: HTTP/1.0", response, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> BadRequests => new()
    {
        { "GET /" + new string('a', 9000) + " HTTP/1.1\r\n\r\n", "414 URI Too Long", "request line longer than 8192 bytes" },
        { "GET / HTTP/1.1\r\n" + string.Concat(Enumerable.Range(0, 101).Select(i => $"X-{i}: v\r\n")) + "\r\n", "431 Request Header Fields Too Large", "more than 100 header fields" },
        { "GET / HTTP/1.1\r\nX-Big: " + new string('b', 33000) + "\r\n\r\n", "431 Request Header Fields Too Large", "header block larger than 32768 bytes" },
        { "POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", "413 Content Too Large", "over the 1048576-byte limit" },
        { "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc", "400 Bad Request", "conflicting Content-Length values" },
        { "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "400 Bad Request", "both Content-Length and Transfer-Encoding" },
        { "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "400 Bad Request", "malformed chunk size 'zz'" },
        { "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "501 Not Implemented", "only the chunked transfer coding" },
        { "GARBAGE\r\n\r\n", "400 Bad Request", "malformed request line" },
        { "GET / HTTP/2.0\r\n\r\n", "505 HTTP Version Not Supported", "only HTTP/1.0 and HTTP/1.1" },
        { "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", "400 Bad Request", "header field name with an invalid character" },
        { "GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", "400 Bad Request", "obsolete line folding" },
        { "GET /?status=abc HTTP/1.1\r\n\r\n", "400 Bad Request", "?status=abc is not a known HTTP status code" },
        { "GET /?status=103 HTTP/1.1\r\n\r\n", "400 Bad Request", "informational (1xx)" },
        { "GET /?delay=99999999 HTTP/1.1\r\n\r\n", "400 Bad Request", "?delay=99999999 must be" },
        { "GET /?header=Content-Length:5 HTTP/1.1\r\n\r\n", "400 Bad Request", "cannot set Content-Length" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_get_their_status_and_a_reason_then_close(string request, string status, string reason)
    {
        await using var server = await StartAsync();
        var response = await RawHttp.ExchangeAsync(server.LocalEndpoint, request);
        Assert.StartsWith($"HTTP/1.1 {status}\r\n", response, StringComparison.Ordinal);
        Assert.Contains("Connection: close", response, StringComparison.Ordinal);
        Assert.Contains(reason, response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slow_headers_get_408()
    {
        await using var server = await StartAsync(new HttpEchoOptions { HeaderTimeout = TimeSpan.FromMilliseconds(300) });
        using var socket = await RawHttp.ConnectAsync(server.LocalEndpoint);
        await socket.SendAsync("GET / HTTP/1.1\r\nHost: slow"u8.ToArray(), SocketFlags.None, Token); // and never the rest
        var response = await RawHttp.ReadToCloseAsync(socket, TimeSpan.FromSeconds(5));
        Assert.StartsWith("HTTP/1.1 408 Request Timeout", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Over_the_connection_limit_a_client_waits_in_the_backlog_until_a_connection_ends()
    {
        var server = await StartAsync(maxConnections: 1);
        var first = await RawHttp.ConnectAsync(server.LocalEndpoint);
        await first.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), SocketFlags.None, Token);
        await RawHttp.ReadResponseAsync(first, new StringBuilder()); // the first is served and held open
        using var second = await RawHttp.ConnectAsync(server.LocalEndpoint); // the kernel queues it: not refused, not reset
        await second.SendAsync("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"u8.ToArray(), SocketFlags.None, Token);
        // Not served while the first holds the only slot: nothing comes back in a while (a bounded wait for an absence).
        using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(Token))
        {
            quiet.CancelAfter(TimeSpan.FromMilliseconds(300));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await second.ReceiveAsync(new byte[1], SocketFlags.None, quiet.Token));
        }
        first.Dispose(); // the slot frees: the second is accepted and answered
        Assert.StartsWith("HTTP/1.1 200 OK", await RawHttp.ReadToCloseAsync(second), StringComparison.Ordinal);
        var summary = await server.StopAsync(Token);
        Assert.Equal(0, summary.Rejected);
        Assert.True(summary.AcceptPauses >= 1);
    }

    [Fact]
    public async Task Stop_lets_a_request_in_progress_finish_within_the_drain()
    {
        var server = await StartAsync();
        using var socket = await RawHttp.ConnectAsync(server.LocalEndpoint);
        // A first exchange proves the server has accepted the connection (a connection still in the listen queue at the
        // stop is never served). On loopback the second request is in the server's receive queue once SendAsync
        // returns: it arrived before the stop.
        await socket.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), SocketFlags.None, Token);
        await RawHttp.ReadResponseAsync(socket, new StringBuilder());
        await socket.SendAsync("GET /?delay=300 HTTP/1.1\r\n\r\n"u8.ToArray(), SocketFlags.None, Token);
        var stopping = server.StopAsync(Token);
        var response = await RawHttp.ReadToCloseAsync(socket);
        Assert.StartsWith("HTTP/1.1 200 OK", response, StringComparison.Ordinal);
        Assert.Contains("Connection: close", response, StringComparison.Ordinal); // told the connection ends
        var summary = await stopping;
        Assert.Equal(2, summary.Requests);
    }
}
