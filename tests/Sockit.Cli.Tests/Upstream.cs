using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sockit.Cli.Tests;

/// <summary>
/// A real service on loopback for the mock's proxies to record: a line service that answers "UP:" and the request, or
/// an HTTP service that answers each path with JSON naming it. Stopped, it refuses connections, so a replay that
/// still answers shows the answer came from the recording.
/// </summary>
internal sealed class Upstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private Upstream(bool http)
    {
        _listener.Start();
        _accepting = AcceptAsync(http);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static Upstream Tcp() => new(http: false);

    public static Upstream Http() => new(http: true);

    private async Task AcceptAsync(bool http)
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = Task.Run(() => ServeAsync(client, http));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private static async Task ServeAsync(TcpClient client, bool http)
    {
        using (client)
        {
            var stream = client.GetStream();
            var buffer = new byte[16 * 1024];
            var length = 0;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                do
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(length), timeout.Token);
                    if (read == 0) return;
                    length += read;
                }
                while (http && !Encoding.Latin1.GetString(buffer, 0, length).Contains("\r\n\r\n", StringComparison.Ordinal));
                var request = Encoding.UTF8.GetString(buffer, 0, length);
                if (!http)
                {
                    await stream.WriteAsync(Encoding.UTF8.GetBytes("UP:" + request), timeout.Token);
                    return;
                }
                var path = request.Split(' ')[1];
                var body = $$"""{"path":"{{path}}","method":"{{request.Split(' ')[0]}}"}""";
                await stream.WriteAsync(Encoding.UTF8.GetBytes(
                    $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Upstream: yes\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"), timeout.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
            }
        }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
