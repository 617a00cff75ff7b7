namespace Sockit.Tracing;

/// <summary>Which way bytes moved, seen from this side.</summary>
internal enum DataDirection
{
    /// <summary>Sent to the peer (shown as '&gt;').</summary>
    Sent,
    /// <summary>Received from the peer (shown as '&lt;').</summary>
    Received,
}
