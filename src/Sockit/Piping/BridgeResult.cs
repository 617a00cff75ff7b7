namespace Sockit.Piping;

/// <summary>How a bridged conversation ended.</summary>
internal enum BridgeEnding
{
    /// <summary>Both directions finished normally.</summary>
    Completed,
    /// <summary>The input ended and the bridge closed at once (close-on-EOF or send-only).</summary>
    InputClosed,
    /// <summary>The peer finished and the bridge closed at once (close-on-EOF).</summary>
    PeerClosed,
    /// <summary>Nothing moved for the idle timeout.</summary>
    IdleTimeout,
}

/// <summary>What a bridged conversation moved, and how it ended.</summary>
/// <param name="BytesSent">Bytes from the input to the socket.</param>
/// <param name="BytesReceived">Bytes from the socket to the output.</param>
/// <param name="Duration">How long the conversation lasted.</param>
/// <param name="Ending">Why it ended.</param>
internal sealed record BridgeResult(long BytesSent, long BytesReceived, TimeSpan Duration, BridgeEnding Ending);
