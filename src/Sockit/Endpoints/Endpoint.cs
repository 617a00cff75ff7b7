using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sockit.Endpoints;

/// <summary>
/// Where a socket binds or connects: a transport plus an address (host and port, or a Unix socket path).
/// Every Sockit command and API takes endpoints in the one syntax that <see cref="Parse"/> accepts.
/// </summary>
public sealed record Endpoint
{
    /// <summary>The forms <see cref="Parse"/> accepts, for error messages and help.</summary>
    internal const string AcceptedForms =
        "host:port, [v6]:port, :port (loopback), *:port (all interfaces), tcp://host:port, udp://host:port, " +
        "unix:///path, unix://@name, unixgram:///path, tls://host:port, tls+unix:///path";

    /// <summary>The host that stands for "every interface" (<c>*:port</c>).</summary>
    public const string AnyHost = "*";

    private Endpoint(TransportKind transport, string? host, int port, string? path, bool isAbstract)
    {
        Transport = transport;
        Host = host;
        Port = port;
        Path = path;
        IsAbstract = isAbstract;
    }

    /// <summary>The transport: TCP, UDP, Unix stream or Unix datagram.</summary>
    public TransportKind Transport { get; }

    /// <summary>For TCP and UDP: a host name, an IP literal, or <see cref="AnyHost"/>. Null for Unix sockets.</summary>
    public string? Host { get; }

    /// <summary>For TCP and UDP: the port (0 lets the OS pick one when binding). 0 for Unix sockets.</summary>
    public int Port { get; }

    /// <summary>For Unix sockets: the file path, or the abstract name without its leading '@'. Null otherwise.</summary>
    public string? Path { get; }

    /// <summary>True for a Linux abstract Unix socket name (<c>unix://@name</c>), which has no file.</summary>
    public bool IsAbstract { get; }

    /// <summary>True for Unix-domain endpoints, stream or datagram.</summary>
    public bool IsUnixDomain => Transport is TransportKind.Unix or TransportKind.UnixDatagram;

    /// <summary>True for stream transports (TCP, Unix stream), false for datagram ones.</summary>
    public bool IsStream => Transport is TransportKind.Tcp or TransportKind.Unix;

    /// <summary>True for <c>tls://</c> and <c>tls+unix://</c>: the stream carries TLS (a server handshakes as a server, a client as a client).</summary>
    public bool IsTls { get; private init; }

    /// <summary>The same endpoint with TLS on or off.</summary>
    public Endpoint WithTls(bool tls) => IsStream ? this with { IsTls = tls } : this;

    /// <summary>True for <c>*:port</c>: bind every interface, IPv4 and IPv6.</summary>
    public bool IsAnyAddress => Host == AnyHost;

    /// <summary>An IP endpoint for the given transport, host and port.</summary>
    public static Endpoint ForHost(TransportKind transport, string host, int port)
    {
        if (transport is TransportKind.Unix or TransportKind.UnixDatagram)
            throw new ArgumentException("A Unix transport takes a path, not a host.", nameof(transport));
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        return new Endpoint(transport, host, port, null, false);
    }

    /// <summary>A Unix-domain endpoint: a file path, or an abstract name when <paramref name="isAbstract"/> is set.</summary>
    public static Endpoint ForUnix(string path, bool datagram = false, bool isAbstract = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new Endpoint(datagram ? TransportKind.UnixDatagram : TransportKind.Unix, null, 0, path, isAbstract);
    }

    /// <summary>The endpoint of an address the OS reported (a bound or peer address), with the given transport.</summary>
    internal static Endpoint FromEndPoint(EndPoint endPoint, TransportKind transport)
    {
        switch (endPoint)
        {
            case IPEndPoint ip:
                var address = ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address;
                return new Endpoint(transport, address.ToString(), ip.Port, null, false);
            case UnixDomainSocketEndPoint unix:
                var text = unix.ToString() ?? "";
                var isAbstract = text.StartsWith('\0') || text.StartsWith('@');
                var path = isAbstract ? text[1..] : text;
                if (path.Length == 0) path = "(unnamed)";
                return new Endpoint(transport, null, 0, path, isAbstract);
            default:
                throw new ArgumentException($"Unsupported address type {endPoint.GetType().Name}.", nameof(endPoint));
        }
    }

    /// <summary>The same endpoint with another port.</summary>
    public Endpoint WithPort(int port) => new(Transport, Host, port, Path, IsAbstract) { IsTls = IsTls };

    /// <summary>Parses an endpoint; throws a <see cref="SockitException"/> with <see cref="SockitError.InvalidEndpoint"/> naming what is wrong.</summary>
    public static Endpoint Parse(string text)
    {
        if (TryParse(text, out var endpoint, out var error)) return endpoint;
        throw new SockitException(SockitError.InvalidEndpoint, $"invalid endpoint '{text}': {error}; accepted forms: {AcceptedForms}");
    }

    /// <summary>Parses an endpoint without throwing; <paramref name="error"/> says why it failed.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out Endpoint? endpoint, out string error)
    {
        endpoint = null;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "it is empty";
            return false;
        }

        var rest = text.Trim();
        TransportKind? scheme = null;
        var tls = false;
        var schemeEnd = rest.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            var name = rest[..schemeEnd].ToLowerInvariant();
            scheme = name switch
            {
                "tcp" => TransportKind.Tcp,
                "udp" => TransportKind.Udp,
                "unix" => TransportKind.Unix,
                "unixgram" => TransportKind.UnixDatagram,
                "tls" => TransportKind.Tcp,
                "tls+unix" => TransportKind.Unix,
                _ => null,
            };
            tls = name is "tls" or "tls+unix";
            if (scheme is null)
            {
                error = $"unknown scheme '{name}' (use tcp, udp, unix, unixgram, tls or tls+unix)";
                return false;
            }
            rest = rest[(schemeEnd + 3)..];
        }
        else if (rest.StartsWith('/') || rest.StartsWith("./", StringComparison.Ordinal) || rest.StartsWith("../", StringComparison.Ordinal))
        {
            scheme = TransportKind.Unix; // a bare path can only mean a Unix socket
        }

        var parsed = scheme is TransportKind.Unix or TransportKind.UnixDatagram
            ? TryParseUnix(rest, scheme.Value == TransportKind.UnixDatagram, out endpoint, out error)
            : TryParseHostPort(rest, scheme ?? TransportKind.Tcp, out endpoint, out error);
        if (parsed && tls) endpoint = endpoint!.WithTls(true);
        return parsed;
    }

    private static bool TryParseUnix(string rest, bool datagram, [NotNullWhen(true)] out Endpoint? endpoint, out string error)
    {
        endpoint = null;
        error = "";
        var isAbstract = rest.StartsWith('@');
        var path = isAbstract ? rest[1..] : rest;
        if (path.Length == 0)
        {
            error = isAbstract ? "the abstract socket name after '@' is empty" : "the socket path is empty";
            return false;
        }
        // sun_path holds 108 bytes including the terminating NUL (or the leading NUL of an abstract name).
        if (System.Text.Encoding.UTF8.GetByteCount(path) > 107)
        {
            error = "a Unix socket path is limited to 107 bytes; use a shorter path";
            return false;
        }
        if (isAbstract && !OperatingSystem.IsLinux())
        {
            error = "abstract Unix socket names (@name) exist only on Linux";
            return false;
        }
        endpoint = new Endpoint(datagram ? TransportKind.UnixDatagram : TransportKind.Unix, null, 0, path, isAbstract);
        return true;
    }

    private static bool TryParseHostPort(string rest, TransportKind transport, [NotNullWhen(true)] out Endpoint? endpoint, out string error)
    {
        endpoint = null;
        error = "";
        string host;
        string portText;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']');
            if (close < 0)
            {
                error = "'[' opens an IPv6 address but no ']' closes it";
                return false;
            }
            host = rest[1..close];
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"'{host}' inside brackets is not an IPv6 address";
                return false;
            }
            var after = rest[(close + 1)..];
            if (!after.StartsWith(':'))
            {
                error = "a port must follow the address, as in [::1]:8080";
                return false;
            }
            portText = after[1..];
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            if (colon < 0)
            {
                error = "there is no port; write host:port, or :port for loopback";
                return false;
            }
            host = rest[..colon];
            portText = rest[(colon + 1)..];
            if (host.Contains(':'))
            {
                error = "an IPv6 address needs brackets, as in [::1]:8080";
                return false;
            }
            if (host.Length == 0) host = IPAddress.Loopback.ToString(); // ":port" means loopback, never every interface
            else if (host != AnyHost && !IsValidHostName(host))
            {
                error = $"'{host}' is not a valid host name or IP address";
                return false;
            }
        }

        if (!TryParsePort(portText, transport, out var port, out error)) return false;
        endpoint = new Endpoint(transport, host, port, null, false);
        return true;
    }

    private static bool TryParsePort(string text, TransportKind transport, out int port, out string error)
    {
        port = 0;
        error = "";
        if (text.Length == 0)
        {
            error = "the port is missing after ':'";
            return false;
        }
        if (text.All(char.IsAsciiDigit))
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > IPEndPoint.MaxPort)
            {
                error = $"port {text} is out of range; use 0 to 65535";
                return false;
            }
            return true;
        }
        var protocol = transport == TransportKind.Udp ? "udp" : "tcp";
        if (ServiceNames.TryGetPort(text, protocol, out port)) return true;
        error = $"'{text}' is neither a port number nor a known {protocol} service name (see /etc/services)";
        return false;
    }

    private static bool IsValidHostName(string host) =>
        IPAddress.TryParse(host, out _) ||
        (host.Length <= 253 && host.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_') && !host.StartsWith('-'));

    /// <summary>The canonical text form, which <see cref="Parse"/> reads back: <c>127.0.0.1:80</c>, <c>[::1]:80</c>, <c>udp://…</c>, <c>unix:///path</c>.</summary>
    public override string ToString()
    {
        if (IsUnixDomain)
        {
            var scheme = Transport == TransportKind.UnixDatagram ? "unixgram" : IsTls ? "tls+unix" : "unix";
            return IsAbstract ? $"{scheme}://@{Path}" : $"{scheme}://{Path}";
        }
        var host = Host!.Contains(':') ? $"[{Host}]" : Host;
        var prefix = Transport == TransportKind.Udp ? "udp://" : IsTls ? "tls://" : "";
        return $"{prefix}{host}:{Port.ToString(CultureInfo.InvariantCulture)}";
    }
}
