namespace Sockit.Cli.Tests;

/// <summary>Small Python socket programs, the way the webinar writes them, used as real peers.</summary>
internal static class PythonScripts
{
    /// <summary>Client: connect to HOST PORT or to a Unix socket PATH, send the last argument, half-close, print everything received until EOF.</summary>
    public const string Client = """
        import socket, sys
        if sys.argv[1].startswith("/"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target = sys.argv[1]
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            target = (sys.argv[1], int(sys.argv[2]))
        s.settimeout(20)
        s.connect(target)
        s.sendall(sys.argv[-1].encode())
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        sys.stdout.write(data.decode())
        """;

    /// <summary>
    /// Server on a free loopback port (printed as "port N" on stderr) for one client, doing what its arguments say:
    /// "reply-after-eof" reads to EOF and answers "got N bytes: …"; "send TEXT close|reset|hold" sends TEXT, then closes,
    /// resets, or holds the connection open without sending more.
    /// </summary>
    public const string Server = """
        import socket, struct, sys
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        srv.settimeout(20)
        print("port", srv.getsockname()[1], file=sys.stderr, flush=True)
        conn, addr = srv.accept()
        conn.settimeout(20)
        if sys.argv[1] == "reply-after-eof":
            data = b""
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            conn.sendall(b"got %d bytes: " % len(data) + data)
            conn.close()
        else:
            conn.sendall(sys.argv[2].encode())
            if sys.argv[3] == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
            elif sys.argv[3] == "close":
                conn.close()
            else:
                try:
                    conn.recv(1)
                except Exception:
                    pass
        srv.close()
        """;

    /// <summary>Client that binds a chosen source address (argv 3) before connecting, then prints what it receives.</summary>
    public const string ClientFromSource = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(20)
        s.bind((sys.argv[3], 0))
        s.connect((sys.argv[1], int(sys.argv[2])))
        s.sendall(b"hi from " + sys.argv[3].encode())
        s.shutdown(socket.SHUT_WR)
        try:
            while s.recv(4096):
                pass
            print("closed")
        except ConnectionResetError:
            print("reset")
        """;
}
