using System.Net;
using System.Net.Sockets;
using Sockit.Endpoints;
using Sockit.Tracing;

namespace Sockit.Transport;

/// <summary>The client side of a stream connection: socket() then connect(), trying each address a host resolves to.</summary>
public static class Dialer
{
    private static int _autoBindCounter;

    /// <summary>Connects to a TCP or Unix stream endpoint.</summary>
    /// <exception cref="SockitException">Refused, timed out, unreachable, unknown host, no such socket file, permission denied.</exception>
    public static async Task<Connection> ConnectAsync(Endpoint endpoint, DialOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!endpoint.IsStream)
            throw new ArgumentException($"{endpoint} is a datagram endpoint; use DatagramChannel.ConnectAsync for it.", nameof(endpoint));
        options ??= new DialOptions();

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.ConnectTimeout is { } timeout) deadline.CancelAfter(timeout);
        try
        {
            var addresses = await Resolver.ResolveAsync(endpoint, deadline.Token).ConfigureAwait(false);
            var socket = await ConnectAnyAsync(endpoint, addresses, options, deadline.Token).ConfigureAwait(false);
            return new Connection(socket, endpoint.Transport, options.Tracer, addresses.Count == 1 ? addresses[0] : null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && options.ConnectTimeout is { } limit)
        {
            throw Failures.ConnectTimeout(endpoint, limit);
        }
    }

    /// <summary>Connects a socket to the first address that accepts, for streams and datagrams alike.</summary>
    internal static async Task<Socket> ConnectAnyAsync(Endpoint endpoint, IReadOnlyList<EndPoint> addresses, DialOptions options, CancellationToken cancellationToken)
    {
        var (type, protocol) = Resolver.SocketKind(endpoint.Transport);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = Traced.Create(address.AddressFamily, type, protocol, options.Tracer);
            try
            {
                if (options.NoDelay && endpoint.Transport == TransportKind.Tcp)
                    Traced.SetOption(socket, SocketOptionLevel.Tcp, SocketOptionName.NoDelay, 1, options.Tracer);
                if (endpoint.Transport == TransportKind.UnixDatagram) AutoBind(socket, options.Tracer);
                await Traced.ConnectAsync(socket, address, options.Tracer, cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException ex)
            {
                last = ex;
                Traced.Close(socket, options.Tracer is null ? -1 : Traced.FdOf(socket), options.Tracer);
            }
            catch
            {
                Traced.Close(socket, options.Tracer is null ? -1 : Traced.FdOf(socket), options.Tracer);
                throw;
            }
        }
        throw Failures.Connect(last!, endpoint);
    }

    /// <summary>
    /// A Unix datagram client must have an address of its own, or the server cannot reply. Linux gives it a unique
    /// abstract name; elsewhere a temporary file would be needed, which Sockit does not create silently.
    /// </summary>
    private static void AutoBind(Socket socket, ISocketTracer? tracer)
    {
        if (!OperatingSystem.IsLinux()) return;
        var name = $"\0sockit-{Environment.ProcessId}-{Interlocked.Increment(ref _autoBindCounter)}";
        Traced.Bind(socket, new UnixDomainSocketEndPoint(name), tracer);
    }
}
