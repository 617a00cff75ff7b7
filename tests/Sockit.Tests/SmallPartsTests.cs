using System.Net;
using System.Net.Sockets;
using System.Text;
using Sockit.Endpoints;
using Sockit.Piping;
using Sockit.Tracing;
using Sockit.Transport;

namespace Sockit.Tests;

public sealed class SmallPartsTests
{
    [Theory]
    [InlineData("5", 5000)]
    [InlineData("500ms", 500)]
    [InlineData("1.5s", 1500)]
    [InlineData("2m", 120000)]
    [InlineData("1h", 3600000)]
    public void Durations_parse(string text, double milliseconds)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(milliseconds, value.TotalMilliseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1s")]
    [InlineData("soon")]
    [InlineData("2d")]
    [InlineData("100000s")]
    public void Durations_reject(string text) => Assert.False(Durations.TryParse(text, out _));

    [Fact]
    public void Access_policy_denies_first_then_requires_an_allow()
    {
        var policy = AccessPolicy.Parse(["127.0.0.0/8", "::1"], ["127.0.0.9"]);
        Assert.True(policy.Allows(IPAddress.Parse("127.0.0.1")));
        Assert.True(policy.Allows(IPAddress.Parse("::ffff:127.0.0.2"))); // dual-stack clients are IPv4-mapped
        Assert.True(policy.Allows(IPAddress.IPv6Loopback));
        Assert.False(policy.Allows(IPAddress.Parse("127.0.0.9")));
        Assert.False(policy.Allows(IPAddress.Parse("10.1.2.3")));
        Assert.True(policy.Allows(Endpoint.ForUnix("/tmp/x")));
        Assert.True(AccessPolicy.AllowAll.Allows(IPAddress.Parse("10.1.2.3")));
        var bad = Assert.Throws<SockitException>(() => AccessPolicy.Parse(["10.0.0.300/8"], []));
        Assert.True(bad.IsUsageError);
    }

    [Fact]
    public void Crlf_conversion_keeps_existing_crlf_across_chunks()
    {
        byte previous = 0;
        var target = new byte[32];
        var first = LineEndings.ToCrLf("a\nb\r"u8, target, ref previous);
        var second = LineEndings.ToCrLf("\nc\n"u8, target.AsSpan(first), ref previous);
        Assert.Equal("a\r\nb\r\nc\r\n", Encoding.ASCII.GetString(target, 0, first + second));
    }

    [Fact]
    public void Hexdump_lines_show_mark_offset_hex_and_ascii()
    {
        var output = new StringWriter();
        var dump = new HexDumpWriter(output);
        dump.Write(DataDirection.Sent, Encoding.ASCII.GetBytes("0123456789abcdefXY"));
        dump.Write(DataDirection.Received, [0x00, 0xff]);
        dump.Write(DataDirection.Sent, "Z"u8);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("> 00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|", lines[0]);
        Assert.StartsWith("> 00000010  58 59 ", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("|XY|", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("< 00000000  00 ff ", lines[2], StringComparison.Ordinal);
        Assert.EndsWith("|..|", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("> 00000012  5a ", lines[3], StringComparison.Ordinal); // offsets count per direction
    }

    [Fact]
    public void Tracer_folds_runs_of_sends_and_keeps_other_calls_apart()
    {
        var output = new StringWriter();
        using (var tracer = new TextSocketTracer(output, "client"))
        {
            var t = System.Diagnostics.Stopwatch.GetTimestamp();
            tracer.Record(new SocketCallEvent(SocketCall.Connect, 7, "127.0.0.1:80", 0, SocketError.Success, t, t));
            for (var i = 0; i < 100; i++) tracer.Record(new SocketCallEvent(SocketCall.Send, 7, null, 1000, SocketError.Success, t, t));
            tracer.Record(new SocketCallEvent(SocketCall.Recv, 7, null, 0, SocketError.Success, t, t, "EOF"));
            tracer.Record(new SocketCallEvent(SocketCall.Connect, 8, "127.0.0.1:81", -1, SocketError.ConnectionRefused, t, t));
        }
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Contains("[client] connect(7, 127.0.0.1:80) = 0", lines[0], StringComparison.Ordinal);
        Assert.Contains("send(7) ×100 = 100000 bytes", lines[1], StringComparison.Ordinal);
        Assert.Contains("recv(7) = 0  EOF", lines[2], StringComparison.Ordinal);
        Assert.Contains("connect(8, 127.0.0.1:81) = -1 ECONNREFUSED", lines[3], StringComparison.Ordinal);
    }
}
