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

    [Theory]
    [InlineData("--lang", "ru", "C.UTF-8")]
    [InlineData("--lang", "ru", "en_US.UTF-8")]
    [InlineData(null, null, "ru_RU.UTF-8")]
    public async Task Demo_speaks_russian_when_asked_or_when_the_locale_is_russian(string? option, string? value, string lang)
    {
        string[] arguments = option is null ? ["demo"] : ["demo", option, value!];
        var (exit, stdout, stderr) = await SockitCli.RunAsync("", new Dictionary<string, string> { ["LANG"] = lang, ["LC_ALL"] = "" }, arguments);
        Assert.True(exit == 0, stderr);
        // The webinar's terms, the same socket calls, and a reply whose byte count is of the UTF-8 text.
        Assert.Contains("Сокет — это конечная точка", stdout, StringComparison.Ordinal);
        Assert.Contains("Шаг 7. recv()", stdout, StringComparison.Ordinal);
        Assert.Contains("файл сокета", stdout, StringComparison.Ordinal);
        Assert.Contains("клиент получил: \"Привет, клиент! Ты отправил 27 байт: Привет, сервер!\"", stdout, StringComparison.Ordinal);
        Assert.Contains("ОС выбрала порт", stdout, StringComparison.Ordinal);
        foreach (var call in (string[])["socket(AF_INET", "socket(AF_UNIX", "bind(", "listen(", "accept(", "connect(", "send(", "recv(", "shutdown(", "close("])
            Assert.Contains(call, stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("the server", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_stays_english_by_default_and_names_no_port_for_a_socket_file()
    {
        var (exit, stdout, stderr) = await SockitCli.RunAsync("", new Dictionary<string, string> { ["LANG"] = "en_US.UTF-8", ["LC_ALL"] = "" }, "demo");
        Assert.True(exit == 0, stderr);
        var unix = stdout[stdout.IndexOf("=== a Unix-domain socket", StringComparison.Ordinal)..];
        Assert.DoesNotContain("port 0", unix, StringComparison.Ordinal);
        Assert.Contains("binds it to a path", unix, StringComparison.Ordinal);
        var (badExit, _, badStderr) = await SockitCli.RunAsync("", "demo", "--lang", "fr");
        Assert.Equal(2, badExit);
        Assert.Contains("'fr'", badStderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_shows_durations_and_sizes_as_they_are_typed()
    {
        var (exit, wrapped, _) = await SockitCli.RunAsync("", "serve", "--help");
        Assert.Equal(0, exit);
        var stdout = Flat(wrapped);
        Assert.Contains("(default 10s)", stdout, StringComparison.Ordinal);
        Assert.Contains("(default 1MiB)", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("00:00", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("1048576", stdout, StringComparison.Ordinal);
        var scan = await SockitCli.RunAsync("", "scan", "--help");
        Assert.Contains("(default 500ms)", Flat(scan.Stdout), StringComparison.Ordinal);
        var merge = await SockitCli.RunAsync("", "bench", "merge", "--help");
        Assert.Contains("Usage: sockit bench merge <files>...", merge.Stdout, StringComparison.Ordinal);
        Assert.All(merge.Stdout.Split('\n'), line => Assert.True(line.Length <= 100, line));
    }

    /// <summary>Help wraps at the width of the terminal (100 in a pipe): one line of words, to look for a phrase.</summary>
    private static string Flat(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");

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
