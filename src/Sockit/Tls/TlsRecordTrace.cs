using System.Diagnostics;
using System.Net.Sockets;
using Sockit.Tracing;

namespace Sockit.Tls;

/// <summary>
/// Names the TLS records of a handshake as they cross the socket (ClientHello, ServerHello, Certificate, encrypted
/// handshake, alerts), one trace line each, so --trace shows the handshake's steps and when each happened.
/// </summary>
internal sealed class TlsRecordTrace(ISocketTracer tracer, int fd)
{
    private readonly Direction _in = new(), _out = new();
    public readonly long Started = Stopwatch.GetTimestamp();

    public void Saw(bool received, ReadOnlySpan<byte> bytes)
    {
        var direction = received ? _in : _out;
        var arrow = received ? "<" : ">";
        while (bytes.Length > 0)
        {
            if (direction.Skip > 0)
            {
                var skipped = Math.Min(direction.Skip, bytes.Length);
                direction.Skip -= skipped;
                bytes = bytes[skipped..];
                continue;
            }
            if (bytes.Length < 5) return; // a header split across reads: rare in a handshake, and only a trace line is lost
            var type = bytes[0];
            var length = (bytes[3] << 8) | bytes[4];
            var name = type switch
            {
                20 => "ChangeCipherSpec",
                21 => bytes.Length >= 7 && !direction.Encrypted ? $"Alert {AlertName(bytes[6])}" : "Alert (encrypted)",
                22 => bytes.Length >= 6 && !direction.Encrypted ? HandshakeName(bytes[5]) : "encrypted handshake",
                23 => "encrypted handshake message",
                _ => $"record type {type}: not TLS",
            };
            if (type == 20) direction.Encrypted = true;
            var now = Stopwatch.GetTimestamp();
            tracer.Record(new SocketCallEvent(SocketCall.Tls, fd, $"{arrow} {name}", length, SocketError.Success, now, now));
            direction.Skip = 5 + length;
            if (type is < 20 or > 24) return;
        }
    }

    public void Done(string summary, bool failed = false)
    {
        tracer.Record(new SocketCallEvent(SocketCall.Tls, fd, "handshake", failed ? -1 : 0,
            SocketError.Success, Started, Stopwatch.GetTimestamp(), summary));
    }

    private static string HandshakeName(byte type) => type switch
    {
        1 => "ClientHello",
        2 => "ServerHello",
        4 => "NewSessionTicket",
        8 => "EncryptedExtensions",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        20 => "Finished",
        _ => $"handshake message {type}",
    };

    private static string AlertName(byte description) => description switch
    {
        0 => "close_notify",
        40 => "handshake_failure",
        42 => "bad_certificate",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        48 => "unknown_ca",
        70 => "protocol_version",
        80 => "internal_error",
        112 => "unrecognized_name",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => description.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private sealed class Direction
    {
        public int Skip;
        public bool Encrypted;
    }
}
