namespace Sockit.Load;

/// <summary>What a load run does on each connection.</summary>
public enum LoadMode
{
    /// <summary>Send a message, wait for the whole reply, repeat: round trips per second and their latency.</summary>
    PingPong,

    /// <summary>Write as fast as the server takes it and read whatever comes back: throughput each way.</summary>
    Stream,

    /// <summary>Open a connection and close it, repeat: connections per second and the time connect() takes.</summary>
    Connect,

    /// <summary>HTTP/1.1 requests over keep-alive connections: requests per second, latency and status counts.</summary>
    Http,

    /// <summary>Attack: hold connections open without sending a byte (tcpkali's connection holding).</summary>
    Idle,

    /// <summary>Attack: trickle an HTTP request head a byte at a time, never finishing it (slowloris).</summary>
    Slowloris,

    /// <summary>Attack: ask for a large answer and read it a few bytes at a time through a tiny receive window.</summary>
    SlowRead,

    /// <summary>Attack: connect and reset at once, over and over (an RST storm).</summary>
    Reset,

    /// <summary>Attack: send random bytes, or malformed and smuggling HTTP, and see how the server answers.</summary>
    Garbage,
}
