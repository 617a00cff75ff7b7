using System.CommandLine;
using System.Text;
using Sockit.Endpoints;
using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Cli.Commands;

/// <summary>
/// <c>sockit demo</c>: a whole client–server conversation inside one process on loopback, over TCP and then over a
/// Unix socket, with each socket call shown as it happens and each step explained.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Watch a client and a server talk over loopback (TCP, then a Unix socket), every socket call explained");
        command.SetAction(async (_, cancellationToken) =>
        {
            var output = Console.Out;
            output.WriteLine("Sockit demo: a server and a client in one process, talking over loopback.");
            output.WriteLine("Each line in the trace is one socket call: time, call(arguments) = result, <how long it took>.");
            output.WriteLine("A socket is an endpoint, ADDRESS:PORT or a file path, through which two processes exchange bytes.");
            using var tracer = new TextSocketTracer(output);
            await RunAsync("TCP over IPv4 loopback", Endpoint.Parse("127.0.0.1:0"), tracer, output, cancellationToken);
            var path = Path.Combine(Path.GetTempPath(), $"sockit-demo-{Environment.ProcessId}.sock");
            await RunAsync("a Unix-domain socket (a file; no port, never leaves the machine)", Endpoint.ForUnix(path), tracer, output, cancellationToken);
            output.WriteLine();
            output.WriteLine("Now try it between two terminals:");
            output.WriteLine("  sockit listen :5000 --trace        # the server: socket, bind, listen, accept");
            output.WriteLine("  sockit connect :5000 --trace       # the client: socket, connect; type, and Ctrl-D to half-close");
            return 0;
        });
        return command;
    }

    private static async Task RunAsync(string title, Endpoint endpoint, TextSocketTracer tracer, TextWriter output, CancellationToken cancellationToken)
    {
        var server = tracer.WithLabel("server");
        var client = tracer.WithLabel("client");
        output.WriteLine();
        output.WriteLine($"=== {title} ===");

        Step(output, tracer, "1-3. socket(), bind(), listen(): the server asks the OS for a socket, binds it to an address (port 0: the OS picks a free one), and starts listening; the kernel now queues incoming connections.");
        await using var listener = await Listener.StartAsync(endpoint, new ListenerOptions { Tracer = server, Backlog = 16 }, cancellationToken);
        tracer.Flush();
        output.WriteLine($"      The server listens on {listener.LocalEndpoint}.");

        Step(output, tracer, "4-5. connect() and accept(): the client creates its own socket and connects; the server accepts, which gives it a new socket for this one client while the listening socket keeps listening.");
        var accepting = listener.AcceptAsync(cancellationToken);
        await using var clientSide = await Dialer.ConnectAsync(listener.LocalEndpoint, new DialOptions { Tracer = client }, cancellationToken);
        await using var serverSide = await accepting;
        tracer.Flush();

        Step(output, tracer, "6. send(): the client sends its request; the bytes go to the kernel, which delivers them to the peer.");
        var request = Encoding.UTF8.GetBytes("Hello, server!");
        await clientSide.SendAsync(request, cancellationToken);
        tracer.Flush();

        Step(output, tracer, "7. recv(): the server receives the request and sends a reply; the client receives it.");
        var buffer = new byte[256];
        var received = await serverSide.ReceiveAsync(buffer, cancellationToken);
        var reply = Encoding.UTF8.GetBytes($"Hello, client! You sent {received} bytes: {Encoding.UTF8.GetString(buffer, 0, received)}");
        tracer.Flush();
        await serverSide.SendAsync(reply, cancellationToken);
        tracer.Flush();
        var answer = await ReceiveAllAsync(clientSide, reply.Length, cancellationToken);
        tracer.Flush();
        output.WriteLine($"      server got: \"{Encoding.UTF8.GetString(buffer, 0, received)}\"");
        output.WriteLine($"      client got: \"{answer}\"");

        Step(output, tracer, "8. shutdown() and close(): the client says it has nothing more to send (SHUT_WR); the server reads EOF (recv returns 0), closes its side, and the client reads EOF too.");
        clientSide.ShutdownSend();
        await serverSide.ReceiveAsync(buffer, cancellationToken);
        serverSide.Dispose();
        await clientSide.ReceiveAsync(buffer, cancellationToken);
        clientSide.Dispose();
        listener.Dispose();
        tracer.Flush();
    }

    private static async Task<string> ReceiveAllAsync(Connection connection, int length, CancellationToken cancellationToken)
    {
        var buffer = new byte[length];
        var filled = 0;
        while (filled < length)
        {
            var n = await connection.ReceiveAsync(buffer.AsMemory(filled), cancellationToken);
            if (n == 0) break;
            filled += n;
        }
        return Encoding.UTF8.GetString(buffer, 0, filled);
    }

    private static void Step(TextWriter output, TextSocketTracer tracer, string text)
    {
        tracer.Flush();
        output.WriteLine();
        output.WriteLine($"  {text}");
    }
}
