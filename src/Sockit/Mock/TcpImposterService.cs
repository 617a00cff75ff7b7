using System.Buffers;
using System.Text.Json.Nodes;
using Sockit.Hosting;
using Sockit.Transport;

namespace Sockit.Mock;

/// <summary>
/// A tcp imposter on one connection: as mountebank, each packet that arrives is one request (<c>data</c>, text or
/// base64) and gets the matching stub's <c>data</c> back; a fault closes the connection. A request that fails (a
/// broken predicate, an unreachable proxy) is answered with mountebank's JSON errors; the imposter goes on.
/// </summary>
internal sealed class TcpImposterService(Imposter imposter) : IConnectionService
{
    /// <summary>What mountebank sends for RANDOM_DATA_THEN_CLOSE: always the same bytes.</summary>
    internal static readonly byte[] RandomData = "Htijy%@tWXJ/hQ#[Q:7G@dH4\"gu[QaX&"u8.ToArray();

    public async Task ServeAsync(Connection connection, ConnectionContext context)
    {
        // One request object for the connection, its data replaced per request: requests on a connection are answered
        // one after another, and whatever keeps a request (the recording, a proxy's new stub) takes a copy.
        var request = new JsonObject
        {
            ["requestFrom"] = Imposter.SocketName(connection.RemoteEndpoint),
            ["ip"] = connection.RemoteEndpoint.Host,
            ["data"] = null,
        };
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var pending = 0; // bytes of a frame not yet complete, at the start of buffer
        try
        {
            while (true)
            {
                if (pending == 0 && await connection.WaitReadableOrFailAsync(context.Stopping).ConfigureAwait(false) < 0) return;
                if (pending == buffer.Length) buffer = Grow(buffer);
                var received = await connection.ReceiveOrFailAsync(buffer.AsMemory(pending), context.Abort).ConfigureAwait(false);
                if (received <= 0) return;
                var end = pending + received;
                var start = 0;
                while (start < end)
                {
                    // Without framing, each packet is a request, as in mountebank.
                    var frame = imposter.Framing is null ? end - start : imposter.Framing.FrameLength(buffer.AsSpan(start, end - start));
                    if (frame == 0 && end - start >= TcpFraming.MaxFrame) frame = end - start;
                    if (frame == 0) break;
                    if (!await RespondAsync(connection, context, buffer.AsMemory(start, frame), request).ConfigureAwait(false)) return;
                    start += frame;
                }
                pending = end - start;
                if (pending > 0 && start > 0) buffer.AsSpan(start, pending).CopyTo(buffer);
            }
        }
        catch (OperationCanceledException)
        {
            // the imposter is stopping
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static byte[] Grow(byte[] buffer)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, TcpFraming.MaxFrame * 2));
        buffer.CopyTo(larger, 0);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    /// <summary>Answers one request; false when the connection is to end (a fault, or the client is gone).</summary>
    private async Task<bool> RespondAsync(Connection connection, ConnectionContext context, ReadOnlyMemory<byte> packet, JsonObject request)
    {
        request["data"] = imposter.Binary ? Convert.ToBase64String(packet.Span) : Imposter.Utf8.GetString(packet.Span);
        context.Requests++;
        var (response, errors, toxics) = await imposter.TryRespondAsync(request, null, context.Abort).ConfigureAwait(false);
        if (response is null)
        {
            var error = Errors(errors!);
            return await connection.SendOrFailAsync(error, context.Abort).ConfigureAwait(false) >= 0;
        }
        switch (response["fault"] is JsonNode f ? Js.ToText(f) : null)
        {
            case "CONNECTION_RESET_BY_PEER":
                // mountebank 2.9.1 destroys the socket, which the client sees as an orderly close.
                context.Outcome = "fault CONNECTION_RESET_BY_PEER";
                return false;
            case "RANDOM_DATA_THEN_CLOSE":
                context.Outcome = "fault RANDOM_DATA_THEN_CLOSE";
                await connection.SendOrFailAsync(RandomData, context.Abort).ConfigureAwait(false);
                return false;
        }
        var reply = Reply(imposter, response);
        if (toxics is not null)
        {
            var end = await toxics.SendAsync(connection, reply, context.Abort).ConfigureAwait(false);
            if (end == ReplyEnd.Reset) ResetByToxic(connection, context);
            return end == ReplyEnd.KeepOpen;
        }
        return reply.Length == 0 || await connection.SendOrFailAsync(reply, context.Abort).ConfigureAwait(false) >= 0;
    }

    /// <summary>A reset_peer toxic behavior fell due: the client sees ECONNRESET.</summary>
    internal static void ResetByToxic(Connection connection, ConnectionContext context)
    {
        context.Outcome = "reset by a toxic behavior";
        connection.Reset();
    }

    /// <summary>mountebank's errors as the JSON a tcp or udp client is sent.</summary>
    internal static byte[] Errors(IEnumerable<MockError> errors) =>
        Imposter.Utf8.GetBytes(Js.Stringify(new JsonObject { ["errors"] = new JsonArray([.. errors.Select(e => (JsonNode)e.ToJson())]) }));

    /// <summary>
    /// The bytes a tcp or udp response sends: its data, or the default response's; UTF-8 text, or base64 in binary mode
    /// (nothing when it is not base64). A stub's fixed response is encoded once.
    /// </summary>
    internal static byte[] Reply(Imposter imposter, JsonObject response)
    {
        if (PreparedReply.For(response) is { } slot) return slot.Data ??= Encode(imposter, response);
        return Encode(imposter, response);
    }

    private static byte[] Encode(Imposter imposter, JsonObject response)
    {
        var data = Js.Truthy(response["data"]) ? response["data"] : imposter.DefaultResponse?["data"];
        if (data is null) return [];
        var text = Js.IsString(data) ? Js.ToText(data) : Js.Stringify(data);
        if (!imposter.Binary) return Imposter.Utf8.GetBytes(text);
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return [];
        }
    }
}
