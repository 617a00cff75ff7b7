using System.Net.Sockets;
using Sockit.Endpoints;
using Sockit.Inspection;

namespace Sockit.Transport;

/// <summary>Turns what the OS said into a <see cref="SockitException"/> whose message names the cause and the fix.</summary>
internal static class Failures
{
    public static SockitException Connect(SocketException ex, Endpoint target)
    {
        var failure = ConnectFailure(ex, target);
        failure.Endpoint ??= target;
        return failure;
    }

    private static SockitException ConnectFailure(SocketException ex, Endpoint target) => ex.SocketErrorCode switch
    {
        SocketError.ConnectionRefused when target.IsUnixDomain =>
            new(SockitError.ConnectionRefused, $"connection refused by {target}: the socket file exists but no process is listening on it; start the server", ex),
        SocketError.ConnectionRefused =>
            new(SockitError.ConnectionRefused, $"connection refused by {target}: nothing is listening on that port; start the server or check the port", ex),
        SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported when target.IsUnixDomain && !target.IsAbstract =>
            new(SockitError.NoSuchSocketFile, $"no such socket file {target.Path}: start the server first or check the path", ex),
        SocketError.AddressNotAvailable when target.IsUnixDomain =>
            new(SockitError.ConnectionRefused, $"nothing is bound to the abstract socket @{target.Path}: start the server first", ex),
        SocketError.ConnectionReset or SocketError.ConnectionAborted =>
            new(SockitError.ConnectionReset, $"connection reset by {target} while connecting: the server dropped it at once (full, or refusing this client)", ex),
        SocketError.AccessDenied =>
            new(SockitError.PermissionDenied, $"permission denied connecting to {target}: check the socket file's permissions or your rights", ex),
        SocketError.TimedOut =>
            new(SockitError.TimedOut, $"connection to {target} timed out: the host did not answer; check that it is up", ex) { Limit = nameof(DialOptions.ConnectTimeout) },
        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.NetworkDown =>
            new(SockitError.Unreachable, $"{target} is unreachable: no route to that host; check the address and your network", ex),
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain =>
            UnknownHost(target.Host ?? target.ToString(), ex),
        _ => new(SockitError.Other, $"cannot connect to {target}: {ex.Message} ({Tracing.ErrnoNames.Of(ex.SocketErrorCode)})", ex),
    };

    public static SockitException ConnectTimeout(Endpoint target, TimeSpan timeout) =>
        new(SockitError.TimedOut, $"connection to {target} timed out after {Durations.Format(timeout)}: the host did not answer; check that it is up")
        {
            Endpoint = target,
            Limit = nameof(DialOptions.ConnectTimeout),
        };

    public static SockitException UnknownHost(string host, Exception? inner = null) =>
        new(SockitError.UnknownHost, $"unknown host '{host}': the name does not resolve; check the spelling or use an IP address", inner);

    public static SockitException Bind(SocketException ex, Endpoint endpoint)
    {
        switch (ex.SocketErrorCode)
        {
            case SocketError.AddressAlreadyInUse when endpoint.IsUnixDomain:
                return new(SockitError.AddressInUse, $"cannot listen on {endpoint}: the socket path is in use; remove it or pick another path", ex);
            case SocketError.AddressAlreadyInUse:
                var holders = PortOwners.Describe(endpoint.Port, endpoint.Transport == TransportKind.Udp);
                var who = holders.Count > 0 ? $" by {string.Join(", ", holders)}" : "";
                return new(SockitError.AddressInUse, $"cannot listen on {endpoint}: port {endpoint.Port} is already in use{who}; stop that process or pick another port (port 0 lets the OS choose)", ex);
            case SocketError.AccessDenied when !endpoint.IsUnixDomain && endpoint.Port is > 0 and < 1024:
                return new(SockitError.PermissionDenied, $"cannot listen on {endpoint}: ports below 1024 need root or the CAP_NET_BIND_SERVICE capability; pick a port of 1024 or above", ex);
            case SocketError.AccessDenied:
                return new(SockitError.PermissionDenied, $"cannot listen on {endpoint}: permission denied; check the rights on the directory or address", ex);
            case SocketError.AddressNotAvailable when endpoint.IsUnixDomain:
                return new(SockitError.NoSuchSocketFile, $"cannot listen on {endpoint}: the directory does not exist; create it or pick another path", ex);
            case SocketError.AddressNotAvailable:
                return new(SockitError.AddressNotAvailable, $"cannot listen on {endpoint}: {endpoint.Host} is not an address of this host; use 127.0.0.1, [::1], or *:{endpoint.Port} for every interface", ex);
            default:
                return new(SockitError.Other, $"cannot listen on {endpoint}: {ex.Message} ({Tracing.ErrnoNames.Of(ex.SocketErrorCode)})", ex);
        }
    }

    public static SockitException Transfer(SocketException ex, Endpoint peer) => ex.SocketErrorCode switch
    {
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown =>
            new(SockitError.ConnectionReset, $"connection reset by {peer}: the peer aborted the connection", ex),
        SocketError.ConnectionRefused =>
            new(SockitError.ConnectionRefused, $"{peer} refused the datagram (ICMP port unreachable): nothing is listening there; start the server or check the port", ex),
        SocketError.TimedOut =>
            new(SockitError.TimedOut, $"connection to {peer} timed out: the peer stopped acknowledging data", ex),
        SocketError.MessageSize =>
            new(SockitError.Other, $"datagram too large for {peer}: keep each datagram under 65,507 bytes (UDP) or the socket buffer size (unixgram)", ex),
        _ => new(SockitError.Other, $"transfer with {peer} failed: {ex.Message} ({Tracing.ErrnoNames.Of(ex.SocketErrorCode)})", ex),
    };
}
