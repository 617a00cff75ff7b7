using System.Net;
using System.Net.Sockets;
using Sockit.Endpoints;
using Sockit.Tracing;

namespace Sockit.Transport;

/// <summary>socket() + bind() for listeners and datagram servers, with the Unix socket file handled safely.</summary>
internal static class Binder
{
    public static async Task<Socket> BindAsync(Endpoint endpoint, ISocketTracer? tracer, UnixFileMode? fileMode, CancellationToken cancellationToken)
    {
        var address = (await Resolver.ResolveAsync(endpoint, cancellationToken).ConfigureAwait(false))[0];
        var (type, protocol) = Resolver.SocketKind(endpoint.Transport);
        if (endpoint.IsUnixDomain && !endpoint.IsAbstract) PrepareUnixPath(endpoint, type, tracer);

        var socket = Traced.Create(address.AddressFamily, type, protocol, tracer);
        try
        {
            if (endpoint.IsAnyAddress && address.AddressFamily == AddressFamily.InterNetworkV6)
                Traced.SetOption(socket, SocketOptionLevel.IPv6, SocketOptionName.IPv6Only, 0, tracer); // dual-stack: IPv4 too
            if (endpoint.Transport == TransportKind.Tcp && OperatingSystem.IsLinux())
                Traced.SetReuseAddress(socket, tracer); // rebind despite TIME_WAIT
            try
            {
                Traced.Bind(socket, address, tracer);
            }
            catch (SocketException ex)
            {
                throw Failures.Bind(ex, endpoint);
            }
            if (fileMode is { } mode && endpoint.IsUnixDomain && !endpoint.IsAbstract && !OperatingSystem.IsWindows()) File.SetUnixFileMode(endpoint.Path!, mode);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The endpoint the socket really got: the OS's port for port 0, the path for Unix sockets.</summary>
    public static Endpoint BoundEndpoint(Socket socket, Endpoint requested) =>
        requested.IsUnixDomain || socket.LocalEndPoint is not IPEndPoint bound
            ? requested
            : requested.IsAnyAddress ? requested.WithPort(bound.Port) : Endpoint.FromEndPoint(bound, requested.Transport);

    private static void PrepareUnixPath(Endpoint endpoint, SocketType type, ISocketTracer? tracer)
    {
        var path = endpoint.Path!;
        switch (UnixSocketFile.Inspect(path, type))
        {
            case UnixSocketFile.State.Stale:
                Traced.Unlink(path, tracer); // left by a process that died without cleaning up
                break;
            case UnixSocketFile.State.Live:
                throw new SockitException(SockitError.AddressInUse,
                    $"cannot listen on {endpoint}: a running process is already listening on that socket; stop it or pick another path");
            case UnixSocketFile.State.NotASocket:
                throw new SockitException(SockitError.NotASocket,
                    $"cannot listen on {endpoint}: {path} exists and is not a socket; Sockit will not replace it, so remove it or pick another path");
        }
    }

    /// <summary>Removes the socket file a bound Unix socket created (abstract names have none).</summary>
    public static void RemoveUnixPath(Endpoint endpoint, ISocketTracer? tracer)
    {
        if (endpoint.IsUnixDomain && !endpoint.IsAbstract && UnixSocketFile.IsSocket(endpoint.Path!) == true)
            Traced.Unlink(endpoint.Path!, tracer);
    }
}
