using System.Buffers;
using System.Globalization;
using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Piping;

/// <summary>
/// Serves many stream clients at once against one input and one output (<c>listen -k</c>): what any client sends is
/// written to the output, each read whole; the input is sent to every connected client. At input EOF every client's
/// sending side is shut down. A client is closed when its data ends (EOF, reset or error), as <c>ncat -k</c> closes it:
/// a peer that closed looks the same as one that only half-closed until a send to it fails, and with a quiet input
/// that may never come, so keeping finished clients for the input held their sockets for good and filled --max-clients.
/// </summary>
internal sealed class StreamHub
{
    private readonly Listener _listener;
    private readonly HubOptions _options;
    private readonly List<Client> _clients = [];
    private readonly SemaphoreSlim _outputLock = new(1, 1);
    private readonly CancellationTokenSource _stop;
    private bool _inputClosed;
    private Exception? _outputFailure;

    private StreamHub(Listener listener, HubOptions options, CancellationTokenSource stop)
    {
        _listener = listener;
        _options = options;
        _stop = stop;
    }

    /// <summary>
    /// Accepts and serves clients until <paramref name="cancellationToken"/> is cancelled, then closes them all. A
    /// failure to write the output (a reader that went away: <c>| head -1</c>) ends it too, and is thrown, as it ends a
    /// one-client listen: accepting clients whose data can go nowhere would lose it.
    /// </summary>
    public static async Task RunAsync(Listener listener, Stream input, Stream output, HubOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(listener);
        // Not disposed: a client's task may still cancel it after the hub has returned.
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var hub = new StreamHub(listener, options ?? new HubOptions(), stop);
        var broadcasting = hub.BroadcastInputAsync(input, stop.Token);
        try
        {
            await hub.AcceptLoopAsync(output, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Ctrl-C or SIGTERM: the normal end of a keep-open listener; or the output failed (thrown below).
        }
        finally
        {
            StreamBridge.Observe(broadcasting);
            lock (hub._clients)
            {
                foreach (var client in hub._clients) client.Connection.Dispose();
                hub._clients.Clear();
            }
        }
        if (Volatile.Read(ref hub._outputFailure) is { } failure) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
    }

    private async Task AcceptLoopAsync(Stream output, CancellationToken cancellationToken)
    {
        while (true)
        {
            var connection = await _listener.AcceptAsync(_options.Policy,
                peer => _options.OnEvent?.Invoke(new PeerEvent(PeerEventKind.Rejected, peer, "denied by --allow/--deny")), cancellationToken).ConfigureAwait(false);
            // A TLS client joins once its handshake is done, on its own task: a slow one holds up no other.
            if (_options.Tls is null) Admit(connection, output, cancellationToken);
            else StreamBridge.Observe(HandshakeThenAdmitAsync(connection, output, cancellationToken));
        }
    }

    private async Task HandshakeThenAdmitAsync(Connection connection, Stream output, CancellationToken cancellationToken)
    {
        try
        {
            await Tls.TlsHandshake.AcceptAsync(connection, _options.Tls!, cancellationToken).ConfigureAwait(false);
        }
        catch (SockitException ex)
        {
            _options.OnEvent?.Invoke(new PeerEvent(PeerEventKind.Rejected, connection.RemoteEndpoint, ex.Message));
            connection.Dispose();
            return;
        }
        Admit(connection, output, cancellationToken);
    }

    private void Admit(Connection connection, Stream output, CancellationToken cancellationToken)
    {
        Client client;
        lock (_clients)
        {
            if (_clients.Count >= _options.MaxClients)
            {
                _options.OnEvent?.Invoke(new PeerEvent(PeerEventKind.Rejected, connection.RemoteEndpoint,
                    string.Create(CultureInfo.InvariantCulture, $"--max-clients {_options.MaxClients} reached")));
                connection.Reset();
                return;
            }
            client = new Client(connection);
            _clients.Add(client);
            if (_inputClosed) client.FinishSending();
        }
        _options.OnEvent?.Invoke(new PeerEvent(PeerEventKind.Connected, connection.RemoteEndpoint));
        StreamBridge.Observe(ServeAsync(client, output, cancellationToken));
    }

    private async Task ServeAsync(Client client, Stream output, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_options.BufferSize);
        string? failure = null;
        try
        {
            int received;
            while ((received = await client.Connection.ReceiveAsync(buffer.AsMemory(0, _options.BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                await _outputLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    _options.Dump?.Write(DataDirection.Received, buffer.AsSpan(0, received));
                    await output.WriteAsync(buffer.AsMemory(0, received), cancellationToken).ConfigureAwait(false);
                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _outputLock.Release();
                }
            }
        }
        catch (SockitException ex)
        {
            failure = ex.Message;
        }
        catch (IOException ex)
        {
            failure = $"output failed: {ex.Message}";
            if (Interlocked.CompareExchange(ref _outputFailure, ex, null) is null) _stop.Cancel();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The hub is stopping: the client is closed below.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            // However the receiving ended: the client goes, and its place with it (unless the stopping hub closed it already).
            bool ours;
            lock (_clients) ours = _clients.Remove(client);
            if (ours) Close(client, failure);
        }
    }

    private void Close(Client client, string? failure)
    {
        var connection = client.Connection;
        connection.Dispose();
        _options.OnEvent?.Invoke(new PeerEvent(PeerEventKind.Disconnected, connection.RemoteEndpoint, failure ??
            string.Create(CultureInfo.InvariantCulture, $"sent {connection.BytesSent} bytes, received {connection.BytesReceived} bytes")));
    }

    private async Task BroadcastInputAsync(Stream input, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_options.BufferSize);
        try
        {
            int read;
            while ((read = await input.ReadAsync(buffer.AsMemory(0, _options.BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                Client[] targets;
                lock (_clients) targets = _clients.Where(c => !c.SendDone).ToArray();
                _options.Dump?.Write(DataDirection.Sent, buffer.AsSpan(0, read));
                foreach (var client in targets)
                {
                    try
                    {
                        await client.Connection.SendAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is SockitException or ObjectDisposedException)
                    {
                        // Gone, or closed by its receiving side meanwhile: that side sees the failure too and closes it.
                        client.FinishSending();
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        lock (_clients)
        {
            _inputClosed = true;
            foreach (var client in _clients) client.FinishSending(); // each is closed when its peer then ends
        }
    }

    private sealed class Client(Connection connection)
    {
        public Connection Connection { get; } = connection;
        public bool SendDone { get; private set; }

        public void FinishSending()
        {
            if (SendDone) return;
            SendDone = true;
            Connection.ShutdownSend();
        }
    }
}
