using System.Text.Json.Nodes;
using Sockit.Endpoints;
using Sockit.Hosting;

namespace Sockit.Mock;

/// <summary>
/// A udp imposter (beyond mountebank) on the datagram host: each datagram is one request (<c>requestFrom</c>,
/// <c>ip</c>, <c>data</c> as text or base64, as a tcp imposter has it) and the matching stub's <c>data</c> goes back to
/// the sender as one datagram; empty data sends nothing. A request that fails is answered with mountebank's JSON errors.
/// </summary>
internal sealed class UdpImposterService(Imposter imposter) : IAsyncDatagramService
{
    public async ValueTask<ReadOnlyMemory<byte>?> ReplyAsync(ReadOnlyMemory<byte> datagram, Endpoint peer, CancellationToken cancellationToken)
    {
        var request = new JsonObject
        {
            ["requestFrom"] = Imposter.SocketName(peer),
            ["ip"] = peer.Host,
            ["data"] = imposter.Binary ? Convert.ToBase64String(datagram.Span) : Imposter.Utf8.GetString(datagram.Span),
        };
        var (response, errors, _) = await imposter.TryRespondAsync(request, null, cancellationToken).ConfigureAwait(false);
        if (response is null) return TcpImposterService.Errors(errors!);
        if (response.ContainsKey("fault")) return null; // validation refuses faults for udp; a datagram has no connection to break
        var reply = TcpImposterService.Reply(imposter, response);
        // Empty data sends nothing. Not "reply.Length == 0 ? null : reply": that null is a byte[] one, which becomes an
        // empty ReadOnlyMemory, an empty datagram.
        if (reply.Length == 0) return null;
        return reply;
    }
}
