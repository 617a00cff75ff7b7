using Sockit.Transport;

namespace Sockit.Hosting;

/// <summary>What a server does with one stream connection. The host accepts, limits, counts, logs and closes it.</summary>
internal interface IConnectionService
{
    Task ServeAsync(Connection connection, ConnectionContext context);
}

/// <summary>What a server does with datagrams: the reply to one datagram, if any.</summary>
internal interface IDatagramService
{
    /// <summary>Writes the reply to <paramref name="request"/> into <paramref name="reply"/>; returns its length, or -1 for no reply.</summary>
    int Reply(ReadOnlySpan<byte> request, Span<byte> reply);
}
