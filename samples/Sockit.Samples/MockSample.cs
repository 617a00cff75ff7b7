using System.Net;
using System.Net.Http.Json;
using Sockit.Mock;

namespace Sockit.Samples;

/// <summary>A mountebank-style imposter standing in for a payment gateway, in process, on a port of its own.</summary>
public sealed class MockSample
{
    [Fact]
    public async Task A_declined_card_and_what_the_gateway_was_sent()
    {
        var token = TestContext.Current.CancellationToken;
        await using var gateway = await MockServer.StartAsync("http", token);
        gateway.Stub(s => s.Equals("method", "POST").Equals("path", "/charges").Is(402, """{"error":"card_declined"}"""))
               .AddStub("""{"responses":[{"fault":"CONNECTION_RESET_BY_PEER"}]}"""); // mountebank's JSON works too

        using var http = new HttpClient { BaseAddress = gateway.Url };
        var response = await http.PostAsJsonAsync("/charges", new { amount = 42 }, token); // the code under test would do this

        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Contains("card_declined", await response.Content.ReadAsStringAsync(token), StringComparison.Ordinal);
        var charge = Assert.Single(gateway.Requests); // mountebank's request JSON
        Assert.Equal("""{"amount":42}""", (string?)charge["body"]);
        gateway.AssertReceived(r => r.Equals("path", "/charges").Contains("body", "42"), times: 1); // matched as a stub matches
    }
}
