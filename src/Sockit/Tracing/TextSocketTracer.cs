using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Sockit.Tracing;

/// <summary>
/// Writes each socket call as one line of text: time since the trace began, the call with its arguments, the result
/// or errno name, and how long the call took. Runs of send() or recv() on one socket are folded into one line, so a
/// gigabyte transfer reads as a handful of lines rather than a quarter of a million.
/// </summary>
internal sealed class TextSocketTracer : ISocketTracer, IDisposable
{
    private readonly Sink _sink;
    private readonly string _label;

    /// <summary>Creates a tracer writing to <paramref name="writer"/>; <paramref name="label"/> prefixes each line, say "server".</summary>
    public TextSocketTracer(TextWriter writer, string? label = null) : this(new Sink(writer), label) { }

    private TextSocketTracer(Sink sink, string? label)
    {
        _sink = sink;
        _label = label is null ? "" : $"[{label}] ";
    }

    /// <summary>A tracer that writes to the same place, in the same order and clock, with another label.</summary>
    public TextSocketTracer WithLabel(string label) => new(_sink, label);

    /// <inheritdoc />
    public void Record(in SocketCallEvent call) => _sink.Record(_label, call);

    /// <summary>Writes any folded send/recv line still pending.</summary>
    public void Flush() => _sink.Flush();

    /// <summary>Flushes and stops the background flush timer.</summary>
    public void Dispose() => _sink.Dispose();

    /// <summary>Formats a call the way the tracer prints it (without timestamp or label).</summary>
    public static string Format(in SocketCallEvent call, int count = 1, long totalBytes = -1)
    {
        var text = new StringBuilder(96);
        text.Append(Name(call.Call)).Append('(');
        if (call.Fd >= 0) text.Append(call.Fd.ToString(CultureInfo.InvariantCulture));
        if (call.Arguments is not null)
        {
            if (call.Fd >= 0) text.Append(", ");
            text.Append(call.Arguments);
        }
        text.Append(')');
        if (count > 1)
        {
            text.Append(" ×").Append(count.ToString(CultureInfo.InvariantCulture))
                .Append(" = ").Append(totalBytes.ToString(CultureInfo.InvariantCulture)).Append(" bytes");
        }
        else if (call.Failed)
        {
            text.Append(" = -1 ").Append(ErrnoNames.Of(call.Error));
        }
        else
        {
            text.Append(" = ").Append(call.Result.ToString(CultureInfo.InvariantCulture));
        }
        if (call.Note is not null) text.Append("  ").Append(call.Note);
        return text.ToString();
    }

    private static string Name(SocketCall call) => call switch
    {
        SocketCall.SetSockOpt => "setsockopt",
        SocketCall.RecvFrom => "recvfrom",
        SocketCall.SendTo => "sendto",
        _ => call.ToString().ToLowerInvariant(),
    };

    /// <summary>The shared writer, clock and folding state behind one or more labelled tracers.</summary>
    private sealed class Sink : IDisposable
    {
        // A folded run is printed when another call comes, or after this long, so an interactive session still sees it.
        private static readonly TimeSpan FoldWindow = TimeSpan.FromMilliseconds(250);

        private readonly TextWriter _writer;
        private readonly long _origin = Stopwatch.GetTimestamp();
        private readonly Lock _lock = new();
        private Timer? _timer;
        private bool _disposed;

        // The run being folded: same label, socket and call.
        private string? _runLabel;
        private SocketCallEvent _runFirst;
        private int _runCount;
        private long _runBytes;
        private long _runEnd;

        public Sink(TextWriter writer) => _writer = writer;

        public void Record(string label, in SocketCallEvent call)
        {
            lock (_lock)
            {
                if (_disposed) return;
                var foldable = call.IsDataCall && !call.Failed && call.Result > 0;
                if (foldable && _runCount > 0 && ReferenceEquals(label, _runLabel) && call.Fd == _runFirst.Fd && call.Call == _runFirst.Call)
                {
                    _runCount++;
                    _runBytes += call.Result;
                    _runEnd = call.EndTimestamp;
                    return;
                }
                FlushRun();
                if (foldable)
                {
                    _runLabel = label;
                    _runFirst = call;
                    _runCount = 1;
                    _runBytes = call.Result;
                    _runEnd = call.EndTimestamp;
                    _timer ??= new Timer(_ => Flush(), null, FoldWindow, FoldWindow);
                    return;
                }
                WriteLine(label, call, Format(call), call.EndTimestamp);
            }
        }

        public void Flush()
        {
            lock (_lock)
            {
                if (_disposed) return;
                FlushRun();
                _writer.Flush();
            }
        }

        private void FlushRun()
        {
            if (_runCount == 0) return;
            var text = _runCount == 1 ? Format(_runFirst) : Format(_runFirst, _runCount, _runBytes);
            WriteLine(_runLabel!, _runFirst, text, _runEnd);
            _runCount = 0;
            _runLabel = null;
        }

        private void WriteLine(string label, in SocketCallEvent first, string text, long end)
        {
            var at = Stopwatch.GetElapsedTime(_origin, first.StartTimestamp).TotalMilliseconds;
            var took = Stopwatch.GetElapsedTime(first.StartTimestamp, end).TotalMilliseconds;
            _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{at,10:F3} ms  {label}{text}  <{took:F3} ms>"));
            _writer.Flush();
        }

        public void Dispose()
        {
            lock (_lock)
            {
                if (_disposed) return;
                FlushRun();
                _writer.Flush();
                _disposed = true;
                _timer?.Dispose();
            }
        }
    }
}
