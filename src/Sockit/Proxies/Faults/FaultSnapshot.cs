namespace Sockit.Proxies.Faults;

/// <summary>One immutable state of a <see cref="FaultSet"/>, with each direction's toxics picked out once.</summary>
internal sealed class FaultSnapshot
{
    public static readonly FaultSnapshot Empty = new([]);

    public FaultSnapshot(Toxic[] all)
    {
        All = all;
        Upstream = [.. all.Where(t => t.Stream == ToxicStream.Upstream)];
        Downstream = [.. all.Where(t => t.Stream == ToxicStream.Downstream)];
    }

    public Toxic[] All { get; }
    public Toxic[] Upstream { get; }
    public Toxic[] Downstream { get; }

    public Toxic[] For(ToxicStream stream) => stream == ToxicStream.Upstream ? Upstream : Downstream;
}
