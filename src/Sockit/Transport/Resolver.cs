using System.Net;
using System.Net.Sockets;
using Sockit.Endpoints;

namespace Sockit.Transport;

/// <summary>Turns an <see cref="Endpoint"/> into the OS addresses to bind or connect, resolving host names.</summary>
internal static class Resolver
{
    public static async Task<IReadOnlyList<EndPoint>> ResolveAsync(Endpoint endpoint, CancellationToken cancellationToken)
    {
        if (endpoint.IsUnixDomain) return [ToUnixEndPoint(endpoint)];
        if (endpoint.IsAnyAddress)
            return [Socket.OSSupportsIPv6 ? new IPEndPoint(IPAddress.IPv6Any, endpoint.Port) : new IPEndPoint(IPAddress.Any, endpoint.Port)];
        if (IPAddress.TryParse(endpoint.Host, out var literal)) return [new IPEndPoint(literal, endpoint.Port)];

        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(endpoint.Host!, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw Failures.UnknownHost(endpoint.Host!, ex);
        }
        if (addresses.Length == 0) throw Failures.UnknownHost(endpoint.Host!);
        return addresses.Select(a => (EndPoint)new IPEndPoint(a, endpoint.Port)).ToArray();
    }

    public static UnixDomainSocketEndPoint ToUnixEndPoint(Endpoint endpoint) =>
        new(endpoint.IsAbstract ? "\0" + endpoint.Path : endpoint.Path!);

    public static (SocketType Type, ProtocolType Protocol) SocketKind(TransportKind transport) => transport switch
    {
        TransportKind.Tcp => (SocketType.Stream, ProtocolType.Tcp),
        TransportKind.Udp => (SocketType.Dgram, ProtocolType.Udp),
        TransportKind.Unix => (SocketType.Stream, ProtocolType.Unspecified),
        _ => (SocketType.Dgram, ProtocolType.Unspecified),
    };
}
