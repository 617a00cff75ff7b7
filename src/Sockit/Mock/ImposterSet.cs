using System.Text.Json.Nodes;

namespace Sockit.Mock;

/// <summary>
/// The imposters of one mock, by port; what mountebank's inMemoryImpostersRepository keeps. A Unix-socket imposter is
/// kept under its definition's <c>port</c>, which it does not bind, or else under the lowest free number from
/// <see cref="Imposter.FirstUnixKey"/> (65536) up, which no real port can be.
/// </summary>
internal sealed class ImposterSet(string host, MockOptions options) : IAsyncDisposable
{
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly SortedDictionary<int, Imposter> _imposters = [];

    /// <summary>Where imposters listen unless one names its own host.</summary>
    public string Host { get; } = host;

    public List<Imposter> All
    {
        get
        {
            lock (_imposters) return [.. _imposters.Values];
        }
    }

    public Imposter? Find(int port)
    {
        lock (_imposters) return _imposters.GetValueOrDefault(port);
    }

    /// <summary>Validates and starts an imposter.</summary>
    /// <exception cref="MockErrors">It is invalid or its port is taken.</exception>
    public async Task<Imposter> AddAsync(JsonObject definition, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var asked = definition["port"] is JsonNode p && Js.TryInteger(p, out var n) ? (int)n : 0;
            var unix = definition.ContainsKey("path");
            int? unixKey = null;
            lock (_imposters)
            {
                if (asked > 0 && _imposters.TryGetValue(asked, out var holder) && !(BindsTcpPort(definition) && holder.Path is null && !holder.IsUdp))
                    throw Conflict(asked); // two tcp imposters on one port meet at bind(), with node's EADDRINUSE as in mountebank
                if (unix && asked == 0)
                {
                    unixKey = Imposter.FirstUnixKey;
                    while (_imposters.ContainsKey(unixKey.Value)) unixKey++;
                }
            }
            // A port the OS picks can meet a number the set holds (a udp imposter's port, a Unix imposter's own): pick again.
            for (var attempt = 1; ; attempt++)
            {
                var imposter = await Imposter.StartAsync(definition, Host, options, unixKey, cancellationToken).ConfigureAwait(false);
                lock (_imposters)
                {
                    if (_imposters.TryAdd(imposter.Port, imposter)) return imposter;
                }
                await imposter.DisposeAsync().ConfigureAwait(false);
                if (asked > 0 || attempt == 3) throw Conflict(imposter.Port);
            }
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>A tcp, http, https or tls imposter on a port (not a Unix socket): one that bind() keeps apart from the others of its kind.</summary>
    private static bool BindsTcpPort(JsonObject definition) => !definition.ContainsKey("path") && Js.ToText(definition["protocol"]) != "udp";

    private static MockErrors Conflict(int port) =>
        new([new MockError(MockError.ResourceConflict, $"there is already an imposter {port}; DELETE /imposters/{port} first, or give another port")]);

    /// <summary>Replaces every imposter with <paramref name="definitions"/>, all validated before any is stopped.</summary>
    public async Task<List<Imposter>> ReplaceAllAsync(List<JsonObject> definitions, CancellationToken cancellationToken)
    {
        var errors = definitions.SelectMany(ImposterValidator.Validate).ToList();
        if (errors.Count > 0) throw new MockErrors(errors);
        await RemoveAllAsync().ConfigureAwait(false);
        var started = new List<Imposter>();
        foreach (var definition in definitions) started.Add(await AddAsync(definition, cancellationToken).ConfigureAwait(false));
        return started;
    }

    public async Task<Imposter?> RemoveAsync(int port)
    {
        Imposter? imposter;
        lock (_imposters)
        {
            if (_imposters.Remove(port, out imposter) is false) return null;
        }
        await imposter.DisposeAsync().ConfigureAwait(false);
        return imposter;
    }

    public async Task RemoveAllAsync()
    {
        List<Imposter> all;
        lock (_imposters)
        {
            all = [.. _imposters.Values];
            _imposters.Clear();
        }
        foreach (var imposter in all) await imposter.DisposeAsync().ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => new(RemoveAllAsync());
}
