using System.CommandLine;
using Sockit.Cli.Rendering;
using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Servers;
using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Cli.Commands;

/// <summary>The options every long-running server command shares (serve, proxy): limits, access rules, log, drain, mode.</summary>
internal sealed class HostOptions
{
    private readonly Option<int> _maxConnections;
    private readonly Option<string[]> _allow = new("--allow") { HelpName = "cidr", Description = "Accept only clients in this CIDR (repeatable)" };
    private readonly Option<string[]> _deny = new("--deny") { HelpName = "cidr", Description = "Refuse clients in this CIDR (repeatable)" };
    private readonly Option<bool> _log = new("--log") { Description = "One line per connection on stdout: peer, outcome, duration, bytes each way, requests" };
    private readonly Option<string> _logFormat = new("--log-format") { Description = "text or json (the log and the exit summary)", DefaultValueFactory = _ => "text" };
    private readonly Option<TimeSpan?> _drain = CommonOptions.Duration("--drain", null, "On Ctrl-C or SIGTERM, how long open exchanges may finish before they are cut", TimeSpan.FromSeconds(5));
    private readonly Option<string?> _mode = new("--mode") { HelpName = "octal", Description = "Permissions of a Unix socket file, in octal, such as 600" };

    /// <summary>Adds the shared options to <paramref name="command"/>; <paramref name="overLimit"/> says what a client over the limit gets.</summary>
    public HostOptions(Command command, string overLimit)
    {
        _maxConnections = CommonOptions.PositiveInt("--max-connections", $"Connections served at once; more get {overLimit}", 1024);
        _logFormat.AcceptOnlyFromAmong("text", "json");
        foreach (var option in new Option[] { _maxConnections, _allow, _deny, _log, _logFormat, _drain, _mode }) command.Add(option);
    }

    public bool Json(ParseResult parse) => parse.GetValue(_logFormat) == "json";

    /// <summary>The server options these flags describe, checked against the endpoint the server listens on.</summary>
    public ServerOptions Build(ParseResult parse, Endpoint local, ISocketTracer? tracer)
    {
        var policy = AccessPolicy.Parse(parse.GetValue(_allow) ?? [], parse.GetValue(_deny) ?? []);
        if (policy.HasRules && local.IsUnixDomain) throw new UsageException("--allow and --deny apply to TCP and UDP clients; Unix sockets are guarded by --mode");
        return new ServerOptions
        {
            MaxConnections = parse.GetValue(_maxConnections),
            Policy = policy,
            Drain = parse.GetValue(_drain) ?? TimeSpan.FromSeconds(5),
            Tracer = tracer,
            UnixFileMode = CommonOptions.ParseMode(parse.GetValue(_mode), local),
            OnConnection = ServerReport.Logger(parse.GetValue(_log), Json(parse)),
        };
    }
}
