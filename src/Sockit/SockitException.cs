using System.Net.Sockets;
using Sockit.Endpoints;

namespace Sockit;

/// <summary>
/// A failure with a message written for the person at the keyboard: it names the cause and, where there is one, the fix.
/// The library throws it at its edge; the CLI prints <see cref="Exception.Message"/> as one line.
/// </summary>
public sealed class SockitException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SockitException(SockitError error, string message, Exception? inner = null) : base(message, inner)
    {
        Error = error;
    }

    /// <summary>The kind of failure.</summary>
    public SockitError Error { get; }

    /// <summary>The endpoint the failure concerns (the server that refused, the address that is in use), when there is one.</summary>
    public Endpoint? Endpoint { get; internal set; }

    /// <summary>
    /// The option that would change the outcome, named as its property in the options record (for example
    /// <c>ConnectTimeout</c> of <c>DialOptions</c>, <c>Message</c> of <c>LoadOptions</c>), when a limit or a missing
    /// value caused the failure.
    /// </summary>
    public string? Limit { get; internal init; }

    /// <summary>The socket error the OS reported, when the failure came from a socket call.</summary>
    public SocketError? SocketError => (InnerException as SocketException)?.SocketErrorCode;

    /// <summary>True when the failure is in what the user typed (exit code 2), not in the network (exit code 1).</summary>
    internal bool IsUsageError => Error is SockitError.InvalidEndpoint or SockitError.InvalidArgument;
}
