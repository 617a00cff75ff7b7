using Sockit.Tracing;

namespace Sockit.Piping;

/// <summary>How a bridge between a socket and a pair of streams (say stdin and stdout) behaves.</summary>
internal sealed record BridgeOptions
{
    /// <summary>End the conversation as soon as either side reaches EOF, instead of half-closing and waiting for the other.</summary>
    public bool CloseOnEof { get; init; }

    /// <summary>Only send the input; never read from the socket. The conversation ends at input EOF.</summary>
    public bool SendOnly { get; init; }

    /// <summary>Only receive; never read the input or half-close. The conversation ends when the peer closes.</summary>
    public bool ReceiveOnly { get; init; }

    /// <summary>End the conversation when no byte has moved either way for this long; null never.</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Turn each LF of the input into CRLF before sending (for line protocols such as HTTP and SMTP).</summary>
    public bool CrLf { get; init; }

    /// <summary>Where to hexdump the bytes moving each way, or null.</summary>
    public HexDumpWriter? Dump { get; init; }

    /// <summary>Size of each read. 64 KiB keeps syscalls few without holding much memory.</summary>
    public int BufferSize { get; init; } = 256 * 1024;
}
