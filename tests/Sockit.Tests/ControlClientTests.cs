using System.Text;
using Sockit.Endpoints;
using Sockit.Proxies;
using Sockit.Proxies.Control;
using Sockit.Transport;

namespace Sockit.Tests;

/// <summary>The control API's client (what sockit proxy ls, toggle and toxic use): one HTTP/1.0 exchange per call, on the one codec.</summary>
public sealed class ControlClientTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Creates_lists_and_reads_the_apis_own_error_text()
    {
        await using var proxies = new ProxyCollection();
        await using var api = await ControlApi.StartAsync(Endpoint.Parse("127.0.0.1:0"), proxies, cancellationToken: Token);

        var created = await ControlClient.SendAsync(api.LocalEndpoint, "POST", "/proxies",
            """{"name":"db","listen":"127.0.0.1:0","upstream":"127.0.0.1:5432"}"""u8.ToArray(), cancellationToken: Token);
        Assert.Equal(201, created.Status);
        Assert.True(created.IsSuccess);
        Assert.Equal("db", Assert.Single(proxies.All).Name);

        var listed = await ControlClient.SendAsync(api.LocalEndpoint, "GET", "/proxies", cancellationToken: Token);
        Assert.StartsWith("{\"db\":{\"name\":\"db\"", Encoding.UTF8.GetString(listed.Body), StringComparison.Ordinal);

        var missing = await ControlClient.SendAsync(api.LocalEndpoint, "DELETE", "/proxies/db/toxics/none", cancellationToken: Token);
        Assert.Equal(404, missing.Status);
        Assert.False(missing.IsSuccess);
        Assert.Equal("toxic not found", missing.Error);
    }

    [Fact]
    public async Task A_server_that_does_not_answer_http_is_named_as_such()
    {
        await using var listener = await Listener.StartAsync(Endpoint.Parse("127.0.0.1:0"), cancellationToken: Token);
        var serving = Task.Run(async () =>
        {
            await using var connection = await listener.AcceptAsync(Token);
            var request = new List<byte>();
            var buffer = new byte[1024];
            while (!Encoding.ASCII.GetString([.. request]).Contains("\r\n\r\n", StringComparison.Ordinal)) // read it all: a close then is a FIN, not a reset
                request.AddRange(buffer.AsSpan(0, await connection.ReceiveAsync(buffer, Token)));
            await connection.SendAsync("+OK redis here\r\n"u8.ToArray(), Token);
        }, Token);
        var failure = await Assert.ThrowsAsync<SockitException>(() => ControlClient.SendAsync(listener.LocalEndpoint, "GET", "/proxies", cancellationToken: Token));
        await serving;
        Assert.Contains("did not answer HTTP", failure.Message, StringComparison.Ordinal);
    }
}
