using System.Security.Cryptography;
using Sockit.Transport;

namespace Sockit.Tests;

/// <summary>Reading and writing whole conversations in tests.</summary>
internal static class ConnectionTestExtensions
{
    /// <summary>Everything the peer sends until it closes.</summary>
    public static async Task<byte[]> ReadToEndAsync(this Connection connection)
    {
        var all = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = await connection.ReceiveAsync(buffer, TestContext.Current.CancellationToken)) > 0) all.Write(buffer, 0, n);
        return all.ToArray();
    }

    /// <summary>Sends <paramref name="data"/> then half-closes, on its own task so the caller can read at the same time.</summary>
    public static Task SendAndShutdownAsync(this Connection connection, byte[] data) => Task.Run(async () =>
    {
        await connection.SendAsync(data, TestContext.Current.CancellationToken);
        connection.ShutdownSend();
    }, TestContext.Current.CancellationToken);

    /// <summary>
    /// Sends <paramref name="chunks"/> random chunks and half-closes while reading everything back, hashing both as
    /// they stream (nothing held whole): an echo behind the connection must return the same bytes, in order.
    /// </summary>
    public static async Task<(byte[] Sent, byte[] Received, long Total)> EchoRandomAsync(this Connection client, int chunk, int chunks)
    {
        var token = TestContext.Current.CancellationToken;
        var sending = Task.Run(async () =>
        {
            using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var data = new byte[chunk];
            for (var i = 0; i < chunks; i++)
            {
                RandomNumberGenerator.Fill(data);
                sent.AppendData(data);
                await client.SendAsync(data, token);
            }
            client.ShutdownSend();
            return sent.GetHashAndReset();
        }, token);
        using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[256 * 1024];
        long total = 0;
        int read;
        while ((read = await client.ReceiveAsync(buffer, token)) > 0)
        {
            received.AppendData(buffer, 0, read);
            total += read;
        }
        return (await sending, received.GetHashAndReset(), total);
    }
}
