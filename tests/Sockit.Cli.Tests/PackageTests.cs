using System.Diagnostics;
using Sockit.Testing;

namespace Sockit.Cli.Tests;

/// <summary>
/// The packages as a user gets them: both packed into a local feed, the library used from a fresh xunit project made
/// on the spot (outside the repository, so none of its build settings help), the tool installed and run.
/// </summary>
public sealed class PackageTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Packed_library_and_tool_work_from_a_clean_project()
    {
        var repository = Repository.Root;
        // A version of its own, so that no package cached by an earlier run stands in for the one packed now.
        var version = $"0.0.0-package-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        var work = Directory.CreateTempSubdirectory("sockit-package-");
        var feed = Path.Combine(work.FullName, "feed");
        var project = Path.Combine(work.FullName, "clean");
        try
        {
            foreach (var packed in new[] { "src/Sockit", "src/Sockit.Cli" })
                await RunAsync(repository, "pack", Path.Combine(repository, packed), "-c", "Release", "-o", feed, $"-p:Version={version}");
            Assert.True(File.Exists(Path.Combine(feed, $"Sockit.{version}.nupkg")));
            Assert.True(File.Exists(Path.Combine(feed, $"Sockit.{version}.snupkg")), "the symbols package is missing");

            Directory.CreateDirectory(project);
            var templates = Path.Combine(Repository.TestSources("Sockit.Cli.Tests"), "CleanProject");
            File.WriteAllText(Path.Combine(project, "CleanProject.csproj"),
                File.ReadAllText(Path.Combine(templates, "CleanProject.csproj.txt")).Replace("$(SockitVersion)", version, StringComparison.Ordinal));
            File.Copy(Path.Combine(templates, "ProxyLatencyTests.cs.txt"), Path.Combine(project, "ProxyLatencyTests.cs"));
            File.WriteAllText(Path.Combine(project, "nuget.config"),
                $"""<configuration><packageSources><add key="local" value="{feed}" /></packageSources></configuration>""");
            // xunit v3 test projects are programs: running one runs its tests, and its exit code says how they went.
            var tests = await RunAsync(project, "run", "--project", project);
            Assert.Contains("Failed: 0", tests, StringComparison.Ordinal);
            Assert.Contains("Total: 1", tests, StringComparison.Ordinal);

            var tools = Path.Combine(work.FullName, "tools");
            await RunAsync(project, "tool", "install", "Sockit.Cli", "--tool-path", tools, "--add-source", feed, "--version", version);
            var (exit, stdout, stderr) = await RunProcessAsync(project, Path.Combine(tools, "sockit"), "--version");
            Assert.True(exit == 0, stderr);
            Assert.Equal(version, stdout.Trim());
        }
        finally
        {
            work.Delete(recursive: true);
            // The restore put this run's packages in the user's cache; they are of no use to anyone else.
            var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (var id in new[] { "sockit", "sockit.cli" })
            {
                var folder = Path.Combine(cache, id, version);
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static async Task<string> RunAsync(string directory, params string[] arguments)
    {
        var (exit, stdout, stderr) = await RunProcessAsync(directory, "dotnet", arguments);
        Assert.True(exit == 0, $"dotnet {string.Join(' ', arguments)} failed ({exit}):\n{stdout}\n{stderr}");
        return stdout;
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunProcessAsync(string directory, string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The test host's own settings (MSBuild's node, the testing platform's pipes) must not leak into the user's build.
        foreach (var key in info.Environment.Keys.Where(key => key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)
            || key.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
            || key.Equals("DOTNET_HOST_PATH", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(StepTimeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish in {StepTimeout}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
