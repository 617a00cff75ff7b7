namespace Sockit.Proxies.Faults;

/// <summary>
/// The toxics of one proxy, changed at any time (from the control API, say) and read on every chunk the proxy relays.
/// Readers see an immutable snapshot, so the relay takes no lock; a change takes effect on open connections at once.
/// </summary>
public sealed class FaultSet
{
    /// <summary>The toxics of a relay without faults: none, ever (nothing adds to it), so a link can skip its fault path.</summary>
    internal static readonly FaultSet None = new();

    private readonly Lock _lock = new();
    private volatile FaultSnapshot _current = FaultSnapshot.Empty;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<FaultedLink, byte> _links = new();
    private bool? _datagram;

    /// <summary>Creates a set holding <paramref name="toxics"/>.</summary>
    /// <exception cref="SockitException">Two toxics share a name.</exception>
    public FaultSet(IEnumerable<Toxic>? toxics = null)
    {
        foreach (var toxic in toxics ?? []) Add(toxic);
    }

    /// <summary>The toxics, in the order they were added (the order they act in).</summary>
    public IReadOnlyList<Toxic> Toxics => _current.All;

    /// <summary>The toxic called <paramref name="name"/>, or null.</summary>
    public Toxic? Find(string name) => _current.All.FirstOrDefault(t => t.Name == name);

    /// <summary>Adds a toxic.</summary>
    /// <exception cref="SockitException">A toxic of that name exists (<see cref="SockitError.AlreadyExists"/>).</exception>
    public Toxic Add(Toxic toxic)
    {
        ArgumentNullException.ThrowIfNull(toxic);
        lock (_lock)
        {
            if (Find(toxic.Name) is not null) throw new SockitException(SockitError.AlreadyExists, $"toxic {toxic.Name} already exists; update or delete it first");
            Check(toxic);
            Publish([.. _current.All, toxic]);
        }
        return toxic;
    }

    /// <summary>Replaces the toxic called <paramref name="name"/> with what <paramref name="change"/> makes of it.</summary>
    /// <exception cref="SockitException">No such toxic (<see cref="SockitError.NotFound"/>), or the change is invalid.</exception>
    public Toxic Update(string name, Func<Toxic, Toxic> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_lock)
        {
            var all = _current.All.ToArray();
            var index = Array.FindIndex(all, t => t.Name == name);
            if (index < 0) throw NotFound(name);
            all[index] = change(all[index]);
            Check(all[index]);
            Publish(all);
            return all[index];
        }
    }

    /// <summary>Removes the toxic called <paramref name="name"/>; what it held back flows again.</summary>
    /// <exception cref="SockitException">No such toxic (<see cref="SockitError.NotFound"/>).</exception>
    public void Remove(string name)
    {
        lock (_lock)
        {
            if (Find(name) is null) throw NotFound(name);
            Publish([.. _current.All.Where(t => t.Name != name)]);
        }
    }

    /// <summary>Removes every toxic.</summary>
    public void Clear()
    {
        lock (_lock) Publish([]);
    }

    /// <summary>Binds the set to a proxy of one kind: from now on a toxic that cannot act on it is refused.</summary>
    /// <exception cref="SockitException">A toxic already in the set cannot act on such a proxy.</exception>
    internal void RestrictTo(bool datagram)
    {
        lock (_lock)
        {
            foreach (var toxic in _current.All)
                if (ToxicTypes.Unfit(toxic, datagram) is { } problem) throw new SockitException(SockitError.InvalidArgument, problem);
            _datagram = datagram;
        }
    }

    private void Check(Toxic toxic)
    {
        if (_datagram is { } datagram && ToxicTypes.Unfit(toxic, datagram) is { } problem) throw new SockitException(SockitError.InvalidArgument, problem);
    }

    /// <summary>The current toxics, split by direction, for the relay.</summary>
    internal FaultSnapshot Current => _current;

    /// <summary>A link that relays through these toxics: told of every change, so a new timed toxic reaches it at once.</summary>
    internal void Attach(FaultedLink link) => _links.TryAdd(link, 0);

    internal void Detach(FaultedLink link) => _links.TryRemove(link, out _);

    private void Publish(Toxic[] all)
    {
        // Each open link hears of the change by itself: no task they all wait on, whose waiters list would grow with them.
        _current = new FaultSnapshot(all);
        foreach (var link in _links.Keys) link.OnFaultsChanged();
    }

    private static SockitException NotFound(string name) => new(SockitError.NotFound, $"toxic {name} not found");
}
