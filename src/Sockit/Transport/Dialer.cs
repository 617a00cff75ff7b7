using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Sockit.Endpoints;
using Sockit.Tls;
using Sockit.Tracing;
using Sockit.Transport.Linux;

namespace Sockit.Transport;

/// <summary>The client side of a stream connection: socket() then connect(), trying each address a host resolves to.</summary>
public static class Dialer
{
    private static int _autoBindCounter;

    /// <summary>Connects to a TCP or Unix stream endpoint; for <c>tls://</c> also makes the TLS handshake (within the connect timeout).</summary>
    /// <exception cref="SockitException">Refused, timed out, unreachable, unknown host, no such socket file, permission denied.</exception>
    public static async Task<Connection> ConnectAsync(Endpoint endpoint, DialOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!endpoint.IsStream)
            throw new ArgumentException($"{endpoint} is a datagram endpoint; use DatagramChannel.ConnectAsync for it.", nameof(endpoint));
        options ??= new DialOptions();

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.ConnectTimeout is { } timeout) deadline.CancelAfter(timeout);
        var handshaking = false;
        try
        {
            var addresses = await Resolver.ResolveAsync(endpoint, deadline.Token).ConfigureAwait(false);
            var connection = await ConnectStreamAsync(endpoint, addresses, options, deadline.Token).ConfigureAwait(false);
            if (!endpoint.IsTls) return connection;
            handshaking = true;
            try
            {
                await TlsHandshake.ConnectAsync(connection, endpoint, options.Tls ?? TlsClientOptions.Default, deadline.Token).ConfigureAwait(false);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
            return connection;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && options.ConnectTimeout is { } limit)
        {
            if (handshaking) throw new SockitException(SockitError.TimedOut, $"TLS handshake with {endpoint} not finished after {Durations.Format(limit)}");
            throw Failures.ConnectTimeout(endpoint, limit);
        }
    }

    /// <summary>
    /// Connects to the first address that accepts, on Sockit's I/O engine: a non-blocking connect(), then the socket's
    /// first writable edge ends the handshake (SO_ERROR says how).
    /// </summary>
    private static async Task<Connection> ConnectStreamAsync(Endpoint endpoint, IReadOnlyList<EndPoint> addresses, DialOptions options, CancellationToken cancellationToken)
    {
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var family = SocketAddresses.FamilyOf(address);
            // The call's description is made only for a trace: a proxy under connection churn dials thousands of times a second.
            var socket = Traced.CreateNonBlocking(family, Libc.SockStream, endpoint.Transport == TransportKind.Tcp ? Libc.IpprotoTcp : 0,
                options.Tracer is null ? "" : $"{FamilyName(family)}, SOCK_STREAM, {(endpoint.Transport == TransportKind.Tcp ? "IPPROTO_TCP" : "0")}", options.Tracer);
            Connection? connection = null;
            try
            {
                if (options.NoDelay && endpoint.Transport == TransportKind.Tcp)
                    Traced.SetOption(socket, Libc.IpprotoTcp, Libc.TcpNodelay, 1, "IPPROTO_TCP, TCP_NODELAY, 1", options.Tracer);
                if (options.ReceiveBufferSize is { } size)
                    Traced.SetOption(socket, Libc.SolSocket, Libc.SoRcvbuf, size, $"SOL_SOCKET, SO_RCVBUF, {size}", options.Tracer);
                var start = Stopwatch.GetTimestamp();
                var error = await StartConnectAsync(socket, address, endpoint, cancellationToken).ConfigureAwait(false);
                connection = new Connection(socket, endpoint.Transport, options.Tracer, address, IoLoop.Here());
                try
                {
                    if (error == SocketError.InProgress) await connection.FinishConnectAsync(cancellationToken).ConfigureAwait(false);
                    else if (error != SocketError.Success) throw new SocketException((int)error);
                }
                catch (SocketException ex)
                {
                    options.Tracer?.Record(new SocketCallEvent(SocketCall.Connect, socket.Fd, Traced.Describe(address), -1, ex.SocketErrorCode, start, Stopwatch.GetTimestamp()));
                    throw;
                }
                catch (OperationCanceledException)
                {
                    options.Tracer?.Record(new SocketCallEvent(SocketCall.Connect, socket.Fd, Traced.Describe(address), -1, SocketError.OperationAborted, start,
                        Stopwatch.GetTimestamp(), "abandoned: timed out or cancelled"));
                    throw;
                }
                options.Tracer?.Record(new SocketCallEvent(SocketCall.Connect, socket.Fd, Traced.Describe(address), 0, SocketError.Success, start,
                    Stopwatch.GetTimestamp(), $"local {connection.LocalEndpoint}"));
                return connection;
            }
            catch (SocketException ex)
            {
                last = ex;
                Close(connection, socket, options.Tracer);
            }
            catch
            {
                Close(connection, socket, options.Tracer);
                throw;
            }
        }
        throw Failures.Connect(last!, endpoint);
    }

    private static void Close(Connection? connection, SocketHandle socket, ISocketTracer? tracer)
    {
        if (connection is not null)
        {
            connection.Dispose();
            return;
        }
        var start = Stopwatch.GetTimestamp();
        var fd = socket.Fd;
        socket.Dispose();
        tracer?.Record(new SocketCallEvent(SocketCall.Close, fd, null, 0, SocketError.Success, start, Stopwatch.GetTimestamp()));
    }

    /// <summary>
    /// connect() on a non-blocking socket: Success, InProgress (TCP: the handshake goes on), or the error. A Unix
    /// listener whose queue is full says EAGAIN where a blocking connect would wait: so do we, trying again shortly.
    /// </summary>
    private static async ValueTask<SocketError> StartConnectAsync(SocketHandle socket, EndPoint address, Endpoint endpoint, CancellationToken cancellationToken)
    {
        var raw = address.Serialize();
        var backoff = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            var error = ConnectOnce(socket, raw);
            if (error is not (SocketError.WouldBlock or SocketError.Interrupted) || !endpoint.IsUnixDomain) return error;
            await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 50));
        }
    }

    private static unsafe SocketError ConnectOnce(SocketHandle socket, SocketAddress address)
    {
        fixed (byte* raw = address.Buffer.Span)
            return Libc.Connect(socket, raw, address.Size) == 0 ? SocketError.Success : Libc.LastError();
    }

    private static string FamilyName(int family) => family switch
    {
        Libc.AfInet => "AF_INET",
        Libc.AfInet6 => "AF_INET6",
        _ => "AF_UNIX",
    };

    /// <summary>Connects a datagram socket to the first address that accepts (UDP and unixgram stay on .NET's sockets).</summary>
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
