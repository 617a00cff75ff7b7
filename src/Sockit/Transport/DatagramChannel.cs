using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Sockit.Endpoints;
using Sockit.Tracing;

namespace Sockit.Transport;

/// <summary>
/// A datagram socket (UDP or Unix datagram): bound as a server with <see cref="BindAsync"/>, or connected to one peer as a
/// client with <see cref="ConnectAsync"/>. Each send is one datagram; each receive returns one whole datagram.
/// </summary>
public sealed class DatagramChannel : IAsyncDisposable, IDisposable
{
    private readonly Socket _socket;
    private readonly ISocketTracer? _tracer;
    private readonly Endpoint? _ownedPath;
    private readonly EndPoint _anyAddress;
    private readonly int _fd;
    private int _disposed;

    private DatagramChannel(Socket socket, Endpoint local, Endpoint? remote, Endpoint? ownedPath, ISocketTracer? tracer)
    {
        _socket = socket;
        _tracer = tracer;
        _ownedPath = ownedPath;
        _fd = tracer is null ? -1 : Traced.FdOf(socket);
        LocalEndpoint = local;
        RemoteEndpoint = remote;
        // The template recvfrom() fills in: only its family matters, so one serves every receive.
        _anyAddress = socket.AddressFamily switch
        {
            AddressFamily.InterNetworkV6 => new IPEndPoint(IPAddress.IPv6Any, 0),
            AddressFamily.InterNetwork => new IPEndPoint(IPAddress.Any, 0),
            _ => new UnixDomainSocketEndPoint("\0"),
        };
    }

    /// <summary>This side's address (the real port when port 0 was asked for).</summary>
    public Endpoint LocalEndpoint { get; }

    /// <summary>The fixed peer of a connected channel; null for a bound (server) channel.</summary>
    public Endpoint? RemoteEndpoint { get; }

    /// <summary>The underlying socket, for options Sockit does not cover.</summary>
    internal Socket Socket => _socket;

    /// <summary>Binds a datagram server socket to <paramref name="endpoint"/>.</summary>
    public static async Task<DatagramChannel> BindAsync(Endpoint endpoint, ListenerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.IsStream)
            throw new ArgumentException($"{endpoint} is a stream endpoint; use Listener.StartAsync for it.", nameof(endpoint));
        options ??= new ListenerOptions();
        var socket = await Binder.BindAsync(endpoint, options.Tracer, options.UnixFileMode, cancellationToken).ConfigureAwait(false);
        return new DatagramChannel(socket, Binder.BoundEndpoint(socket, endpoint), null, endpoint, options.Tracer);
    }

    /// <summary>Opens a datagram socket whose sends go to <paramref name="endpoint"/> and which receives only from it.</summary>
    public static async Task<DatagramChannel> ConnectAsync(Endpoint endpoint, DialOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.IsStream)
            throw new ArgumentException($"{endpoint} is a stream endpoint; use Dialer.ConnectAsync for it.", nameof(endpoint));
        options ??= new DialOptions();
        var addresses = await Resolver.ResolveAsync(endpoint, cancellationToken).ConfigureAwait(false);
        var socket = await Dialer.ConnectAnyAsync(endpoint, addresses, options, cancellationToken).ConfigureAwait(false);
        var local = socket.LocalEndPoint is { } bound ? Endpoint.FromEndPoint(bound, endpoint.Transport) : Endpoint.ForUnix("(unnamed)", true);
        return new DatagramChannel(socket, local, endpoint, null, options.Tracer);
    }

    /// <summary>Sends one datagram to the connected peer.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
    {
        var start = _tracer is null ? 0 : Stopwatch.GetTimestamp();
        try
        {
            var sent = await _socket.SendAsync(datagram, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            _tracer?.Record(new SocketCallEvent(SocketCall.Send, _fd, null, sent, SocketError.Success, start, Stopwatch.GetTimestamp()));
        }
        catch (SocketException ex)
        {
            _tracer?.Record(new SocketCallEvent(SocketCall.Send, _fd, null, -1, ex.SocketErrorCode, start, Stopwatch.GetTimestamp()));
            throw Failures.Transfer(ex, RemoteEndpoint ?? LocalEndpoint);
        }
    }

    /// <summary>Sends one datagram to <paramref name="peer"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    internal async ValueTask SendToAsync(ReadOnlyMemory<byte> datagram, EndPoint peer, CancellationToken cancellationToken = default)
    {
        var start = _tracer is null ? 0 : Stopwatch.GetTimestamp();
        try
        {
            var sent = await _socket.SendToAsync(datagram, SocketFlags.None, peer, cancellationToken).ConfigureAwait(false);
            _tracer?.Record(new SocketCallEvent(SocketCall.SendTo, _fd, null, sent, SocketError.Success, start, Stopwatch.GetTimestamp()));
        }
        catch (SocketException ex)
        {
            _tracer?.Record(new SocketCallEvent(SocketCall.SendTo, _fd, null, -1, ex.SocketErrorCode, start, Stopwatch.GetTimestamp()));
            throw Failures.Transfer(ex, Endpoint.FromEndPoint(peer, LocalEndpoint.Transport));
        }
    }

    /// <summary>Sends one datagram to <paramref name="peer"/> (an address, or a Unix datagram socket's path).</summary>
    public async ValueTask SendToAsync(ReadOnlyMemory<byte> datagram, Endpoint peer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var addresses = await Resolver.ResolveAsync(peer, cancellationToken).ConfigureAwait(false);
        await SendToAsync(datagram, addresses[0], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Receives one datagram from anyone; returns its length and who sent it (reply with <see cref="SendToAsync(ReadOnlyMemory{byte}, Endpoint, CancellationToken)"/>).</summary>
    public async ValueTask<(int Length, Endpoint From)> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var result = await ReceiveFromAddressAsync(buffer, cancellationToken).ConfigureAwait(false);
        return (result.ReceivedBytes, Endpoint.FromEndPoint(result.RemoteEndPoint, LocalEndpoint.Transport));
    }

    /// <summary>Receives one datagram from the connected peer; returns its length.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var start = _tracer is null ? 0 : Stopwatch.GetTimestamp();
        try
        {
            var received = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            _tracer?.Record(new SocketCallEvent(SocketCall.Recv, _fd, null, received, SocketError.Success, start, Stopwatch.GetTimestamp()));
            return received;
        }
        catch (SocketException ex)
        {
            _tracer?.Record(new SocketCallEvent(SocketCall.Recv, _fd, null, -1, ex.SocketErrorCode, start, Stopwatch.GetTimestamp()));
            throw Failures.Transfer(ex, RemoteEndpoint ?? LocalEndpoint);
        }
    }

    /// <summary>Receives one datagram from anyone; returns its length and sender.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<SocketReceiveFromResult> ReceiveFromAddressAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var start = _tracer is null ? 0 : Stopwatch.GetTimestamp();
        try
        {
            var result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, _anyAddress, cancellationToken).ConfigureAwait(false);
            _tracer?.Record(new SocketCallEvent(SocketCall.RecvFrom, _fd, null, result.ReceivedBytes, SocketError.Success, start, Stopwatch.GetTimestamp()));
            return result;
        }
        catch (SocketException ex)
        {
            _tracer?.Record(new SocketCallEvent(SocketCall.RecvFrom, _fd, null, -1, ex.SocketErrorCode, start, Stopwatch.GetTimestamp()));
            throw Failures.Transfer(ex, LocalEndpoint);
        }
    }

    /// <summary>Closes the socket and removes the socket file a bound Unix datagram socket created.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_ownedPath is not null) Binder.RemoveUnixPath(_ownedPath, _tracer);
        Traced.Close(_socket, _fd, _tracer);
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
