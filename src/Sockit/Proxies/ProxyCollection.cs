using Sockit.Endpoints;
using Sockit.Hosting;
using Sockit.Proxies.Control;
using Sockit.Proxies.Faults;

namespace Sockit.Proxies;

/// <summary>
/// Many named proxies in one process, as toxiproxy keeps them: created, changed, taken down and removed while others run.
/// Safe to use from many threads.
/// </summary>
public sealed class ProxyCollection(ServerOptions? serverOptions = null, ProxyOptions? proxyOptions = null) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Proxy> _proxies = new(StringComparer.Ordinal);
    private readonly long _created = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>The totals of proxies already removed (a control API client deletes its proxies after each test).</summary>
    private readonly List<ServerSummary> _removed = [];

    private readonly List<ControlApi> _apis = [];

    /// <summary>The proxies, by name.</summary>
    public IReadOnlyList<Proxy> All
    {
        get
        {
            lock (_proxies) return [.. _proxies.Values.OrderBy(p => p.Name, StringComparer.Ordinal)];
        }
    }

    /// <summary>The proxy called <paramref name="name"/>.</summary>
    /// <exception cref="SockitException">No such proxy (<see cref="SockitError.NotFound"/>).</exception>
    public Proxy Get(string name)
    {
        lock (_proxies)
            return _proxies.TryGetValue(name, out var proxy) ? proxy : throw new SockitException(SockitError.NotFound, $"proxy {name} not found");
    }

    /// <summary>Creates and (when enabled) starts a proxy.</summary>
    /// <exception cref="SockitException">The name is taken (<see cref="SockitError.AlreadyExists"/>), or the proxy cannot start.</exception>
    internal async Task<Proxy> AddAsync(ProxyDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_proxies)
                if (_proxies.ContainsKey(definition.Name)) throw new SockitException(SockitError.AlreadyExists, $"proxy {definition.Name} already exists");
            return await StartLockedAsync(definition, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The proxy called <paramref name="name"/>, or null.</summary>
    internal Proxy? Find(string name)
    {
        lock (_proxies) return _proxies.GetValueOrDefault(name);
    }

    /// <summary>
    /// Makes the collection hold these proxies (toxiproxy's populate), one after the other as
    /// <see cref="AddOrReplaceAsync"/> does. Proxies not named are kept.
    /// </summary>
    /// <exception cref="SockitException">A proxy cannot start; those before it in the list stay created.</exception>
    internal async Task<IReadOnlyList<Proxy>> PopulateAsync(IEnumerable<ProxyDefinition> definitions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        var result = new List<Proxy>();
        foreach (var definition in definitions) result.Add(await AddOrReplaceAsync(definition, cancellationToken).ConfigureAwait(false));
        return result;
    }

    /// <summary>
    /// Creates the proxy, or keeps the one of that name when it already listens there (an equivalent address counts:
    /// <c>localhost:P</c> is <c>127.0.0.1:P</c>) and relays to the same upstream, running as it is, with its toxics;
    /// otherwise that one is replaced. This is toxiproxy's AddOrReplace.
    /// </summary>
    /// <exception cref="SockitException">The proxy cannot start.</exception>
    internal async Task<Proxy> AddOrReplaceAsync(ProxyDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var existing = Find(definition.Name);
            if (existing is not null && existing.Upstream == definition.Upstream && await existing.ListensAtAsync(definition.Listen, cancellationToken).ConfigureAwait(false))
                return existing;
            if (existing is not null) await RemoveLockedAsync(existing).ConfigureAwait(false);
            return await StartLockedAsync(definition, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops and forgets the proxy called <paramref name="name"/>; its open connections are cut.</summary>
    /// <exception cref="SockitException">No such proxy (<see cref="SockitError.NotFound"/>).</exception>
    public async Task RemoveAsync(string name)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await RemoveLockedAsync(Get(name)).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Brings every proxy up and removes every toxic (toxiproxy's reset), so each test starts clean.</summary>
    /// <exception cref="SockitException">A proxy's address can no longer be bound.</exception>
    public async Task ResetAsync(CancellationToken cancellationToken = default)
    {
        foreach (var proxy in All)
        {
            proxy.Faults.Clear();
            await proxy.EnableAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Creates and (when <paramref name="enabled"/>) starts a proxy from <paramref name="listen"/> to <paramref name="upstream"/>.</summary>
    /// <exception cref="SockitException">The name is taken (<see cref="SockitError.AlreadyExists"/>), or the proxy cannot start.</exception>
    public Task<Proxy> AddAsync(string name, Endpoint listen, Endpoint upstream, bool enabled = true, CancellationToken cancellationToken = default) =>
        AddAsync(new ProxyDefinition(name, listen, upstream, enabled), cancellationToken);

    /// <summary>
    /// Serves toxiproxy's HTTP API for this collection on <paramref name="endpoint"/> (port 0: the OS picks), so that
    /// toxiproxy's clients can change it; the API stops with the collection.
    /// </summary>
    /// <returns>Where the API listens.</returns>
    public async Task<Endpoint> StartApiAsync(Endpoint endpoint, CancellationToken cancellationToken = default)
    {
        var api = await ControlApi.StartAsync(endpoint, this, serverOptions, cancellationToken).ConfigureAwait(false);
        lock (_apis) _apis.Add(api);
        return api.LocalEndpoint;
    }

    /// <summary>Stops every proxy (draining, as <see cref="Proxy.StopAsync"/> does) and returns the totals of all of them.</summary>
    public async Task<ServerSummary> StopAsync(CancellationToken cancellationToken = default)
    {
        ControlApi[] apis;
        lock (_apis) { apis = [.. _apis]; _apis.Clear(); }
        foreach (var api in apis) await api.DisposeAsync().ConfigureAwait(false);
        var running = await Task.WhenAll(All.Select(p => p.StopAsync(cancellationToken))).ConfigureAwait(false);
        List<ServerSummary> summaries;
        lock (_removed) summaries = [.. _removed, .. running];
        return summaries.Aggregate(ServerSummary.None, (sum, s) => sum.Plus(s, TimeSpan.Zero)) with { Uptime = System.Diagnostics.Stopwatch.GetElapsedTime(_created) };
    }

    /// <summary>Stops as <see cref="StopAsync"/> does, with the configured drain.</summary>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private async Task<Proxy> StartLockedAsync(ProxyDefinition definition, CancellationToken cancellationToken)
    {
        var faults = new FaultSet(definition.Toxics);
        var proxy = await Proxy.StartAsync(definition.Name, definition.Listen, definition.Upstream, definition.Enabled, serverOptions,
            (proxyOptions ?? new ProxyOptions()) with { Faults = faults }, cancellationToken).ConfigureAwait(false);
        lock (_proxies) _proxies[definition.Name] = proxy;
        return proxy;
    }

    private async Task RemoveLockedAsync(Proxy proxy)
    {
        lock (_proxies) _proxies.Remove(proxy.Name);
        // Stopped for good, open connections cut at once (a cancelled drain), and its totals kept for the final summary.
        var summary = await proxy.StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        lock (_removed) _removed.Add(summary);
    }
}
