using System.Diagnostics;
using Sockit.Endpoints;
using Sockit.Transport;

namespace Sockit.Inspection;

/// <summary>Waits until services accept connections: connect, and on failure try again with a growing pause.</summary>
internal static class ServiceWaiter
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(1);
    private static readonly Tls.TlsClientOptions AnyCertificate = new() { Insecure = true };

    /// <summary>
    /// Waits for every endpoint (TCP or Unix stream; for tls:// also a finished handshake) to accept a connection, up to <paramref name="timeout"/>; reports each
    /// as it comes up with the time it took. Returns the endpoints that never did (empty when all are up).
    /// </summary>
    public static async Task<IReadOnlyList<Endpoint>> WaitAsync(IReadOnlyList<Endpoint> endpoints, TimeSpan timeout,
        Action<Endpoint, TimeSpan>? onUp = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var bad = endpoints.FirstOrDefault(e => !e.IsStream);
        if (bad is not null) throw new SockitException(SockitError.InvalidArgument, $"cannot wait for {bad}: only stream endpoints (TCP, unix://) accept connections");
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var results = await Task.WhenAll(endpoints.Select(async endpoint =>
        {
            var up = await WaitOneAsync(endpoint, deadline.Token).ConfigureAwait(false);
            if (up) onUp?.Invoke(endpoint, Stopwatch.GetElapsedTime(started));
            return (endpoint, up);
        })).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return results.Where(r => !r.up).Select(r => r.endpoint).ToList();
    }

    private static async Task<bool> WaitOneAsync(Endpoint endpoint, CancellationToken deadline)
    {
        var pause = FirstPause;
        while (!deadline.IsCancellationRequested)
        {
            try
            {
                // A tls:// service is up once it finishes a handshake; whether its certificate is trusted is another question (sockit tls).
                await using var connection = await Dialer.ConnectAsync(endpoint, new DialOptions { ConnectTimeout = LongestPause, Tls = AnyCertificate }, deadline).ConfigureAwait(false);
                return true;
            }
            catch (SockitException)
            {
                // Not up yet: refused, no socket file, timed out, unknown host (DNS may come up later too).
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            try
            {
                await Task.Delay(pause, deadline).ConfigureAwait(false); // back-off between attempts
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
        }
        return false;
    }
}
