namespace Sockit.Proxies.Control;

/// <summary>
/// An answer of toxiproxy's own errors (api.go's <c>ApiError</c>): its status and its fixed text, which toxiproxy's
/// clients and test suites compare (<c>"HTTP 404: proxy not found"</c>), so they are written here exactly as there.
/// </summary>
internal sealed class ApiError(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public static ApiError BadRequestBody(string detail) => new(400, $"bad request body: {detail}");

    public static ApiError MissingField(string field) => new(400, $"missing required field: {field}");

    public static ApiError ProxyNotFound => new(404, "proxy not found");

    public static ApiError ProxyAlreadyExists => new(409, "proxy already exists");

    public static ApiError InvalidStream => new(400, "stream was invalid, can be either upstream or downstream");

    public static ApiError InvalidToxicType => new(400, "invalid toxic type");

    public static ApiError ToxicAlreadyExists => new(409, "toxic already exists");

    public static ApiError ToxicNotFound => new(404, "toxic not found");

    /// <summary>A failure toxiproxy passes on from Go's net package, which it answers with 500.</summary>
    public static ApiError Internal(string message) => new(500, message);
}
