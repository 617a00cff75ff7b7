using Sockit.Endpoints;
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

/// <summary>
/// What a server does with datagrams when an answer may take a while (a mock's wait behavior): the host answers several
/// datagrams at once, so a slow one holds up none of the others.
/// </summary>
internal interface IAsyncDatagramService
{
    /// <summary>The reply to <paramref name="request"/> from <paramref name="peer"/>, or null for none.</summary>
    /// <param name="request">The datagram; it stays valid until the returned task completes.</param>
    /// <param name="peer">Who sent it.</param>
    /// <param name="cancellationToken">Fires when the host stops.</param>
    ValueTask<ReadOnlyMemory<byte>?> ReplyAsync(ReadOnlyMemory<byte> request, Endpoint peer, CancellationToken cancellationToken);
}
