namespace Sockit.Tracing;

/// <summary>Receives every socket call Sockit makes on the sockets it was handed to. Called inline, so keep it quick.</summary>
internal interface ISocketTracer
{
    /// <summary>Reports one call. May be called from several threads at once.</summary>
    void Record(in SocketCallEvent call);
}
