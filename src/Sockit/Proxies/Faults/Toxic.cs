using System.Globalization;

namespace Sockit.Proxies.Faults;

/// <summary>
/// One fault a proxy injects: its type (noop, latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data; for
/// UDP also loss, duplicate and reorder, with a probability in percent per datagram), the
/// direction it acts on, the share of connections it affects, and its attributes. The model is toxiproxy's, so
/// toxiproxy clients and config files carry over unchanged.
/// </summary>
public sealed class Toxic
{
    private Toxic(string name, string type, ToxicStream stream, double toxicity, IReadOnlyDictionary<string, long> attributes)
    {
        Name = name;
        Type = type;
        Stream = stream;
        Toxicity = toxicity;
        Attributes = attributes;
    }

    /// <summary>Unique within a proxy; by default <c>TYPE_STREAM</c>, as toxiproxy names it.</summary>
    public string Name { get; }

    /// <summary>The toxic type, such as <c>latency</c>.</summary>
    public string Type { get; }

    /// <summary>Which way the toxic acts.</summary>
    public ToxicStream Stream { get; }

    /// <summary>The share of connections affected, from 0 to 1; each connection is chosen or not once, at random.</summary>
    public double Toxicity { get; }

    /// <summary>Every attribute of the type, with defaults filled in (all whole numbers, in toxiproxy's units).</summary>
    public IReadOnlyDictionary<string, long> Attributes { get; }

    /// <summary>Creates a toxic after checking its type, toxicity and attributes.</summary>
    /// <param name="type">A known toxic type.</param>
    /// <param name="name">The name, or null for <c>TYPE_STREAM</c>.</param>
    /// <param name="stream">The direction it acts on.</param>
    /// <param name="toxicity">The share of connections affected, 0 to 1.</param>
    /// <param name="attributes">Attributes to set; the others keep their defaults.</param>
    /// <exception cref="SockitException">An unknown type or attribute, a negative value, or a toxicity outside 0–1.</exception>
    public static Toxic Create(string type, string? name = null, ToxicStream stream = ToxicStream.Downstream, double toxicity = 1,
        IEnumerable<KeyValuePair<string, long>>? attributes = null)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (!ToxicTypes.Attributes.TryGetValue(type, out var known))
            throw Invalid($"unknown toxic type '{type}'; known types: {ToxicTypes.Known}");
        var values = known.ToDictionary(a => a.Name, a => a.Default, StringComparer.Ordinal);
        foreach (var (key, value) in attributes ?? [])
        {
            if (!values.ContainsKey(key))
                throw Invalid($"{type} has no attribute '{key}'; it takes {string.Join(", ", known.Select(a => a.Name))}");
            if (value < 0) throw Invalid($"{type} attribute {key} must not be negative (got {value})");
            if (key == "probability" && value > 100) throw Invalid($"{type} probability is a percentage, 0 to 100 (got {value})");
            values[key] = value;
        }
        if (double.IsNaN(toxicity) || toxicity is < 0 or > 1) throw Invalid($"toxicity must be between 0 and 1 (got {toxicity.ToString(CultureInfo.InvariantCulture)})");
        name = string.IsNullOrEmpty(name) ? $"{type}_{StreamName(stream)}" : name;
        if (name.AsSpan().IndexOfAny('/', '?', '#') >= 0 || name.Any(char.IsWhiteSpace)) throw Invalid($"toxic name '{name}' must not contain '/', '?', '#' or spaces");
        return new Toxic(name, type, stream, toxicity, values);
    }

    /// <summary>This toxic with some attributes or its toxicity changed (a toxiproxy update).</summary>
    /// <exception cref="SockitException">As for <see cref="Create"/>.</exception>
    public Toxic With(IEnumerable<KeyValuePair<string, long>>? attributes = null, double? toxicity = null, ToxicStream? stream = null)
    {
        var merged = new Dictionary<string, long>(Attributes, StringComparer.Ordinal);
        foreach (var (key, value) in attributes ?? []) merged[key] = value;
        return Create(Type, Name, stream ?? Stream, toxicity ?? Toxicity, merged);
    }

    /// <summary>
    /// Parses the command-line form <c>TYPE[:key=value,...]</c>, where besides the type's attributes the keys
    /// <c>name</c>, <c>stream</c> (upstream, downstream or both) and <c>toxicity</c> may be given:
    /// <c>latency:latency=100,jitter=20,stream=both</c>. "both" gives one toxic per direction.
    /// </summary>
    /// <exception cref="SockitException">The text does not describe a valid toxic.</exception>
    internal static IReadOnlyList<Toxic> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':');
        var type = (colon < 0 ? text : text[..colon]).Trim();
        string? name = null;
        var streams = new[] { ToxicStream.Downstream };
        var toxicity = 1.0;
        var attributes = new List<KeyValuePair<string, long>>();
        if (colon >= 0)
        {
            foreach (var pair in text[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var equals = pair.IndexOf('=');
                if (equals <= 0) throw Invalid($"'{pair}' in --toxic {text} is not key=value");
                var key = pair[..equals].Trim();
                var value = pair[(equals + 1)..].Trim();
                switch (key)
                {
                    case "name":
                        name = value;
                        break;
                    case "stream":
                        streams = value switch
                        {
                            "upstream" or "up" => [ToxicStream.Upstream],
                            "downstream" or "down" => [ToxicStream.Downstream],
                            "both" => [ToxicStream.Upstream, ToxicStream.Downstream],
                            _ => throw Invalid($"stream={value} in --toxic {text}: use upstream, downstream or both"),
                        };
                        break;
                    case "toxicity":
                        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out toxicity))
                            throw Invalid($"toxicity={value} in --toxic {text} is not a number between 0 and 1");
                        break;
                    default:
                        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                            throw Invalid($"{key}={value} in --toxic {text} is not a whole number");
                        attributes.Add(new(key, number));
                        break;
                }
            }
        }
        if (name is not null && streams.Length > 1) throw Invalid($"--toxic {text}: a name cannot be shared by two directions; drop name= or pick one stream");
        return [.. streams.Select(stream => Create(type, name, stream, toxicity, attributes))];
    }

    /// <summary>"upstream" or "downstream", as toxiproxy writes it.</summary>
    internal static string StreamName(ToxicStream stream) => stream == ToxicStream.Upstream ? "upstream" : "downstream";

    /// <summary>The attribute's value.</summary>
    internal long this[string attribute] => Attributes[attribute];

    /// <summary>Whether this toxic acts on the connection whose random draw is <paramref name="draw"/> (0 to 1).</summary>
    internal bool Affects(double draw) => Toxicity >= 1 || draw < Toxicity;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name} ({Type} {StreamName(Stream)}{(Toxicity < 1 ? $", toxicity {Toxicity.ToString(CultureInfo.InvariantCulture)}" : "")}: " +
        $"{string.Join(", ", Attributes.Select(a => $"{a.Key}={a.Value}"))})";

    private static SockitException Invalid(string message) => new(SockitError.InvalidArgument, message);
}
