using Sockit.Transport;

namespace Sockit.Hosting;

/// <summary>A server's behaviour on one stream connection. The host accepts, counts, logs and closes.</summary>
internal interface IStreamService
{
    Task ServeAsync(Connection connection, ConnectionState state, ServiceContext context);
}

/// <summary>A server's behaviour for datagrams: the reply to one datagram, if any.</summary>
internal interface IDatagramService
{
    /// <summary>Writes the reply to <paramref name="request"/> into <paramref name="reply"/>; returns its length, or -1 for no reply.</summary>
    int Reply(ReadOnlySpan<byte> request, Span<byte> reply);
}
