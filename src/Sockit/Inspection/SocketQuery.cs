namespace Sockit.Inspection;

/// <summary>Which sockets <see cref="SocketTable.Read"/> returns. Empty sets mean "all".</summary>
internal sealed record SocketQuery
{
    /// <summary>Kinds to include; empty for all.</summary>
    internal IReadOnlySet<SocketKind> Kinds { get; init; } = new HashSet<SocketKind>();

    /// <summary>IP families to include ("ipv4", "ipv6"); empty for both. Unix sockets are not affected.</summary>
    public IReadOnlySet<string> Families { get; init; } = new HashSet<string>();

    /// <summary>True: listening sockets only; false: all but listening ones (ss's default); null: everything.</summary>
    public bool? Listening { get; init; } = false;

    /// <summary>Only sockets with this port at either end.</summary>
    public int? Port { get; init; }

    /// <summary>Only sockets in these states (ss's names: "listen", "established", "time-wait", …); empty for all.</summary>
    public IReadOnlySet<string> States { get; init; } = new HashSet<string>();

    /// <summary>Only sockets held by this process.</summary>
    public int? Pid { get; init; }

    /// <summary>Only sockets held by processes of this name.</summary>
    public string? Process { get; init; }

    /// <summary>Find each socket's owning process (a scan of /proc/*/fd, the slow part); implied by <see cref="Pid"/> and <see cref="Process"/>.</summary>
    public bool Processes { get; init; }
}
