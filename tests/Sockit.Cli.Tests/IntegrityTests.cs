using System.Security.Cryptography;

namespace Sockit.Cli.Tests;

/// <summary>Nothing lost: random bytes go through connect → listen and back, and arrive whole and in order.</summary>
public sealed class IntegrityTests
{
    [Fact]
    public async Task Sixty_four_MiB_go_through_connect_and_listen_and_back_after_the_senders_eof()
    {
        const int Size = 64 * 1024 * 1024;
        var data = RandomNumberGenerator.GetBytes(Size);
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, data, TestContext.Current.CancellationToken);
            var (listener, address) = await SockitCli.ListenAsync("127.0.0.1:0");
            await using var _ = listener;
            await using var client = SockitCli.Start("connect", address, "--send-file", file);

            // Everything the client sent reaches the listener's stdout...
            var atListener = await listener.WaitForStdoutAsync(Size, TimeSpan.FromSeconds(120));
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(atListener.AsSpan(0, Size)));

            // ...and only after the client's EOF does the reply go back, which the half-closed client still reads.
            await listener.WriteAsync(atListener);
            listener.CloseStdin();

            Assert.Equal(0, await client.WaitForExitAsync(TimeSpan.FromSeconds(120)));
            var back = await client.ReadStdoutToEndAsync();
            Assert.Equal(Size, back.Length);
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(back));
            Assert.Equal(0, await listener.WaitForExitAsync());
            Assert.Equal(Size, (await listener.ReadStdoutToEndAsync()).Length);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
