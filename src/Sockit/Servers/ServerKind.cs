namespace Sockit.Servers;

/// <summary>The test servers Sockit ships.</summary>
public enum ServerKind
{
    /// <summary>RFC 862: sends back whatever it receives.</summary>
    Echo,
    /// <summary>RFC 863: reads and throws away whatever it receives.</summary>
    Discard,
    /// <summary>RFC 864: sends an endless stream of printable characters (one datagram of them per datagram received).</summary>
    Chargen,
    /// <summary>RFC 867: sends the date and time as one line, then closes.</summary>
    Daytime,
    /// <summary>An HTTP/1.1 server that answers every request with what it received.</summary>
    HttpEcho,
}
