using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>With --json or --log-format json, every line of that stream is a JSON document of its own, written plainly.</summary>
public sealed class JsonOutputTests
{
    /// <summary>Parses each line on its own; no prefix, no HTML-style escapes of '+' and '\''.</summary>
    private static List<JsonElement> EveryLineParses(string stream)
    {
        var lines = stream.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.DoesNotContain("\\u002B", l, StringComparison.Ordinal));
        Assert.All(lines, l => Assert.DoesNotContain("\\u0027", l, StringComparison.Ordinal));
        return [.. lines.Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    [Fact]
    public async Task Serve_log_format_json_makes_stdout_and_stderr_json_lines()
    {
        await using var server = SockitCli.Start("serve", "echo", "127.0.0.1:0", "--log", "--log-format", "json");
        var announced = await server.WaitForStderrAsync(l => l.Contains("serving echo on ", StringComparison.Ordinal));
        var message = JsonDocument.Parse(announced).RootElement.GetProperty("message").GetString()!;
        var endpoint = IPEndPoint.Parse(message.Split(" on ")[1].Split(' ')[0]);
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            var token = TestContext.Current.CancellationToken;
            await client.ConnectAsync(endpoint, token);
            await client.SendAsync("ping"u8.ToArray(), token);
            client.Shutdown(SocketShutdown.Send);
            var buffer = new byte[16];
            while (await client.ReceiveAsync(buffer, token) > 0)
            {
            }
        }
        await server.WaitForStdoutTextAsync(t => t.EndsWith('\n')); // the connection's log line, whole
        server.Signal(15);
        Assert.Equal(0, await server.WaitForExitAsync());

        var record = Assert.Single(EveryLineParses(await server.ReadStdoutTextAsync()));
        var time = record.GetProperty("time").GetString()!;
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$", time); // ISO 8601 with its offset, '+' as it is
        Assert.True(DateTimeOffset.TryParse(time, System.Globalization.CultureInfo.InvariantCulture, out _), time);
        var stderr = EveryLineParses(server.Stderr);
        Assert.Equal(4, stderr[^1].GetProperty("bytesReceived").GetInt64());
    }

    [Fact]
    public async Task Errors_under_log_format_json_are_json_with_plain_quotes()
    {
        var (exit, _, stderr) = await SockitCli.RunAsync("", "serve", "echo", "8080", "--log-format", "json");
        Assert.Equal(2, exit);
        var line = Assert.Single(EveryLineParses(stderr));
        Assert.Equal("error", line.GetProperty("level").GetString());
        Assert.Contains("'8080'", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ls", "-t", "--json")]
    [InlineData("scan", "127.0.0.1", "1", "--json")]
    public async Task Json_option_prints_only_json_on_stdout(params string[] arguments)
    {
        var (_, stdout, _) = await SockitCli.RunAsync("", arguments);
        Assert.Single(EveryLineParses(stdout));
    }
}
