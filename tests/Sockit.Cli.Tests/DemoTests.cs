namespace Sockit.Cli.Tests;

/// <summary>The README's first command: the demo must run anywhere and show every step.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task Demo_shows_the_seven_steps_over_tcp_and_unix()
    {
        var (exit, stdout, stderr) = await SockitCli.RunAsync("", "demo");
        Assert.True(exit == 0, stderr);
        string[] calls = ["socket(AF_INET, SOCK_STREAM", "socket(AF_UNIX, SOCK_STREAM", "bind(", "listen(", "accept(", "connect(", "send(", "recv(", "shutdown(", "close(", "unlink("];
        foreach (var call in calls) Assert.Contains(call, stdout, StringComparison.Ordinal);
        Assert.Contains("client got: \"Hello, client! You sent 14 bytes: Hello, server!\"", stdout, StringComparison.Ordinal);
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task Version_and_help_work()
    {
        var version = await SockitCli.RunAsync("", "--version");
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Stdout);
        var help = await SockitCli.RunAsync("", "connect", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--close-on-eof", help.Stdout, StringComparison.Ordinal);
    }
}
