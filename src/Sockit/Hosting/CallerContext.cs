namespace Sockit.Hosting;

/// <summary>
/// Starts a host's own loops outside the execution context of the code that started the host, as Kestrel starts its
/// connections: otherwise that caller's async-local values (a logger's scope, an Activity, a test's context) would be
/// every later connection's, and each resumption of each service would switch into that context and back.
/// </summary>
internal static class CallerContext
{
    /// <summary>Runs <paramref name="start"/> (which starts the loops and returns their task) with the flow of context suppressed.</summary>
    public static Task Detach(Func<Task> start)
    {
        if (ExecutionContext.IsFlowSuppressed()) return start(); // suppressing twice throws
        var flow = ExecutionContext.SuppressFlow();
        try
        {
            return start();
        }
        finally
        {
            flow.Undo();
        }
    }
}
