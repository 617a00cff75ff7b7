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
}
