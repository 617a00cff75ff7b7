namespace Sockit.Http;

/// <summary>A request the server refuses: the status to answer with and the one-line reason; the connection then closes.</summary>
internal sealed class HttpError(int status, string reason) : Exception(reason)
{
    public int Status { get; } = status;
}
