namespace Sockit.Inspection;

/// <summary>One socket on this machine, as the kernel lists it.</summary>
/// <param name="Kind">TCP, UDP, raw or a Unix kind.</param>
/// <param name="Family">"ipv4", "ipv6" or "unix".</param>
/// <param name="State">The state in ss's words: "listen", "established", "time-wait", "unconnected", …</param>
/// <param name="LocalAddress">The local address ("127.0.0.1", "::1", "0.0.0.0"), or for Unix sockets the path or @name ("" when unnamed).</param>
/// <param name="LocalPort">The local port (0 for Unix sockets).</param>
/// <param name="RemoteAddress">The peer's address ("0.0.0.0" or "::" when there is none; "" for Unix sockets).</param>
/// <param name="RemotePort">The peer's port (0 when there is none).</param>
/// <param name="ReceiveQueue">Bytes waiting to be read (for a listener: connections waiting to be accepted); null when the OS does not say.</param>
/// <param name="SendQueue">Bytes sent but not yet acknowledged (for a listener read through netlink: its backlog limit, as ss shows); null when the OS does not say.</param>
/// <param name="Uid">The owning user's id; null when the OS does not say.</param>
/// <param name="Inode">The socket's inode, which links it to the processes holding it.</param>
/// <param name="Pid">The owning process, when known (see <see cref="SocketTable.Read"/>).</param>
/// <param name="Process">The owning process's name, when known.</param>
internal sealed record SocketEntry(
    SocketKind Kind,
    string Family,
    string State,
    string LocalAddress,
    int LocalPort,
    string RemoteAddress,
    int RemotePort,
    long? ReceiveQueue,
    long? SendQueue,
    int? Uid,
    long Inode,
    int? Pid = null,
    string? Process = null)
{
    /// <summary>True for Unix-domain sockets.</summary>
    public bool IsUnix => Family == "unix";

    /// <summary>The local end as text: <c>127.0.0.1:80</c>, <c>[::1]:80</c>, a path, or <c>*</c> for an unnamed Unix socket.</summary>
    public string Local => IsUnix ? (LocalAddress.Length > 0 ? LocalAddress : "*") : Join(LocalAddress, LocalPort);

    /// <summary>The remote end as text, or <c>*</c> when there is none.</summary>
    public string Remote => IsUnix ? "*" : RemotePort == 0 && (RemoteAddress is "0.0.0.0" or "::") ? "*" : Join(RemoteAddress, RemotePort);

    private static string Join(string address, int port) =>
        (address.Contains(':') ? $"[{address}]" : address) + ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
