using System.Globalization;
using Sockit.Endpoints;
using Sockit.Piping;

namespace Sockit.Cli.Rendering;

/// <summary>How a bridged conversation is reported, and the exit code it earns.</summary>
internal static class Outcome
{
    public static int Report(BridgeResult result, Endpoint peer, bool verbose, bool streamIdleIsFailure)
    {
        if (verbose)
        {
            Reporter.Info(string.Create(CultureInfo.InvariantCulture,
                $"{peer}: sent {result.BytesSent} bytes, received {result.BytesReceived} bytes in {Durations.Format(result.Duration)} ({Describe(result.Ending)})"));
        }
        if (result.Ending == BridgeEnding.IdleTimeout && streamIdleIsFailure)
        {
            Reporter.Error($"no data either way for the idle timeout; closed the connection to {peer} (raise --idle-timeout to wait longer)");
            return CliRunner.Failure;
        }
        return CliRunner.Ok;
    }

    private static string Describe(BridgeEnding ending) => ending switch
    {
        BridgeEnding.Completed => "both sides finished",
        BridgeEnding.InputClosed => "closed at input EOF",
        BridgeEnding.PeerClosed => "the peer closed",
        BridgeEnding.IdleTimeout => "idle timeout",
        _ => ending.ToString(),
    };
}
