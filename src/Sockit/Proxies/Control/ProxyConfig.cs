using System.Text.Json;

namespace Sockit.Proxies.Control;

/// <summary>
/// A toxiproxy config file: a JSON array of proxies (<c>name</c>, <c>listen</c>, <c>upstream</c>, optional
/// <c>enabled</c>, and as a Sockit extension <c>toxics</c>), the same shape <c>POST /populate</c> takes.
/// </summary>
internal static class ProxyConfig
{
    /// <summary>Parses the JSON text of a config file.</summary>
    /// <exception cref="SockitException">Malformed JSON, or a proxy or toxic that is not valid.</exception>
    public static IReadOnlyList<ProxyDefinition> Parse(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var document = ControlModel.ParseBody(json);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                throw new SockitException(SockitError.InvalidArgument, "a proxy config is a JSON array of {\"name\", \"listen\", \"upstream\"} objects");
            var definitions = document.RootElement.EnumerateArray().Select((proxy, i) => ControlModel.ReadConfigProxy(proxy, i + 1)).ToList();
            var twice = definitions.GroupBy(d => d.Name).FirstOrDefault(g => g.Count() > 1);
            if (twice is not null) throw new SockitException(SockitError.InvalidArgument, $"proxy {twice.Key} is listed twice");
            return definitions;
        }
        catch (ApiError ex)
        {
            throw new SockitException(SockitError.InvalidArgument, ex.Message);
        }
    }

    /// <summary>Reads and parses a config file.</summary>
    /// <exception cref="SockitException">The file cannot be read, or does not parse.</exception>
    public static async Task<IReadOnlyList<ProxyDefinition>> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SockitException(SockitError.InvalidArgument, $"cannot read the proxy config {path}: {ex.Message}");
        }
        try
        {
            return Parse(bytes);
        }
        catch (SockitException ex)
        {
            throw new SockitException(ex.Error, $"proxy config {path}: {ex.Message}");
        }
    }
}
