using System.Net.Sockets;
using System.Text;
using Sockit.Endpoints;

namespace Sockit.Tests;

/// <summary>A bare socket client for HTTP edge cases that curl would refuse to send.</summary>
internal static class RawHttp
{
    public static async Task<Socket> ConnectAsync(Endpoint endpoint)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(System.Net.IPAddress.Parse(endpoint.Host!), endpoint.Port, TestContext.Current.CancellationToken);
        return socket;
    }

    /// <summary>Sends <paramref name="request"/> and reads until the server closes (or <paramref name="timeout"/>).</summary>
    public static async Task<string> ExchangeAsync(Endpoint endpoint, string request, TimeSpan? timeout = null)
    {
        using var socket = await ConnectAsync(endpoint);
        await socket.SendAsync(Encoding.Latin1.GetBytes(request), SocketFlags.None, TestContext.Current.CancellationToken);
        return await ReadToCloseAsync(socket, timeout);
    }

    public static async Task<string> ReadToCloseAsync(Socket socket, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var all = new MemoryStream();
        var buffer = new byte[65536];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0) all.Write(buffer, 0, n);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // A server may close with unread request bytes pending, which resets; what arrived before counts.
        }
        return Encoding.Latin1.GetString(all.ToArray());
    }

    /// <summary>Reads exactly one response (head plus Content-Length body) from a keep-alive connection.</summary>
    public static async Task<string> ReadResponseAsync(Socket socket, StringBuilder pending)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[65536];
        while (true)
        {
            var text = pending.ToString();
            var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headEnd >= 0)
            {
                var lengthAt = text.IndexOf("Content-Length: ", StringComparison.Ordinal);
                var length = lengthAt >= 0 && lengthAt < headEnd ? int.Parse(text[(lengthAt + 16)..text.IndexOf('\r', lengthAt)], System.Globalization.CultureInfo.InvariantCulture) : 0;
                if (text.Length >= headEnd + 4 + length)
                {
                    pending.Remove(0, headEnd + 4 + length);
                    return text[..(headEnd + 4 + length)];
                }
            }
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            if (n == 0) throw new InvalidOperationException($"closed before a full response; had: {text}");
            pending.Append(Encoding.Latin1.GetString(buffer, 0, n));
        }
    }
}
