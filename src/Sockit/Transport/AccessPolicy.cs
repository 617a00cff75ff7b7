using System.Net;
using System.Net.Sockets;
using Sockit.Endpoints;

namespace Sockit.Transport;

/// <summary>
/// Which clients a server accepts, by address: a client matching any deny rule is refused; when allow rules exist, a
/// client must match one of them. Unix-socket clients have no IP address and are governed by file permissions instead.
/// </summary>
internal sealed class AccessPolicy
{
    private readonly IPNetwork[] _allow;
    private readonly IPNetwork[] _deny;

    /// <summary>Creates a policy from allow and deny networks.</summary>
    public AccessPolicy(IEnumerable<IPNetwork> allow, IEnumerable<IPNetwork> deny)
    {
        _allow = allow.ToArray();
        _deny = deny.ToArray();
    }

    /// <summary>A policy that accepts everyone.</summary>
    public static AccessPolicy AllowAll { get; } = new([], []);

    /// <summary>True when there is at least one rule.</summary>
    public bool HasRules => _allow.Length > 0 || _deny.Length > 0;

    /// <summary>Parses CIDR rules such as <c>127.0.0.0/8</c>, <c>::1/128</c> or a bare address; throws a usage error naming a bad one.</summary>
    public static AccessPolicy Parse(IEnumerable<string> allow, IEnumerable<string> deny) => new(allow.Select(ParseNetwork), deny.Select(ParseNetwork));

    private static IPNetwork ParseNetwork(string text)
    {
        var trimmed = text.Trim();
        if (IPNetwork.TryParse(trimmed, out var network)) return network;
        if (IPAddress.TryParse(trimmed, out var address))
            return new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        throw new SockitException(SockitError.InvalidArgument,
            $"invalid CIDR '{text}': write a network as address/prefix, such as 127.0.0.0/8 or ::1/128");
    }

    /// <summary>True when a client at <paramref name="remote"/> may connect.</summary>
    public bool Allows(Endpoint remote) =>
        remote.IsUnixDomain || !IPAddress.TryParse(remote.Host, out var address) || Allows(address);

    /// <summary>True when a client at <paramref name="address"/> may connect.</summary>
    public bool Allows(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var network in _deny)
            if (network.Contains(address)) return false;
        if (_allow.Length == 0) return true;
        foreach (var network in _allow)
            if (network.Contains(address)) return true;
        return false;
    }
}
