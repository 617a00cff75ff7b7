using System.Diagnostics;
using System.Text.Json.Nodes;
using Sockit.Proxies.Faults;
using Sockit.Transport;

namespace Sockit.Mock;

/// <summary>How the connection goes on after a reply that toxics acted on.</summary>
internal enum ReplyEnd
{
    KeepOpen,
    Close,
    Reset,
}

/// <summary>
/// Sockit's toxics as a response behavior, beyond mountebank: <c>{"toxic": {"type": "bandwidth", "attributes": {"rate": 10}}}</c>
/// in a response's <c>behaviors</c>. Types, attributes and units are toxiproxy's (as <c>sockit proxy --toxic</c> takes
/// them), acting on this one reply: latency before it, bandwidth and slicer while it goes, limit_data cutting it short
/// and closing, timeout withholding it (and closing after its timeout, unless 0), reset_peer a reset instead of it
/// (after its timeout), slow_close closing the connection after it, that many milliseconds late.
/// </summary>
internal sealed class ResponseToxics
{
    private static readonly string[] Fit =
        [ToxicTypes.Latency, ToxicTypes.Bandwidth, ToxicTypes.Slicer, ToxicTypes.LimitData, ToxicTypes.Timeout, ToxicTypes.ResetPeer, ToxicTypes.SlowClose];

    private readonly Toxic[] _toxics;

    private ResponseToxics(Toxic[] toxics) => _toxics = toxics;

    /// <summary>The toxic behaviors of a stub's response, or null when it has none (the usual case, and free).</summary>
    public static ResponseToxics? From(JsonObject response)
    {
        if (response["behaviors"] is not JsonArray) return null;
        List<Toxic>? toxics = null;
        foreach (var behavior in ImposterValidator.Behaviors(response))
        {
            if (behavior.ContainsKey("toxic")) (toxics ??= []).Add(Parse(behavior["toxic"]));
        }
        return toxics is null ? null : new ResponseToxics([.. toxics]);
    }

    /// <summary>One toxic behavior's <c>toxic</c> field as a toxic.</summary>
    /// <exception cref="MockError">Not an object with a type this behavior takes, or bad attributes.</exception>
    public static Toxic Parse(JsonNode? node)
    {
        if (node is not JsonObject toxic || toxic["type"] is not JsonValue type || !Js.IsString(type))
            throw MockError.Validation("toxic behavior \"toxic\" field must be an object with a \"type\"", node);
        if (!Fit.Contains(Js.ToText(type)))
            throw MockError.Validation($"toxic behavior type must be one of {string.Join(", ", Fit)}", node);
        var attributes = new List<KeyValuePair<string, long>>();
        if (toxic["attributes"] is JsonObject given)
        {
            foreach (var (key, value) in given)
            {
                if (!Js.TryInteger(value, out var number)) throw MockError.Validation($"toxic behavior attribute \"{key}\" must be an integer", node);
                attributes.Add(new(key, number));
            }
        }
        else if (toxic["attributes"] is not null) throw MockError.Validation("toxic behavior \"attributes\" field must be an object", node);
        try
        {
            return Toxic.Create(Js.ToText(type), attributes: attributes);
        }
        catch (SockitException ex)
        {
            throw MockError.Validation($"toxic behavior: {ex.Message}", node);
        }
    }

    /// <summary>Sends <paramref name="reply"/> as the toxics say; what the connection does next.</summary>
    public async Task<ReplyEnd> SendAsync(Connection connection, ReadOnlyMemory<byte> reply, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        long Due(long milliseconds) => start + milliseconds * Stopwatch.Frequency / 1000;
        if (Find(ToxicTypes.ResetPeer) is { } reset)
        {
            await ToxicPacing.PauseUntilAsync(Due(reset["timeout"]), cancellationToken).ConfigureAwait(false);
            return ReplyEnd.Reset;
        }
        if (Find(ToxicTypes.Timeout) is { } timeout)
        {
            if (timeout["timeout"] == 0) return ReplyEnd.KeepOpen; // the reply is dropped; the connection stays
            await ToxicPacing.PauseUntilAsync(Due(timeout["timeout"]), cancellationToken).ConfigureAwait(false);
            return ReplyEnd.Close;
        }
        long latency = 0;
        foreach (var toxic in _toxics)
        {
            if (toxic.Type == ToxicTypes.Latency) latency += ToxicPacing.DrawLatency(toxic);
        }
        if (latency > 0) await ToxicPacing.PauseUntilAsync(Due(latency), cancellationToken).ConfigureAwait(false);
        var limit = Find(ToxicTypes.LimitData);
        if (limit is not null && reply.Length > limit["bytes"]) reply = reply[..(int)limit["bytes"]];
        try
        {
            await ToxicPacing.SendShapedAsync(connection, reply, Find(ToxicTypes.Slicer), Find(ToxicTypes.Bandwidth), new ToxicPacing.Pacer(), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SockitException or ObjectDisposedException)
        {
            return ReplyEnd.Close; // the client is gone
        }
        if (Find(ToxicTypes.SlowClose) is { } slowClose)
        {
            // Timed by the Stopwatch, as every other toxic is: Task.Delay's coarse clock may wake it milliseconds early.
            var sent = Stopwatch.GetTimestamp();
            await ToxicPacing.PauseUntilAsync(sent + slowClose["delay"] * Stopwatch.Frequency / 1000, cancellationToken).ConfigureAwait(false);
            return ReplyEnd.Close;
        }
        return limit is null ? ReplyEnd.KeepOpen : ReplyEnd.Close;
    }

    private Toxic? Find(string type) => Array.Find(_toxics, t => t.Type == type);
}
