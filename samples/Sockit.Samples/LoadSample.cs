using Sockit.Endpoints;
using Sockit.Load;
using Sockit.Servers;

namespace Sockit.Samples;

/// <summary>sockit bench in-process: a latency budget as a test.</summary>
public sealed class LoadSample
{
    [Fact]
    public async Task Echo_round_trips_stay_within_budget()
    {
        var token = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), cancellationToken: token);

        var result = await LoadGenerator.RunAsync(new LoadOptions { Target = server.LocalEndpoint, Connections = 4, Count = 2000 }, token);

        Assert.Equal(2000, result.Requests);
        Assert.Equal(0, result.ErrorCount);
        Assert.True(result.LatencyAt(99) < TimeSpan.FromSeconds(1), $"p99 was {result.LatencyAt(99)}");
    }
}
