using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Sockit.Endpoints;
using Sockit.Transport;

namespace Sockit.Inspection;

/// <summary>What a scan found.</summary>
/// <param name="Host">The address scanned.</param>
/// <param name="Open">Ports that accepted a connection, in ascending order.</param>
/// <param name="Closed">Ports that refused (nothing listening).</param>
/// <param name="Filtered">Ports that gave no answer within the timeout.</param>
/// <param name="Duration">How long the scan took.</param>
internal sealed record ScanResult(string Host, IReadOnlyList<int> Open, int Closed, int Filtered, TimeSpan Duration)
{
    /// <summary>After <see cref="PortScanner.ProbeTlsAsync"/>: the open ports that finished a TLS handshake, with the version agreed.</summary>
    public IReadOnlyDictionary<int, string> Tls { get; init; } = new Dictionary<int, string>();
}

/// <summary>Which TCP ports of a host accept a connection (<c>nc -z</c> style): connect, note the answer, close.</summary>
internal static class PortScanner
{
    /// <summary>Parses a port list such as <c>1-1024,8080,9000-9010</c>; throws a usage error naming a bad part.</summary>
    public static IReadOnlyList<int> ParsePorts(string text)
    {
        var ports = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var (low, high) = dash < 0 ? (Port(part, text), Port(part, text)) : (Port(part[..dash], text), Port(part[(dash + 1)..], text));
            if (low > high) throw new SockitException(SockitError.InvalidArgument, $"invalid port range '{part}': the first port must not exceed the last");
            for (var port = low; port <= high; port++) ports.Add(port);
        }
        if (ports.Count == 0) throw new SockitException(SockitError.InvalidArgument, $"invalid port list '{text}': give ports such as 22,80 or a range such as 1-1024");
        return [.. ports];
    }

    /// <summary>
    /// Tries a TLS handshake (any certificate) on each open port of <paramref name="result"/>: the ports that finish one
    /// speak TLS. A plain server that waits for its own protocol counts as not TLS after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<ScanResult> ProbeTlsAsync(ScanResult result, int concurrency, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        var tls = new ConcurrentDictionary<int, string>();
        var dial = new DialOptions { ConnectTimeout = timeout, Tls = new Tls.TlsClientOptions { Insecure = true } };
        await Parallel.ForEachAsync(result.Open, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (port, ct) =>
        {
            try
            {
                await using var connection = await Dialer.ConnectAsync(Endpoint.ForHost(TransportKind.Tcp, result.Host, port).WithTls(true), dial, ct).ConfigureAwait(false);
                tls[port] = connection.Tls!.ProtocolName;
            }
            catch (SockitException)
            {
                // not TLS, or not within the timeout
            }
        }).ConfigureAwait(false);
        return result with { Tls = new Dictionary<int, string>(tls) };
    }

    private static int Port(string text, string whole) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535
            ? port
            : throw new SockitException(SockitError.InvalidArgument, $"invalid port '{text}' in '{whole}': ports run from 1 to 65535");

    /// <summary>Probes each port with at most <paramref name="concurrency"/> connects in flight; <paramref name="onOpen"/> hears of each open port as it is found.</summary>
    public static async Task<ScanResult> ScanAsync(string host, IReadOnlyList<int> ports, int concurrency, TimeSpan timeout,
        Action<int>? onOpen = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ports);
        var address = (await Resolver.ResolveAsync(Endpoint.ForHost(TransportKind.Tcp, host, 0), cancellationToken).ConfigureAwait(false))[0];
        var ip = ((IPEndPoint)address).Address;
        var started = Stopwatch.GetTimestamp();
        var open = new ConcurrentBag<int>();
        var closed = 0;
        var filtered = 0;
        await Parallel.ForEachAsync(ports, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (port, ct) =>
        {
            using var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(timeout);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(ip, port), limit.Token).ConfigureAwait(false);
                socket.LingerState = new LingerOption(true, 0); // close with a reset: no TIME_WAIT left behind per port
                open.Add(port);
                onOpen?.Invoke(port);
            }
            catch (SocketException)
            {
                Interlocked.Increment(ref closed);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Interlocked.Increment(ref filtered);
            }
        }).ConfigureAwait(false);
        return new ScanResult(ip.ToString(), [.. open.Order()], closed, filtered, Stopwatch.GetElapsedTime(started));
    }
}
