namespace Sockit.Inspection;

/// <summary>Names the processes that hold a local port, so that "address in use" can say who. Uses <see cref="SocketTable"/>, as sockit ls does.</summary>
internal static class PortOwners
{
    /// <summary>"nginx (pid 812)" style descriptions of the listeners on <paramref name="port"/>, possibly empty.</summary>
    public static IReadOnlyList<string> Describe(int port, bool udp)
    {
        try
        {
            var snapshot = SocketTable.Read(new SocketQuery
            {
                Kinds = new HashSet<SocketKind> { udp ? SocketKind.Udp : SocketKind.Tcp },
                Listening = true,
                Port = port,
                Processes = true,
            });
            return snapshot.Sockets.Where(s => s.LocalPort == port && s.Pid is not null)
                .Select(s => $"{s.Process} (pid {s.Pid})").Distinct().ToList();
        }
        catch (Exception ex) when (ex is SockitException or IOException or UnauthorizedAccessException)
        {
            return []; // not Linux, or /proc unreadable: the message simply names no one
        }
    }
}
