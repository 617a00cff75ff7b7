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
}
