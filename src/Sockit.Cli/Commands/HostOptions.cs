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
    private readonly Option<int> _maxConnections = CommonOptions.PositiveInt("--max-connections",
        "Connections served at once; more wait in the listen queue until one ends (nothing is refused for being one too many)", 1024);
    private readonly Option<int?> _backlog = new("--backlog")
    {
        HelpName = "n",
        Description = "Connected clients the kernel queues until they are accepted (listen's backlog, capped by net.core.somaxconn). " +
            "Default 511, as nginx; for proxy, the --max-connections if more, as haproxy",
    };
    private readonly Option<int?> _maxPerClient = new("--max-per-client")
    {
        HelpName = "n",
        Description = "Connections at once from one client address; more are reset (default: no limit, since on loopback every client has one address)",
    };
    private readonly Option<TimeSpan?> _idle;
    private readonly Option<string[]> _allow = new("--allow") { HelpName = "cidr", Description = "Accept only clients in this CIDR (repeatable)" };
    private readonly Option<string[]> _deny = new("--deny") { HelpName = "cidr", Description = "Refuse clients in this CIDR (repeatable)" };
    private readonly Option<bool> _log = new("--log") { Description = "One line per connection on stdout: peer, outcome, duration, bytes each way, requests" };
    private readonly Option<string> _logFormat = new("--log-format") { Description = "text or json (the log and the exit summary)", DefaultValueFactory = _ => "text" };
    /// <summary>The name of the drain option, which also sets how long the process may take to stop (see CliRunner).</summary>
    public const string DrainOption = "--drain";

    /// <summary>How long open exchanges may finish after Ctrl-C or SIGTERM when --drain is not given.</summary>
    public static readonly TimeSpan DefaultDrain = TimeSpan.FromSeconds(5);

    private readonly Option<TimeSpan?> _drain = CommonOptions.Duration(DrainOption, null, "On Ctrl-C or SIGTERM, how long open exchanges may finish before they are cut", DefaultDrain);
    private readonly Option<string?> _mode = new("--mode") { HelpName = "octal", Description = "Permissions of a Unix socket file, in octal, such as 600" };

    /// <summary>Adds the shared options to <paramref name="command"/>; <paramref name="idleDescription"/> explains its --idle-timeout.</summary>
    public HostOptions(Command command, string idleDescription, TimeSpan? idleDefault)
    {
        _idle = CommonOptions.Duration("--idle-timeout", null, idleDescription, idleDefault);
        _logFormat.AcceptOnlyFromAmong("text", "json");
        foreach (var option in new Option[] { _maxConnections, _backlog, _maxPerClient, _idle, _allow, _deny, _log, _logFormat, _drain, _mode }) command.Add(option);
        _tls = new TlsServerFlags(command);
    }

    private readonly TlsServerFlags _tls;

    /// <summary>The --idle-timeout given, or its default; null when neither.</summary>
    public TimeSpan? IdleTimeout(ParseResult parse) => parse.GetValue(_idle);

    public bool Json(ParseResult parse) => parse.GetValue(_logFormat) == "json";

    /// <summary>The server options these flags describe, checked against the endpoint the server listens on.</summary>
    public ServerOptions Build(ParseResult parse, Endpoint local, ISocketTracer? tracer)
    {
        var policy = AccessPolicy.Parse(parse.GetValue(_allow) ?? [], parse.GetValue(_deny) ?? []);
        if (policy.HasRules && local.IsUnixDomain) throw new UsageException("--allow and --deny apply to TCP and UDP clients; Unix sockets are guarded by --mode");
        return new ServerOptions
        {
            MaxConnections = parse.GetValue(_maxConnections),
            MaxConnectionsPerClient = parse.GetValue(_maxPerClient) is { } perClient and > 0 ? perClient
                : parse.GetValue(_maxPerClient) is null ? 0 : throw new UsageException("--max-per-client takes a whole number of 1 or more"),
            Backlog = parse.GetValue(_backlog) is { } backlog and > 0 ? backlog
                : parse.GetValue(_backlog) is null ? null : throw new UsageException("--backlog takes a whole number of 1 or more"),
            IdleTimeout = parse.GetValue(_idle),
            Policy = policy,
            Drain = parse.GetValue(_drain) ?? DefaultDrain,
            Tracer = tracer,
            UnixFileMode = CommonOptions.ParseMode(parse.GetValue(_mode), local),
            OnConnection = ServerReport.Logger(parse.GetValue(_log), Json(parse)),
            Tls = _tls.Build(parse, local),
        };
    }
}
