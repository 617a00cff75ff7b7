using System.Globalization;
using Sockit.Http;

namespace Sockit.Servers.Http;

/// <summary>What the request's query string asks of the response: <c>?status=404&amp;delay=100&amp;close=1&amp;header=X-A:b&amp;format=json</c>.</summary>
internal sealed class EchoQuery
{
    public int Status = 200;
    public TimeSpan Delay;
    public bool Close;
    public bool? Json;
    public readonly List<(string Name, string Value)> Headers = [];

    private static readonly string[] ReservedHeaders = ["content-length", "transfer-encoding", "connection"];

    public void Reset()
    {
        Status = 200;
        Delay = TimeSpan.Zero;
        Close = false;
        Json = null;
        Headers.Clear();
    }

    /// <summary>Reads the query of <paramref name="target"/>; unknown parameters are ignored, bad values are a 400 that says why.</summary>
    public void Parse(string target, HttpEchoOptions options)
    {
        Reset();
        var question = target.IndexOf('?', StringComparison.Ordinal);
        if (question < 0) return;
        foreach (var pair in target[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Unescape(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Unescape(pair[(equals + 1)..]);
            switch (key)
            {
                case "status":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var status) || !ReasonPhrases.TryGet(status, out _))
                        throw new HttpError(400, $"?status={value} is not a known HTTP status code; use one such as 200, 404 or 503");
                    if (status < 200) throw new HttpError(400, $"?status={value} is informational (1xx) and cannot end a response; use 200-599");
                    Status = status;
                    break;
                case "delay":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms > options.MaxDelay.TotalMilliseconds)
                        throw new HttpError(400, $"?delay={value} must be a whole number of milliseconds from 0 to {options.MaxDelay.TotalMilliseconds:0}");
                    Delay = TimeSpan.FromMilliseconds(ms);
                    break;
                case "close":
                    Close = value is "" or "1" or "true" or "yes";
                    break;
                case "format":
                    Json = value switch
                    {
                        "json" => true,
                        "text" => false,
                        _ => throw new HttpError(400, $"?format={value} is unknown; use json or text"),
                    };
                    break;
                case "header":
                    Headers.Add(ParseHeader(value));
                    break;
            }
        }
    }

    private static (string, string) ParseHeader(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var name = colon > 0 ? text[..colon].Trim() : "";
        var value = colon > 0 ? text[(colon + 1)..].Trim() : "";
        if (name.Length == 0 || name.Any(c => c <= ' ' || c >= 0x7f || "()<>@,;:\\\"/[]?={}".Contains(c)))
            throw new HttpError(400, $"?header={text} must be Name:value with a valid header name");
        if (value.Any(c => c is '\r' or '\n' or '\0' || c > 0xff))
            throw new HttpError(400, $"?header={text} has a value with line breaks or characters outside Latin-1");
        if (ReservedHeaders.Contains(name.ToLowerInvariant()))
            throw new HttpError(400, $"?header cannot set {name}: the server owns message framing");
        return (name, value);
    }

    private static string Unescape(string text)
    {
        try
        {
            return Uri.UnescapeDataString(text.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            throw new HttpError(400, $"malformed percent-encoding in the query: {text}");
        }
    }
}
