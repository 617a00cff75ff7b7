using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sockit.Cli.Rendering;
using Sockit.Endpoints;
using Sockit.Load;

namespace Sockit.Cli.Commands;

/// <summary>
/// <c>sockit bench ENDPOINT</c>: load a server (pingpong, stream, connect, http) closed loop or at a fixed rate, with
/// HdrHistogram latency percentiles; <c>sockit bench merge FILES</c> combines runs made on several machines.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("endpoint")
        {
            Description = $"The server to load: {Endpoint.AcceptedForms}; or http://host:port/path or https://… (http mode)",
        };
        var mode = new Option<string?>("--mode", "-m")
        {
            HelpName = "mode",
            Description = "pingpong (default), stream, connect or http (default for http:// URLs); or an attack that shows how the server defends itself: " +
                          "idle (hold connections), slowloris (a request head a byte at a time), slow-read (read the answer through a tiny window), " +
                          "reset (connect, then RST), garbage (random bytes, or malformed HTTP for http:// URLs)",
        };
        mode.AcceptOnlyFromAmong("pingpong", "stream", "connect", "http", "idle", "slowloris", "slow-read", "reset", "garbage");
        var interval = CommonOptions.Duration("--interval", null, "slowloris: the pause between two bytes of the head; slow-read: between two 16-byte reads", TimeSpan.FromSeconds(1));
        var connections = CommonOptions.PositiveInt("--connections", "Connections at once", 1);
        connections.Aliases.Add("-c");
        var duration = CommonOptions.Duration("--duration", "-d", "How long to measure (default 10s unless --count is given)");
        var count = new Option<long?>("--count", "-n") { HelpName = "n", Description = "Stop after this many requests (connections in connect mode)" };
        var rate = new Option<double?>("--rate", "-r")
        {
            HelpName = "per-second",
            Description = "Open loop: this many requests per second in total; latency counts from when each was due, so stalls are not hidden",
        };
        var connectRate = new Option<double?>("--connect-rate") { HelpName = "per-second", Description = "Open this many connections per second at the start (default: all at once)" };
        var warmup = CommonOptions.Duration("--warmup", null, "Run this long first without recording", TimeSpan.Zero);
        var message = new Option<string?>("--msg") { HelpName = "text", Description = @"The message to send, with \n \r \t \\ \xNN escapes (default: 32 random bytes; 64 KiB in stream mode)" };
        var messageFile = new Option<string?>("--msg-file") { Description = "Send the contents of this file as the message", HelpName = "file" };
        var size = new Option<string?>("--size") { Description = "Send a random message of this many bytes (64, 4K, 1M)", HelpName = "bytes" };
        var replyLength = new Option<int?>("--reply-length") { HelpName = "bytes", Description = "Pingpong: the reply is this many bytes (default: the message's length, as an echo server sends)" };
        var replyDelimiter = new Option<string?>("--reply-delimiter") { HelpName = "byte", Description = @"Pingpong: the reply ends with this byte, such as \n for a line protocol" };
        var timeout = CommonOptions.Duration("--timeout", "-w", "A request or connect that takes longer counts as a timeout (its connection is replaced)", TimeSpan.FromSeconds(5));
        var method = new Option<string>("--method", "-X") { HelpName = "method", Description = "HTTP method (a body, from --msg, --msg-file or --size, goes with all but GET and HEAD)", DefaultValueFactory = _ => "GET" };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON document" };
        var hdrOut = new Option<string?>("--hdr-out") { Description = "Also write the latency histogram to FILE in HdrHistogram's log format (for sockit bench merge)", HelpName = "file" };

        var command = new Command("bench", "Load a server and report requests/s, bytes/s, errors and latency percentiles (like wrk or tcpkali)")
        {
            target, mode, connections, duration, count, rate, connectRate, warmup, message, messageFile, size, replyLength, replyDelimiter, timeout, method, interval,
            json, hdrOut,
            CreateMerge(),
        };
        var tls = new TlsClientFlags(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (endpoint, path, isUrl) = ParseTarget(parse.GetValue(target)!);
            var loadMode = parse.GetValue(mode) switch
            {
                "stream" => LoadMode.Stream,
                "connect" => LoadMode.Connect,
                "http" => LoadMode.Http,
                "pingpong" => LoadMode.PingPong,
                "idle" => LoadMode.Idle,
                "slowloris" => LoadMode.Slowloris,
                "slow-read" => LoadMode.SlowRead,
                "reset" => LoadMode.Reset,
                "garbage" => LoadMode.Garbage,
                _ => isUrl ? LoadMode.Http : LoadMode.PingPong,
            };
            if (isUrl && loadMode is LoadMode.PingPong or LoadMode.Stream or LoadMode.Connect)
                throw new UsageException($"an http:// URL is loaded in http mode (or attacked); give host:port for {parse.GetValue(mode)} mode");
            var options = new LoadOptions
            {
                Target = endpoint,
                Tls = tls.Build(parse, endpoint),
                Mode = loadMode,
                Connections = parse.GetValue(connections),
                Duration = parse.GetValue(duration),
                Count = parse.GetValue(count),
                Rate = parse.GetValue(rate),
                ConnectRate = parse.GetValue(connectRate),
                Warmup = parse.GetValue(warmup) ?? TimeSpan.Zero,
                Message = Message(parse.GetValue(message), parse.GetValue(messageFile), parse.GetValue(size), loadMode, isUrl ? path : null),
                ReplyLength = parse.GetValue(replyLength),
                ReplyDelimiter = Delimiter(parse.GetValue(replyDelimiter)),
                Timeout = parse.GetValue(timeout) ?? TimeSpan.FromSeconds(5),
                HttpMethod = parse.GetValue(method)!.ToUpperInvariant(),
                HttpPath = path,
                Interval = parse.GetValue(interval) ?? TimeSpan.FromSeconds(1),
                GarbageHttp = isUrl,
            };
            if (FileLimit.Shortfall(options.Connections) is { } shortfall)
            {
                Reporter.Error(shortfall);
                return CliRunner.Failure;
            }
            var started = DateTimeOffset.UtcNow;
            var result = await BenchReport.RunWithProgressAsync(options, cancellationToken);
            if (parse.GetValue(hdrOut) is { } file) LatencyLog.Write(file, result.Latency, started + options.Warmup, DateTimeOffset.UtcNow, $"{endpoint}");
            BenchReport.Print(result, parse.GetValue(json), endpoint.IsTls);
            if (result.Requests == 0 && loadMode != LoadMode.Stream && result.Outcomes.Count == 0)
            {
                // Nothing measured is a failure a script must see, whether requests failed or none finished in time.
                Reporter.Error(result.ErrorCount > 0
                    ? $"no request succeeded ({BenchReport.ErrorSummary(result.Errors)}); is the server at {endpoint} up and speaking this protocol?"
                    : $"no request completed, and none failed: the run ended first; give it longer with -d, or check that {endpoint} answers");
                return CliRunner.Failure;
            }
            return CliRunner.Ok;
        });
        return command;
    }

    private static Command CreateMerge()
    {
        var files = new Argument<string[]>("files") { Description = "HdrHistogram logs written by sockit bench --hdr-out", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print the merged result as one JSON document" };
        var merge = new Command("merge", "Combine the latency histograms of several runs (from many machines) into one report") { files, json };
        merge.SetAction(parse =>
        {
            var paths = parse.GetValue(files)!;
            BenchReport.PrintMerged(paths.Length, LatencyLog.Merge(paths), parse.GetValue(json));
            return CliRunner.Ok;
        });
        return merge;
    }

    /// <summary>An endpoint, or an http:// URL (its host, port and path).</summary>
    private static (Endpoint Endpoint, string Path, bool IsUrl) ParseTarget(string text)
    {
        var https = text.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        if (!https && !text.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            if (Endpoint.TryParse(text, out var endpoint, out var error)) return (endpoint, "/", false);
            throw new UsageException(EndpointDiagnosis.Explain(text, error));
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw new UsageException($"invalid URL '{text}': write http://host:port/path or https://host:port/path");
        var host = uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.IdnHost.Trim('[', ']')}]" : uri.IdnHost;
        return (Endpoint.Parse($"{host}:{uri.Port.ToString(CultureInfo.InvariantCulture)}").WithTls(https), uri.PathAndQuery, true);
    }

    private static ReadOnlyMemory<byte> Message(string? text, string? file, string? size, LoadMode mode, string? httpPath)
    {
        if ((text is null ? 0 : 1) + (file is null ? 0 : 1) + (size is null ? 0 : 1) > 1) throw new UsageException("give one of --msg, --msg-file and --size");
        if (text is not null) return Unescape(text);
        if (file is not null)
        {
            try
            {
                return File.ReadAllBytes(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot read --msg-file {file}: {ex.Message}");
            }
        }
        if (size is not null)
        {
            if (!Sizes.TryParse(size, out var bytes) || bytes is < 1 or > 64 * 1024 * 1024)
                throw new UsageException($"invalid --size '{size}': use a number of bytes from 1 to 64M, such as 64, 4K or 1M");
            return RandomNumberGenerator.GetBytes((int)bytes);
        }
        return mode switch
        {
            LoadMode.Stream => RandomNumberGenerator.GetBytes(64 * 1024),
            LoadMode.Http => ReadOnlyMemory<byte>.Empty,
            // Slow-read asks for a large answer: 256 pipelined requests of a web server, a megabyte back from an echo.
            LoadMode.SlowRead when httpPath is not null => Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat($"GET {httpPath} HTTP/1.1\r\nHost: sockit\r\n\r\n", 256))),
            LoadMode.SlowRead => RandomNumberGenerator.GetBytes(1 << 20),
            LoadMode.Garbage => RandomNumberGenerator.GetBytes(1024),
            _ => RandomNumberGenerator.GetBytes(32),
        };
    }

    private static byte? Delimiter(string? text)
    {
        if (text is null) return null;
        var bytes = Unescape(text);
        return bytes.Length == 1 ? bytes[0] : throw new UsageException($@"--reply-delimiter takes one byte, such as \n or ';' (got '{text}')");
    }

    /// <summary>Turns \n, \r, \t, \\, \0 and \xNN into bytes; everything else is UTF-8.</summary>
    internal static byte[] Unescape(string text)
    {
        var bytes = new List<byte>(text.Length);
        var plain = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\' || i == text.Length - 1)
            {
                plain.Append(text[i]);
                continue;
            }
            bytes.AddRange(Encoding.UTF8.GetBytes(plain.ToString()));
            plain.Clear();
            var next = text[++i];
            switch (next)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case '0': bytes.Add(0); break;
                case '\\': bytes.Add((byte)'\\'); break;
                case 'x' when i + 2 < text.Length && byte.TryParse(text.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value):
                    bytes.Add(value);
                    i += 2;
                    break;
                default: throw new UsageException($@"unknown escape '\{next}': use \n \r \t \0 \\ or \xNN");
            }
        }
        bytes.AddRange(Encoding.UTF8.GetBytes(plain.ToString()));
        return [.. bytes];
    }
}
