using System.CommandLine;
using System.Globalization;
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
        var language = new Option<string?>("--lang")
        {
            Description = "Narrate in English (en) or Russian (ru); without it, a Russian locale (LANG=ru_*) chooses Russian",
            HelpName = "en|ru",
        };
        language.AcceptOnlyFromAmong("en", "ru");
        var command = new Command("demo", "Watch a client and a server talk over loopback (TCP, then a Unix socket), every socket call explained") { language };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var say = DemoNarration.For(parse.GetValue(language));
            var output = Console.Out;
            foreach (var line in say.Intro) output.WriteLine(line);
            using var tracer = new TextSocketTracer(output);
            await RunAsync(say, say.TcpTitle, say.BindTcp, Endpoint.Parse("127.0.0.1:0"), tracer, output, cancellationToken);
            var path = Path.Combine(Path.GetTempPath(), $"sockit-demo-{Environment.ProcessId}.sock");
            await RunAsync(say, say.UnixTitle, say.BindUnix, Endpoint.ForUnix(path), tracer, output, cancellationToken);
            output.WriteLine();
            foreach (var line in say.Outro) output.WriteLine(line);
            return 0;
        });
        return command;
    }

    private static async Task RunAsync(DemoNarration say, string title, string bind, Endpoint endpoint, TextSocketTracer tracer, TextWriter output,
        CancellationToken cancellationToken)
    {
        var server = Narrated(tracer.WithLabel("server"), say);
        var client = Narrated(tracer.WithLabel("client"), say);
        output.WriteLine();
        output.WriteLine($"=== {title} ===");

        Step(output, tracer, bind);
        await using var listener = await Listener.StartAsync(endpoint, new ListenerOptions { Tracer = server, Backlog = 16 }, cancellationToken);
        tracer.Flush();
        output.WriteLine(string.Format(CultureInfo.InvariantCulture, say.Listening, listener.LocalEndpoint));

        Step(output, tracer, say.Accept);
        var accepting = listener.AcceptAsync(cancellationToken);
        await using var clientSide = await Dialer.ConnectAsync(listener.LocalEndpoint, new DialOptions { Tracer = client }, cancellationToken);
        await using var serverSide = await accepting;
        tracer.Flush();

        Step(output, tracer, say.Send);
        var request = Encoding.UTF8.GetBytes(say.Request);
        await clientSide.SendAsync(request, cancellationToken);
        tracer.Flush();

        Step(output, tracer, say.Receive);
        var buffer = new byte[256];
        var received = await serverSide.ReceiveAsync(buffer, cancellationToken);
        var reply = Encoding.UTF8.GetBytes(string.Format(CultureInfo.InvariantCulture, say.Reply, received, Encoding.UTF8.GetString(buffer, 0, received)));
        tracer.Flush();
        await serverSide.SendAsync(reply, cancellationToken);
        tracer.Flush();
        var answer = await ReceiveAllAsync(clientSide, reply.Length, cancellationToken);
        tracer.Flush();
        output.WriteLine(string.Format(CultureInfo.InvariantCulture, say.ServerGot, Encoding.UTF8.GetString(buffer, 0, received)));
        output.WriteLine(string.Format(CultureInfo.InvariantCulture, say.ClientGot, answer));

        Step(output, tracer, say.Close);
        clientSide.ShutdownSend();
        await serverSide.ReceiveAsync(buffer, cancellationToken);
        serverSide.Dispose();
        await clientSide.ReceiveAsync(buffer, cancellationToken);
        clientSide.Dispose();
        listener.Dispose();
        tracer.Flush();
    }

    private static ISocketTracer Narrated(TextSocketTracer tracer, DemoNarration say) =>
        say.TranslateNote is { } translate ? new TranslatedNotes(tracer, translate) : tracer;

    /// <summary>Passes each call on with its note in the narration's language.</summary>
    private sealed class TranslatedNotes(ISocketTracer inner, Func<string, string> translate) : ISocketTracer
    {
        public void Record(in SocketCallEvent call) => inner.Record(call.Note is null ? call : call with { Note = translate(call.Note) });
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
