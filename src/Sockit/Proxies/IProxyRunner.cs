using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Servers;

namespace Sockit.Proxies;

/// <summary>A running relay, stream (<see cref="TestServer"/>) or datagram (<see cref="DatagramRelay"/>), as a <see cref="Proxy"/> drives it.</summary>
internal interface IProxyRunner
{
    Endpoint LocalEndpoint { get; }

    /// <summary>Stops accepting, lets open exchanges finish until <paramref name="drainOver"/> fires, cuts the rest.</summary>
    Task<ServerSummary> StopAsync(CancellationToken drainOver);
}
