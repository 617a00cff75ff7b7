using System.Globalization;
using System.Text.Json;
using Sockit.Endpoints;
using Sockit.Servers;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>deploy/k8s: the manifests pass the Kubernetes schemas, and the commands in them work, run here as the pods run them.</summary>
public sealed class DeployTests
{
    [Fact]
    public async Task Kubernetes_bench_job_is_valid_and_its_commands_merge_into_one_report()
    {
        var node = Peers.Require("node");
        var npm = Peers.Require("npm");
        var check = Path.Combine(AppContext.BaseDirectory, "k8s-check");
        if (!Directory.Exists(Path.Combine(check, "node_modules", "kubernetes-models")))
        {
            await using var install = ChildProcess.Start(npm, ["ci", "--no-audit", "--no-fund", "--prefix", check]);
            if (await install.WaitForExitAsync(TimeSpan.FromMinutes(3)) != 0)
            {
                var reason = $"npm could not install kubernetes-models from the registry: {install.Stderr.Trim().Split('\n')[^1]}";
                if (Peers.RequirePeers) Assert.Fail(reason);
                Assert.Skip(reason);
            }
        }
        await using var checking = ChildProcess.Start(node, [Path.Combine(check, "check.mjs"), Path.Combine(Repository.Root, "deploy", "k8s")]);
        var report = await checking.ReadStdoutTextAsync(TimeSpan.FromSeconds(60));
        Assert.True(await checking.WaitForExitAsync() == 0, report + checking.Stderr);
        using var manifest = JsonDocument.Parse(report.Trim().Split('\n')[^1]);
        var containers = manifest.RootElement.GetProperty("containers").EnumerateArray().ToList();
        var bench = containers.Single(c => c.GetProperty("job").GetString() == "sockit-bench");
        var merge = containers.Single(c => c.GetProperty("job").GetString() == "sockit-bench-merge");

        // The bench pods, two of them, against a loopback echo server for a moment; /results is a temporary directory.
        await using var echo = await TestServer.StartAsync(ServerKind.Echo, Endpoint.Parse("127.0.0.1:0"), cancellationToken: TestContext.Current.CancellationToken);
        var results = Directory.CreateTempSubdirectory("sockit-k8s-").FullName;
        try
        {
            var settings = new Dictionary<string, string> { ["TARGET"] = echo.LocalEndpoint.ToString(), ["CONNECTIONS"] = "2", ["DURATION"] = "1s" };
            var runs = await Task.WhenAll(Enumerable.Range(0, 2).Select(index =>
            {
                var values = new Dictionary<string, string>(settings) { ["JOB_COMPLETION_INDEX"] = index.ToString(CultureInfo.InvariantCulture) };
                var arguments = bench.GetProperty("args").EnumerateArray().Select(a => Expand(a.GetString()!, values).Replace("/results", results, StringComparison.Ordinal));
                return SockitCli.RunAsync("", [.. arguments]);
            }));
            foreach (var (exit, _, stderr) in runs) Assert.True(exit == 0, stderr);
            var requests = runs.Sum(run => JsonDocument.Parse(run.Stdout).RootElement.GetProperty("requests").GetInt64());

            // The merge pod's own script, with sockit on PATH as the image has it.
            var bin = Directory.CreateDirectory(Path.Combine(results, "bin")).FullName;
            var wrapper = Path.Combine(bin, "sockit");
            File.WriteAllText(wrapper, $"#!/bin/sh\nexec dotnet '{SockitCli.Dll}' \"$@\"\n");
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var script = merge.GetProperty("args")[0].GetString()!.Replace("/results", results, StringComparison.Ordinal);
            var command = merge.GetProperty("command").EnumerateArray().Select(c => c.GetString()!).ToList();
            await using var merging = ChildProcess.Start(command[0], [.. command.Skip(1), script],
                new Dictionary<string, string> { ["PODS"] = "2", ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}" });
            var merged = await merging.ReadStdoutTextAsync(TimeSpan.FromSeconds(30));
            Assert.True(await merging.WaitForExitAsync() == 0, merging.Stderr);
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"requests    {requests:N0} from 2 files"), merged, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(results, recursive: true);
        }
    }

    /// <summary>Kubernetes' $(NAME) expansion of container arguments.</summary>
    private static string Expand(string text, Dictionary<string, string> values) =>
        values.Aggregate(text, (current, value) => current.Replace($"$({value.Key})", value.Value, StringComparison.Ordinal));
}
