using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Servers;

namespace Sockit.Proxies.Control;

/// <summary>
/// An HTTP/JSON control endpoint for a <see cref="ProxyCollection"/> that follows toxiproxy's API (<c>/proxies</c>,
/// <c>/populate</c>, <c>/proxies/{name}/toxics</c>, <c>/reset</c>, <c>/version</c>), so existing toxiproxy clients
/// create proxies, add toxics and take proxies down without a change.
/// </summary>
internal sealed class ControlApi : IAsyncDisposable
{
    private readonly ConnectionHost _server;

    private ControlApi(ConnectionHost server) => _server = server;

    /// <summary>Where the API listens, with the real port when port 0 was asked for.</summary>
    public Endpoint LocalEndpoint => _server.LocalEndpoint;

    /// <summary>The version <c>GET /version</c> reports: Sockit's own.</summary>
    public static string Version => BuildInfo.Version;

    /// <summary>Starts the API on <paramref name="endpoint"/> (a TCP or Unix stream endpoint).</summary>
    /// <param name="endpoint">Where to listen; loopback unless the caller chooses otherwise.</param>
    /// <param name="proxies">The proxies it controls.</param>
    /// <param name="options">Limits and access rules for API clients (the log is theirs too).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="SockitException">The endpoint cannot be bound or is not a stream endpoint.</exception>
    public static async Task<ControlApi> StartAsync(Endpoint endpoint, ProxyCollection proxies, ServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(proxies);
        if (!endpoint.IsStream) throw new SockitException(SockitError.InvalidArgument, $"the control API speaks HTTP over a stream endpoint (TCP or unix://), not {endpoint}");
        var service = new ControlService(new ControlRouter(proxies, Version));
        // No idle timeout of the host's: the API's own (a minute between requests) closes idle clients.
        return new ControlApi(await ConnectionHost.StartAsync(endpoint, service, options ?? new ServerOptions(), null, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Stops the API (the proxies keep running).</summary>
    public async ValueTask DisposeAsync()
    {
        using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _server.StopAsync(drain.Token).ConfigureAwait(false);
    }
}
