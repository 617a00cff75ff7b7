using System.Text.Json.Nodes;

namespace Sockit.Mock;

/// <summary>The imposters of one mock, by port; what mountebank's inMemoryImpostersRepository keeps.</summary>
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
            var imposter = await Imposter.StartAsync(definition, Host, options, cancellationToken).ConfigureAwait(false);
            lock (_imposters) _imposters[imposter.Port] = imposter;
            return imposter;
        }
        finally
        {
            _changes.Release();
        }
    }

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
