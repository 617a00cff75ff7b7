using Sockit.Hosting;
using Sockit.Transport;

namespace Sockit.Servers.Http;

/// <summary>The http-echo server: each connection gets a <see cref="HttpEchoSession"/>.</summary>
internal sealed class HttpEchoService : IConnectionService
{
    public async Task ServeAsync(Connection connection, ConnectionContext context)
    {
        using var session = new HttpEchoSession(connection, context);
        await session.RunAsync().ConfigureAwait(false);
    }
}
