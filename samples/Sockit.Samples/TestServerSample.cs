using System.Net.Http.Json;
using Sockit.Endpoints;
using Sockit.Servers;

namespace Sockit.Samples;

/// <summary>A test's own HTTP server: sockit's http-echo on a free port, gone when the test ends.</summary>
public sealed class TestServerSample
{
    [Fact]
    public async Task Http_echo_answers_with_the_request_it_saw()
    {
        var token = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(ServerKind.HttpEcho, Endpoint.Parse("127.0.0.1:0"), cancellationToken: token);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{server.LocalEndpoint}/") };

        using var response = await http.PostAsJsonAsync("orders?id=7", new { item = "socket" }, token);

        response.EnsureSuccessStatusCode();
        var echoed = await response.Content.ReadAsStringAsync(token);
        Assert.Contains("Request Target: /orders?id=7", echoed, StringComparison.Ordinal);
        Assert.Contains("\"item\":\"socket\"", echoed, StringComparison.Ordinal);
    }
}
