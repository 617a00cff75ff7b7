using Sockit.Hosting;
using Sockit.Transport;

namespace Sockit.Servers.Http;

/// <summary>The http-echo server: each connection gets a <see cref="HttpEchoSession"/>.</summary>
internal sealed class HttpEchoService : IStreamService
{
    public async Task ServeAsync(Connection connection, ConnectionState state, ServiceContext context)
    {
        using var session = new HttpEchoSession(connection, state, context);
        await session.RunAsync().ConfigureAwait(false);
    }
}
