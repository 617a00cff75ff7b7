using System.CommandLine;
using Sockit.Cli.Rendering;
using Sockit.Endpoints;
using Sockit.Piping;
using Sockit.Tls;
using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Cli.Commands;

/// <summary><c>sockit listen ENDPOINT</c>: a server like <c>nc -l</c>, piping its client to stdin and stdout.</summary>
internal static class ListenCommand
{
    public static Command Create()
    {
        var endpoint = CommonOptions.EndpointArgument("Where to listen (':port' is loopback only; '*:port' is every interface)");
        var keepOpen = new Option<bool>("--keep-open", "-k")
        {
            Description = "Serve many clients at once until Ctrl-C: each client's data goes to stdout; stdin goes to all of them",
        };
        var maxClients = CommonOptions.PositiveInt("--max-clients", "With -k, clients served at once; more are refused with a reset", 64);
        var allow = new Option<string[]>("--allow") { HelpName = "cidr", Description = "Accept only clients in this CIDR (repeatable), such as 127.0.0.0/8", AllowMultipleArgumentsPerToken = false };
        var deny = new Option<string[]>("--deny") { HelpName = "cidr", Description = "Refuse clients in this CIDR (repeatable)" };
        var mode = new Option<string?>("--mode") { HelpName = "octal", Description = "Permissions of a Unix socket file, in octal, such as 600 (owner only)" };
        var closeOnEof = new Option<bool>("--close-on-eof", "-q")
        {
            Description = "Close as soon as stdin ends or the client closes, instead of half-closing and reading to the end",
        };
        var idleTimeout = CommonOptions.Duration("--idle-timeout", "-i", "Close after this long with no data either way");
        var verbose = CommonOptions.Verbose();
        var hex = CommonOptions.Hex();

        var command = new Command("listen", "Listen on ENDPOINT, accept a client and pipe it to stdin and stdout (like nc -l)")
        {
            endpoint, keepOpen, maxClients, allow, deny, mode, closeOnEof, idleTimeout, verbose, hex,
        };
        var tlsFlags = new TlsServerFlags(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var local = parse.GetValue(endpoint)!;
            var policy = AccessPolicy.Parse(parse.GetValue(allow) ?? [], parse.GetValue(deny) ?? []);
            if (policy.HasRules && local.IsUnixDomain) throw new UsageException("--allow and --deny apply to TCP and UDP clients; Unix sockets are guarded by --mode");
            var fileMode = CommonOptions.ParseMode(parse.GetValue(mode), local);
            var tls = tlsFlags.Build(parse, local);
            var isVerbose = parse.GetValue(verbose);
            var dump = parse.GetValue(hex) ? new HexDumpWriter(Console.Error) : null;
            using var tracer = CommonOptions.CreateTracer(parse);
            var listenerOptions = new ListenerOptions { Tracer = tracer, UnixFileMode = fileMode };
            await using var input = Stdio.OpenInput();
            await using var output = Stdio.OpenOutput();
            void OnEvent(PeerEvent e)
            {
                if (!isVerbose) return;
                Reporter.Info(e.Kind switch
                {
                    PeerEventKind.Connected => $"connection from {e.Peer}",
                    PeerEventKind.Rejected => $"refused {e.Peer}: {e.Detail}",
                    _ => $"{e.Peer} disconnected: {e.Detail}",
                });
            }

            try
            {
                if (!local.IsStream)
                {
                    await using var channel = await DatagramChannel.BindAsync(local, listenerOptions, cancellationToken);
                    AnnounceListening(channel.LocalEndpoint, local, isVerbose);
                    var result = await DatagramBridge.RunServerAsync(channel, input, output, new DatagramServerOptions
                    {
                        KeepOpen = parse.GetValue(keepOpen),
                        MaxPeers = parse.GetValue(maxClients),
                        Policy = policy,
                        IdleTimeout = parse.GetValue(idleTimeout),
                        Dump = dump,
                        OnEvent = OnEvent,
                    }, cancellationToken);
                    return Outcome.Report(result, channel.LocalEndpoint, isVerbose, streamIdleIsFailure: false);
                }

                await using var listener = await Listener.StartAsync(local, listenerOptions, cancellationToken);
                AnnounceListening(listener.LocalEndpoint, local, isVerbose);
                if (parse.GetValue(keepOpen))
                {
                    await StreamHub.RunAsync(listener, input, output, new HubOptions
                    {
                        MaxClients = parse.GetValue(maxClients),
                        Policy = policy,
                        Tls = tls,
                        Dump = dump,
                        OnEvent = OnEvent,
                    }, cancellationToken);
                    return CliRunner.Ok;
                }

                await using var connection = await listener.AcceptAsync(policy, peer => OnEvent(new PeerEvent(PeerEventKind.Rejected, peer, "denied by --allow/--deny")), cancellationToken);
                await listener.DisposeAsync(); // one client, like nc -l: stop listening once it is here
                if (tls is not null) await TlsHandshake.AcceptAsync(connection, tls, cancellationToken);
                OnEvent(new PeerEvent(PeerEventKind.Connected, connection.RemoteEndpoint));
                if (isVerbose && connection.Tls is { } session) Reporter.Info(TlsReport.Summary(session));
                var bridged = await StreamBridge.RunAsync(connection, input, output, new BridgeOptions
                {
                    CloseOnEof = parse.GetValue(closeOnEof),
                    IdleTimeout = parse.GetValue(idleTimeout),
                    Dump = dump,
                }, cancellationToken);
                return Outcome.Report(bridged, connection.RemoteEndpoint, isVerbose, streamIdleIsFailure: true);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                if (isVerbose) Reporter.Info("stopped by signal");
                return CliRunner.Ok; // Ctrl-C and SIGTERM are how a listener is meant to stop; the socket file is gone by now
            }
        });
        return command;
    }

    /// <summary>The real address goes to stderr when the OS chose the port (or with -v), so scripts can find it.</summary>
    private static void AnnounceListening(Endpoint bound, Endpoint requested, bool verbose)
    {
        if (verbose || (!requested.IsUnixDomain && requested.Port == 0)) Reporter.Info($"listening on {bound.WithTls(requested.IsTls)}");
    }
}
