using System.Globalization;
using System.Text.Json;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>sockit bench as a process against sockit serve: JSON results, HTTP URLs, histogram files and their merge, errors.</summary>
public sealed class BenchCliTests
{
    private static async Task<(ChildProcess Server, string Address)> ServeAsync(string kind, string endpoint = "127.0.0.1:0")
    {
        var server = SockitCli.Start("serve", kind, endpoint);
        var line = await server.WaitForStderrAsync(l => l.Contains($"serving {kind} on ", StringComparison.Ordinal));
        return (server, line.Split($"serving {kind} on ")[1].Split(' ')[0]);
    }

    private static async Task<JsonElement> BenchJsonAsync(params string[] arguments)
    {
        var (exit, stdout, stderr) = await SockitCli.RunAsync("", ["bench", .. arguments, "--json"]);
        Assert.True(exit == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement;
    }

    [Fact]
    public async Task Pingpong_against_serve_echo_reports_requests_latency_and_no_errors()
    {
        var (server, address) = await ServeAsync("echo");
        await using var _ = server;
        var result = await BenchJsonAsync(address, "-c", "4", "-n", "2000", "--size", "100");
        Assert.Equal(2000, result.GetProperty("requests").GetInt64());
        Assert.Equal(200_000, result.GetProperty("bytesReceived").GetInt64());
        var latency = result.GetProperty("latencyMicros");
        Assert.True(latency.GetProperty("p50").GetInt64() <= latency.GetProperty("p99").GetInt64());
        Assert.True(latency.GetProperty("p99").GetInt64() <= latency.GetProperty("max").GetInt64());
        Assert.Empty(result.GetProperty("errors").EnumerateObject());
    }

    [Fact]
    public async Task Messages_come_from_escaped_text_or_a_file_and_replies_end_at_a_delimiter()
    {
        var (server, address) = await ServeAsync("echo");
        await using var _ = server;
        var escaped = await BenchJsonAsync(address, "-n", "100", "--msg", @"PING\r\n", "--reply-delimiter", @"\n");
        Assert.Equal((100, 600), (escaped.GetProperty("requests").GetInt64(), escaped.GetProperty("bytesSent").GetInt64()));
        var file = TempPath.Socket(".msg");
        await File.WriteAllBytesAsync(file, new byte[300], TestContext.Current.CancellationToken);
        var fromFile = await BenchJsonAsync(address, "-n", "50", "--msg-file", file);
        File.Delete(file);
        Assert.Equal((50, 15_000), (fromFile.GetProperty("requests").GetInt64(), fromFile.GetProperty("bytesReceived").GetInt64()));
    }

    [Fact]
    public async Task An_http_url_runs_http_mode_and_counts_statuses()
    {
        var (server, address) = await ServeAsync("http-echo");
        await using var _ = server;
        var result = await BenchJsonAsync($"http://{address}/hello?status=404", "-c", "2", "-n", "300");
        Assert.Equal("http", result.GetProperty("mode").GetString());
        Assert.Equal(300, result.GetProperty("statuses").GetProperty("404").GetInt64());
    }

    /// <summary>
    /// Load from several machines, as deploy/k8s runs it: bench processes at once, each writing its histogram, then one
    /// merge. The merged count is the sum, and its slowest request the slowest of all.
    /// </summary>
    [Fact]
    public async Task Parallel_runs_written_with_hdr_out_merge_into_one_report()
    {
        var (server, address) = await ServeAsync("echo");
        await using var _ = server;
        string[] files = [TempPath.Socket(".hlog"), TempPath.Socket(".hlog"), TempPath.Socket(".hlog")];
        int[] counts = [700, 300, 200];
        var runs = await Task.WhenAll(files.Select((file, i) => BenchJsonAsync(address, "-n", counts[i].ToString(CultureInfo.InvariantCulture),
            "-c", (i + 1).ToString(CultureInfo.InvariantCulture), "--hdr-out", file)));
        var (exit, stdout, stderr) = await SockitCli.RunAsync("", ["bench", "merge", .. files, "--json"]);
        foreach (var file in files) File.Delete(file);
        Assert.True(exit == 0, stderr);
        using var merged = JsonDocument.Parse(stdout);
        Assert.Equal(3, merged.RootElement.GetProperty("files").GetInt32());
        Assert.Equal(counts.Sum(), merged.RootElement.GetProperty("requests").GetInt64());
        Assert.Equal(runs.Max(run => run.GetProperty("latencyMicros").GetProperty("max").GetInt64()),
            merged.RootElement.GetProperty("latencyMicros").GetProperty("max").GetInt64());
    }

    [Fact]
    public async Task Progress_goes_to_stderr_a_line_a_second_when_piped_and_the_result_to_stdout()
    {
        var (server, address) = await ServeAsync("echo");
        await using var _ = server;
        var (exit, stdout, stderr) = await SockitCli.RunAsync("", "bench", address, "-d", "3s", "-r", "200"); // 3 s: a late timer on a loaded machine still prints the 1 s line
        Assert.Equal(0, exit);
        Assert.Contains("sockit: bench pingpong", stderr, StringComparison.Ordinal);
        Assert.Contains("sockit: 1s: ", stderr, StringComparison.Ordinal);
        Assert.StartsWith("requests", stdout, StringComparison.Ordinal);
        Assert.Contains("latency     p50 ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_server_is_a_failure_with_one_line_that_says_why()
    {
        var (exit, stdout, stderr) = await SockitCli.RunAsync("", "bench", $"127.0.0.1:{Ports.Free()}", "-d", "1s");
        Assert.Equal(1, exit);
        Assert.Contains("errors      refused", stdout, StringComparison.Ordinal);
        Assert.Contains("no request succeeded (refused", stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "127.0.0.1:9", "-m", "stream", "-r", "10" }, "do not apply; drop --count and --rate")]
    [InlineData(new[] { "udp://127.0.0.1:9", "-m", "http" }, "http needs a stream endpoint")]
    [InlineData(new[] { "127.0.0.1:9", "--msg", "a", "--size", "4" }, "give one of --msg, --msg-file and --size")]
    [InlineData(new[] { "127.0.0.1:9", "--msg", @"bad\q" }, @"unknown escape '\q'")]
    [InlineData(new[] { "127.0.0.1:9", "--size", "lots" }, "invalid --size 'lots'")]
    [InlineData(new[] { "http://127.0.0.1:9/", "-m", "pingpong" }, "an http:// URL is loaded in http mode")]
    [InlineData(new[] { "merge", "/nonexistent.hlog" }, "cannot read the histogram file /nonexistent.hlog")]
    public async Task Bad_bench_arguments_get_one_line_and_exit_code_2(string[] arguments, string message)
    {
        var (exit, _, stderr) = await SockitCli.RunAsync("", ["bench", .. arguments]);
        Assert.Equal(2, exit);
        Assert.Contains(message, Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attack_modes_report_how_serve_and_nginx_meet_slowloris_and_garbage()
    {
        var (server, address) = await ServeAsync("http-echo");
        await using var _ = server;
        var (nginx, port, dir) = await PeerServers.StartNginxAsync("client_header_timeout 1s; location / { return 200 \"ok\\n\"; }");
        await using var __ = nginx;
        try
        {
            foreach (var url in (string[])[$"http://{address}/", $"http://127.0.0.1:{port}/"])
            {
                // nginx closes a head that is too slow without a word; http-echo answers 408 (here after its 10 s default,
                // so inside this short run its slow clients are still open): both are reported as what they are.
                var slow = await BenchJsonAsync(url, "-m", "slowloris", "-c", "2", "-d", "2s", "--interval", "100ms");
                var outcomes = slow.GetProperty("outcomes");
                Assert.True(outcomes.EnumerateObject().Sum(o => o.Value.GetInt64()) >= 2, outcomes.ToString());
                if (url.Contains(port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
                    Assert.True(outcomes.TryGetProperty("closed", out var closed) && closed.GetInt64() >= 2, outcomes.ToString());
                else
                    Assert.Equal(2, outcomes.GetProperty("still open").GetInt64());
                var garbage = await BenchJsonAsync(url, "-m", "garbage", "-c", "2", "-n", "20");
                Assert.Equal(20, garbage.GetProperty("outcomes").GetProperty("answered").GetInt64()); // a 400 (or 413, 431, 505) each
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("reset")]
    [InlineData("idle")]
    public async Task Attack_modes_run_against_echo_and_the_server_still_serves(string mode)
    {
        var (server, address) = await ServeAsync("echo");
        await using var _ = server;
        var result = await BenchJsonAsync(address, "-m", mode, "-c", "4", "-d", "1s");
        Assert.True(result.GetProperty("requests").GetInt64() >= 4);
        Assert.NotEmpty(result.GetProperty("outcomes").EnumerateObject());
        var after = await BenchJsonAsync(address, "-n", "10");
        Assert.Equal(10, after.GetProperty("requests").GetInt64());
    }
}
