using System.CommandLine;
using System.Text;
using Sockit.Cli.Rendering;
using Sockit.Piping;
using Sockit.Tls;
using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Cli.Commands;

/// <summary><c>sockit connect ENDPOINT</c>: a client like <c>nc host port</c>, stdin to the socket and the socket to stdout.</summary>
internal static class ConnectCommand
{
    public static Command Create()
    {
        var endpoint = CommonOptions.EndpointArgument("Where to connect");
        var closeOnEof = new Option<bool>("--close-on-eof", "-q")
        {
            Description = "Close as soon as stdin ends or the peer closes, instead of half-closing and reading the reply to its end",
        };
        var send = new Option<string?>("--send") { HelpName = "text", Description = "Send this text instead of reading stdin (exactly as given; add \\n yourself)" };
        var sendFile = new Option<FileInfo>("--send-file") { HelpName = "file", Description = "Send this file's bytes instead of reading stdin" };
        sendFile.AcceptExistingOnly();
        var crlf = new Option<bool>("--crlf", "-C") { Description = "Send each LF of the input as CRLF (HTTP, SMTP and other line protocols)" };
        var sendOnly = new Option<bool>("--send-only") { Description = "Only send: never read the peer; close at input EOF" };
        var recvOnly = new Option<bool>("--recv-only", "-d") { Description = "Only receive: never read stdin; end when the peer closes" };
        var connectTimeout = CommonOptions.Duration("--connect-timeout", "-w", "Give up connecting after this long", TimeSpan.FromSeconds(10));
        var idleTimeout = CommonOptions.Duration("--idle-timeout", "-i",
            "Close after this long with no data either way (UDP/unixgram: how long to wait for replies after stdin ends; default 2s)");
        var verbose = CommonOptions.Verbose();
        var hex = CommonOptions.Hex();

        var command = new Command("connect", "Connect to ENDPOINT and pipe stdin to it and it to stdout (like nc HOST PORT); half-close done right")
        {
            endpoint, closeOnEof, send, sendFile, crlf, sendOnly, recvOnly, connectTimeout, idleTimeout, verbose, hex,
        };
        var tls = new TlsClientFlags(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var target = parse.GetValue(endpoint)!;
            var text = parse.GetValue(send);
            var file = parse.GetValue(sendFile);
            if (text is not null && file is not null) throw new UsageException("--send and --send-file cannot be combined; pick one source");
            if (parse.GetValue(sendOnly) && parse.GetValue(recvOnly)) throw new UsageException("--send-only and --recv-only cannot be combined");
            if (parse.GetValue(recvOnly) && (text is not null || file is not null))
                throw new UsageException("--recv-only (-d) never sends, so it cannot go with --send or --send-file; drop one of them");

            using var tracer = CommonOptions.CreateTracer(parse);
            var options = new BridgeOptions
            {
                CloseOnEof = parse.GetValue(closeOnEof),
                SendOnly = parse.GetValue(sendOnly),
                ReceiveOnly = parse.GetValue(recvOnly),
                CrLf = parse.GetValue(crlf),
                IdleTimeout = parse.GetValue(idleTimeout),
                Dump = parse.GetValue(hex) ? new HexDumpWriter(Console.Error) : null,
            };
            // One connection: noting whether the server asks for a certificate costs nothing worth keeping (a resumed session).
            var dial = new DialOptions
            {
                ConnectTimeout = parse.GetValue(connectTimeout), Tracer = tracer,
                Tls = tls.Build(parse, target) is { } tlsOptions ? tlsOptions with { NoticesCertificateRequest = true } : null,
            };
            await using var input = text is not null ? new MemoryStream(Encoding.UTF8.GetBytes(text))
                : file is not null ? file.OpenRead() : Stdio.OpenInput();
            await using var output = Stdio.OpenOutput();
            var isVerbose = parse.GetValue(verbose);

            BridgeResult result;
            if (target.IsStream)
            {
                await using var connection = await Dialer.ConnectAsync(target, dial, cancellationToken);
                if (isVerbose) Reporter.Info($"connected to {connection.RemoteEndpoint} from {connection.LocalEndpoint}");
                if (isVerbose && connection.Tls is { } session) Reporter.Info(TlsReport.Summary(session));
                // A server that asked for a certificate, got none and hung up (or reset) before a byte has, all but surely,
                // refused us for it: sockit's own servers send no alert that would say so. Not an empty answer to report as a success.
                var refusable = connection.Tls?.Verdict is { CertificateAskedButNoneGiven: true };
                try
                {
                    result = await StreamBridge.RunAsync(connection, input, output, options, cancellationToken);
                }
                catch (SockitException ex) when (ex.Error == SockitError.ConnectionReset && refusable && connection.BytesReceived == 0)
                {
                    throw TlsFailures.ClosedForNoCertificate(ex);
                }
                if (refusable && connection.BytesReceived == 0 && result.Ending is BridgeEnding.Completed or BridgeEnding.PeerClosed)
                    throw TlsFailures.ClosedForNoCertificate();
            }
            else
            {
                await using var channel = await DatagramChannel.ConnectAsync(target, dial, cancellationToken);
                if (isVerbose) Reporter.Info($"sending datagrams to {target} from {channel.LocalEndpoint}");
                result = await DatagramBridge.RunClientAsync(channel, input, output, options, cancellationToken);
            }
            return Outcome.Report(result, target, isVerbose, streamIdleIsFailure: target.IsStream);
        });
        return command;
    }
}
