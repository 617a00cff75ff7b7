using System.Buffers;
using System.Text;
using Sockit.Inspection;

namespace Sockit.Cli.Rendering;

/// <summary>
/// <c>sockit ls</c> for pipes: the same space-aligned columns as <see cref="TextTable"/>, written straight into a UTF-8
/// buffer. Tens of thousands of rows made a list of formatted strings each (addresses joined with ports, numbers turned
/// to text) and that, not reading the kernel's table, was most of the time ls took next to ss.
/// </summary>
internal static class PlainSocketTable
{
    private const int FlushAt = 60 * 1024;

    public static void Write(IReadOnlyList<SocketEntry> sockets, bool showOwner, Stream output)
    {
        string[] headers = showOwner
            ? ["Kind", "State", "Local", "Remote", "Recv-Q", "Send-Q", "PID", "Process", "UID", "Inode"]
            : ["Kind", "State", "Local", "Remote", "Recv-Q", "Send-Q", "UID", "Inode"];
        var widths = headers.Select(h => h.Length).ToArray();
        foreach (var socket in sockets)
            for (var column = 0; column < widths.Length; column++) widths[column] = Math.Max(widths[column], Measure(socket, Field(column, showOwner)));

        var buffer = new ArrayBufferWriter<byte>(FlushAt + 4096);
        for (var column = 0; column < headers.Length; column++)
        {
            if (column > 0) Pad(buffer, 2);
            Text(buffer, headers[column]);
            if (column < headers.Length - 1) Pad(buffer, widths[column] - headers[column].Length);
        }
        NewLine(buffer);
        foreach (var socket in sockets)
        {
            for (var column = 0; column < widths.Length; column++)
            {
                if (column > 0) Pad(buffer, 2);
                var field = Field(column, showOwner);
                var length = Measure(socket, field);
                var numeric = Number(socket, field) is not null;
                if (numeric) Pad(buffer, widths[column] - length); // numbers line up on the right, words on the left
                WriteCell(buffer, socket, field);
                if (!numeric && column < widths.Length - 1) Pad(buffer, widths[column] - length);
            }
            NewLine(buffer);
            if (buffer.WrittenCount >= FlushAt)
            {
                output.Write(buffer.WrittenSpan);
                buffer.ResetWrittenCount();
            }
        }
        output.Write(buffer.WrittenSpan);
    }

    private enum Column { Kind, State, Local, Remote, ReceiveQueue, SendQueue, Pid, Process, Uid, Inode }

    private static Column Field(int column, bool showOwner) => showOwner || column < 6 ? (Column)column : (Column)(column + 2);

    public static string KindName(SocketEntry s) => s.Kind switch
    {
        SocketKind.Tcp => s.Family == "ipv6" ? "tcp6" : "tcp",
        SocketKind.Udp => s.Family == "ipv6" ? "udp6" : "udp",
        SocketKind.Raw => s.Family == "ipv6" ? "raw6" : "raw",
        SocketKind.UnixStream => "unix",
        SocketKind.UnixDatagram => "unixgram",
        _ => "unixseq",
    };

    private static long? Number(SocketEntry s, Column column) => column switch
    {
        Column.ReceiveQueue => s.ReceiveQueue,
        Column.SendQueue => s.SendQueue,
        Column.Pid => s.Pid,
        Column.Uid => s.Uid,
        Column.Inode => s.Inode,
        _ => null,
    };

    /// <summary>The cell's width in characters, without making its text.</summary>
    private static int Measure(SocketEntry s, Column column) => column switch
    {
        Column.Kind => KindName(s).Length,
        Column.State => s.State.Length,
        Column.Local => s.IsUnix ? (s.LocalAddress.Length > 0 ? s.LocalAddress.Length : 1) : AddressLength(s.LocalAddress, s.LocalPort),
        Column.Remote => RemoteIsNone(s) ? 1 : AddressLength(s.RemoteAddress, s.RemotePort),
        Column.Process => s.Process?.Length ?? 1,
        _ => Number(s, column) is { } value ? Digits(value) : 1,
    };

    private static void WriteCell(ArrayBufferWriter<byte> buffer, SocketEntry s, Column column)
    {
        switch (column)
        {
            case Column.Kind: Text(buffer, KindName(s)); break;
            case Column.State: Text(buffer, s.State); break;
            case Column.Local:
                if (s.IsUnix) Text(buffer, s.LocalAddress.Length > 0 ? s.LocalAddress : "*");
                else Address(buffer, s.LocalAddress, s.LocalPort);
                break;
            case Column.Remote:
                if (RemoteIsNone(s)) Text(buffer, "*");
                else Address(buffer, s.RemoteAddress, s.RemotePort);
                break;
            case Column.Process: Text(buffer, s.Process ?? "-"); break;
            default:
                if (Number(s, column) is { } value)
                {
                    value.TryFormat(buffer.GetSpan(20), out var written, default, System.Globalization.CultureInfo.InvariantCulture);
                    buffer.Advance(written);
                }
                else Text(buffer, "-");
                break;
        }
    }

    // The same rules as SocketEntry.Local and Remote, kept in step by the ls tests that compare with ss.
    private static bool RemoteIsNone(SocketEntry s) => s.IsUnix || (s.RemotePort == 0 && s.RemoteAddress is "0.0.0.0" or "::");

    private static int AddressLength(string address, int port) => address.Length + (address.Contains(':') ? 2 : 0) + 1 + Digits(port);

    private static void Address(ArrayBufferWriter<byte> buffer, string address, int port)
    {
        var bracket = address.Contains(':');
        if (bracket) Text(buffer, "[");
        Text(buffer, address);
        Text(buffer, bracket ? "]:" : ":");
        port.TryFormat(buffer.GetSpan(10), out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        buffer.Advance(written);
    }

    private static int Digits(long value) => value < 10 ? 1 : (int)Math.Floor(Math.Log10(value)) + 1;

    private static void Text(ArrayBufferWriter<byte> buffer, string text)
    {
        var written = Encoding.UTF8.GetBytes(text, buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length)));
        buffer.Advance(written);
    }

    private static void Pad(ArrayBufferWriter<byte> buffer, int count)
    {
        if (count <= 0) return;
        buffer.GetSpan(count)[..count].Fill((byte)' ');
        buffer.Advance(count);
    }

    private static void NewLine(ArrayBufferWriter<byte> buffer)
    {
        buffer.GetSpan(1)[0] = (byte)'\n';
        buffer.Advance(1);
    }
}
