namespace Sockit.Cli.Commands;

/// <summary>
/// What <c>sockit demo</c> says at each step, in one language. The Russian text speaks the terms of the webinar the
/// product grew from (a socket as an endpoint, the ADDRESS:PORT pair, the listening socket, the socket file).
/// </summary>
internal sealed record DemoNarration
{
    public required string[] Intro { get; init; }
    public required string TcpTitle { get; init; }
    public required string UnixTitle { get; init; }
    public required string BindTcp { get; init; }
    public required string BindUnix { get; init; }

    /// <summary>{0}: the address the server listens on.</summary>
    public required string Listening { get; init; }

    public required string Accept { get; init; }
    public required string Send { get; init; }
    public required string Receive { get; init; }
    public required string Close { get; init; }
    public required string Request { get; init; }

    /// <summary>{0}: the bytes received; {1}: the request as text.</summary>
    public required string Reply { get; init; }

    /// <summary>{0}: what the server got.</summary>
    public required string ServerGot { get; init; }

    /// <summary>{0}: what the client got.</summary>
    public required string ClientGot { get; init; }

    public required string[] Outro { get; init; }

    /// <summary>The trace's notes (what a result means) in this language; null keeps the library's English.</summary>
    public Func<string, string>? TranslateNote { get; init; }

    public static readonly DemoNarration English = new()
    {
        Intro =
        [
            "Sockit demo: a server and a client in one process, talking over loopback.",
            "Each line in the trace is one socket call: time, call(arguments) = result, <how long it took>.",
            "A socket is an endpoint, ADDRESS:PORT or a file path, through which two processes exchange bytes.",
        ],
        TcpTitle = "TCP over IPv4 loopback (an INET address: ADDRESS:PORT)",
        UnixTitle = "a Unix-domain socket (a file: no port, and the bytes never leave the machine)",
        BindTcp = "1-3. socket(), bind(), listen(): the server asks the OS for a socket, binds it to an address and port (port 0: the OS picks a free one; ports below 1024 need privileges), and starts listening; the kernel now queues incoming connections.",
        BindUnix = "1-3. socket(), bind(), listen(): the server asks the OS for a socket and binds it to a path (a socket file appears in the file system, and any local process that may open it can connect), then starts listening.",
        Listening = "      The server listens on {0}.",
        Accept = "4-5. connect() and accept(): the client creates its own socket and connects; the server accepts, which gives it a new socket for this one client while the listening socket keeps listening.",
        Send = "6. send(): the client sends its request; the bytes go to the kernel, which delivers them to the peer.",
        Receive = "7. recv(): the server receives the request and sends a reply; the client receives it.",
        Close = "8. shutdown() and close(): the client says it has nothing more to send (SHUT_WR); the server reads EOF (recv returns 0), closes its side, and the client reads EOF too.",
        Request = "Hello, server!",
        Reply = "Hello, client! You sent {0} bytes: {1}",
        ServerGot = "      server got: \"{0}\"",
        ClientGot = "      client got: \"{0}\"",
        Outro =
        [
            "Now try it between two terminals:",
            "  sockit listen :5000 --trace        # the server: socket, bind, listen, accept",
            "  sockit connect :5000 --trace       # the client: socket, connect; type, and Ctrl-D to half-close",
            "  sockit ls -l                       # every listening socket on this machine and who holds it (like netstat)",
        ],
    };

    public static readonly DemoNarration Russian = new()
    {
        Intro =
        [
            "Демо Sockit: сервер и клиент в одном процессе обмениваются данными через loopback.",
            "Каждая строка трассировки — один вызов сокета: время, вызов(аргументы) = результат, <сколько длился вызов>.",
            "Сокет — это конечная точка, через которую процессы обмениваются данными: связка ADDRESS:PORT или путь к файлу сокета.",
        ],
        TcpTitle = "TCP через loopback IPv4 (INET-адрес: связка ADDRESS:PORT)",
        UnixTitle = "UNIX-сокет (UNIX-адрес: файл сокета; порта нет, данные не покидают машину)",
        BindTcp = "Шаги 1–3. socket(), bind(), listen(): сервер создаёт сокет, привязывает его к адресу и порту (порт 0 — операционная система выберет свободный; порты меньше 1024 непривилегированным процессам недоступны) и начинает «слушать»: теперь ядро ставит входящие подключения в очередь.",
        BindUnix = "Шаги 1–3. socket(), bind(), listen(): сервер создаёт сокет и привязывает его к пути — в файловой системе появляется файл сокета, через который могут общаться любые локальные процессы, — и начинает «слушать».",
        Listening = "      Сервер слушает на {0}.",
        Accept = "Шаги 4–5. connect() и accept(): клиент создаёт свой сокет и устанавливает подключение к слушающему сокету; сервер принимает подключение и получает новый сокет для этого клиента, а слушающий сокет продолжает слушать.",
        Send = "Шаг 6. send(): наконец-то можем отправить данные! Клиент отправляет запрос; байты уходят в ядро, и оно доставляет их другой стороне.",
        Receive = "Шаг 7. recv(): мало отправить данные, их нужно ещё получить: сервер получает запрос и отправляет ответ, клиент получает ответ.",
        Close = "Шаг 8. shutdown() и close(): клиент сообщает, что больше ничего не отправит (SHUT_WR); сервер читает EOF (recv возвращает 0) и закрывает свою сторону, затем и клиент читает EOF.",
        Request = "Привет, сервер!",
        Reply = "Привет, клиент! Ты отправил {0} байт: {1}",
        ServerGot = "      сервер получил: \"{0}\"",
        ClientGot = "      клиент получил: \"{0}\"",
        Outro =
        [
            "Теперь попробуйте в двух терминалах:",
            "  sockit listen :5000 --trace        # сервер: socket, bind, listen, accept",
            "  sockit connect :5000 --trace       # клиент: socket, connect; печатайте, Ctrl-D — закрыть отправку (half-close)",
            "  sockit ls -l                       # все слушающие сокеты в системе и их владельцы (как netstat)",
        ],
        TranslateNote = note => note switch
        {
            _ when note.StartsWith("the OS chose port ", StringComparison.Ordinal) => "ОС выбрала порт " + note[18..],
            _ when note.StartsWith("peer ", StringComparison.Ordinal) => "клиент " + note[5..],
            _ when note.StartsWith("local ", StringComparison.Ordinal) => "свой адрес " + note[6..],
            "FIN sent: no more data from this side" => "отправлен FIN: с этой стороны данных больше не будет",
            "EOF: the peer has finished sending" => "EOF: другая сторона закончила отправку",
            "with SO_LINGER 0: the peer sees RST" => "с SO_LINGER 0: другая сторона получит RST",
            _ => note,
        },
    };

    /// <summary>
    /// The narration for <paramref name="language"/> (en or ru), or when none is given, for the locale: Russian when
    /// LC_ALL, LC_MESSAGES or LANG (the first one set, as POSIX orders them) starts with "ru".
    /// </summary>
    public static DemoNarration For(string? language)
    {
        if (language is not null) return language == "ru" ? Russian : English;
        foreach (var variable in (string[])["LC_ALL", "LC_MESSAGES", "LANG"])
        {
            var value = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(value)) continue;
            return value.StartsWith("ru", StringComparison.OrdinalIgnoreCase) ? Russian : English;
        }
        return English;
    }
}
