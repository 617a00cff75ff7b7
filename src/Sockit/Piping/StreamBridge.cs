using System.Buffers;
using System.Diagnostics;
using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Piping;

/// <summary>
/// Pipes a stream connection to an input and an output (stdin and stdout, for the CLI), netcat style but with
/// half-close done right: at input EOF the socket's sending side is shut down (the peer reads EOF) while the reply is
/// still read to the end; when the peer finishes first, the input is still sent until it ends.
/// </summary>
internal static class StreamBridge
{
    /// <summary>Runs the conversation until it ends; the caller still owns and disposes the connection.</summary>
    /// <exception cref="SockitException">The connection was reset or failed.</exception>
    public static async Task<BridgeResult> RunAsync(Connection connection, Stream input, Stream output, BridgeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        options ??= new BridgeOptions();
        var started = Stopwatch.GetTimestamp();
        var clock = new ActivityClock();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        var sending = options.ReceiveOnly ? null : SendInputAsync(connection, input, options, clock, stop.Token);
        var receiving = options.SendOnly ? null : ReceiveOutputAsync(connection, output, options, clock, stop.Token);
        var idle = clock.WaitForIdleAsync(options.IdleTimeout, stop.Token);
        var ending = BridgeEnding.Completed;
        try
        {
            while (sending is not null || receiving is not null)
            {
                var done = await Task.WhenAny(new[] { sending, receiving, idle }.OfType<Task>()).ConfigureAwait(false);
                if (done == idle)
                {
                    await idle.ConfigureAwait(false); // throws if cancelled by the caller
                    ending = BridgeEnding.IdleTimeout;
                    break;
                }
                await done.ConfigureAwait(false); // surfaces a reset or failure
                if (done == sending)
                {
                    sending = null;
                    if (options.CloseOnEof || options.SendOnly)
                    {
                        ending = BridgeEnding.InputClosed;
                        break;
                    }
                }
                else
                {
                    receiving = null;
                    if (options.CloseOnEof)
                    {
                        ending = BridgeEnding.PeerClosed;
                        break;
                    }
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            // A read of a terminal or pipe cannot be interrupted; the input task is left to end with the process.
            Observe(sending);
            Observe(receiving);
            Observe(idle);
        }
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return new BridgeResult(connection.BytesSent, connection.BytesReceived, Stopwatch.GetElapsedTime(started), ending);
    }

    private static async Task SendInputAsync(Connection connection, Stream input, BridgeOptions options, ActivityClock clock, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(options.BufferSize);
        var converted = options.CrLf ? ArrayPool<byte>.Shared.Rent(options.BufferSize * 2) : null;
        byte previous = 0;
        try
        {
            while (true)
            {
                var read = await input.ReadAsync(buffer.AsMemory(0, options.BufferSize), cancellationToken).ConfigureAwait(false);
                if (read == 0) break;
                clock.Touch();
                ReadOnlyMemory<byte> data = buffer.AsMemory(0, read);
                if (converted is not null) data = converted.AsMemory(0, LineEndings.ToCrLf(data.Span, converted, ref previous));
                options.Dump?.Write(DataDirection.Sent, data.Span);
                await connection.SendAsync(data, cancellationToken).ConfigureAwait(false);
            }
            if (!options.CloseOnEof) connection.ShutdownSend();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (converted is not null) ArrayPool<byte>.Shared.Return(converted);
        }
    }

    private static async Task ReceiveOutputAsync(Connection connection, Stream output, BridgeOptions options, ActivityClock clock, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(options.BufferSize);
        try
        {
            while (true)
            {
                var received = await connection.ReceiveAsync(buffer.AsMemory(0, options.BufferSize), cancellationToken).ConfigureAwait(false);
                if (received == 0) break;
                clock.Touch();
                options.Dump?.Write(DataDirection.Received, buffer.AsSpan(0, received));
                await output.WriteAsync(buffer.AsMemory(0, received), cancellationToken).ConfigureAwait(false);
            }
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Marks a task's exception as seen, so one abandoned after the conversation ended is not reported as unobserved.</summary>
    internal static void Observe(Task? task) =>
        task?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
