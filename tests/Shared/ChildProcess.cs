using System.Diagnostics;
using System.Text;

namespace Sockit.Testing;

/// <summary>
/// A process under test with binary-safe stdin and stdout, stderr collected as lines, and every wait bounded: a test
/// never hangs on a peer, and the process is killed when the test ends.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly MemoryStream _stdout = new();
    private readonly Task _stdoutPump;
    private readonly StringBuilder _stderr = new();
    private readonly Lock _stderrLock = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _stderrWaiters = [];
    private TaskCompletionSource _stdoutGrew = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(Process process)
    {
        _process = process;
        _stdoutPump = PumpStdoutAsync();
        process.ErrorDataReceived += (_, e) => OnStderrLine(e.Data);
        process.BeginErrorReadLine();
    }

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        if (environment is not null)
            foreach (var (key, value) in environment) info.Environment[key] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        return new ChildProcess(process);
    }

    public int Id => _process.Id;

    public Stream Stdin => _process.StandardInput.BaseStream;

    public string Stderr
    {
        get { lock (_stderrLock) return _stderr.ToString(); }
    }

    public async Task WriteAsync(byte[] data)
    {
        await Stdin.WriteAsync(data);
        await Stdin.FlushAsync();
    }

    public Task WriteAsync(string text) => WriteAsync(Encoding.UTF8.GetBytes(text));

    public void CloseStdin() => _process.StandardInput.Close();

    /// <summary>All of stdout, once the process has closed it (exited).</summary>
    public async Task<byte[]> ReadStdoutToEndAsync(TimeSpan? timeout = null)
    {
        await _stdoutPump.WaitAsync(timeout ?? DefaultTimeout);
        lock (_stdout) return _stdout.ToArray();
    }

    public async Task<string> ReadStdoutTextAsync(TimeSpan? timeout = null) => Encoding.UTF8.GetString(await ReadStdoutToEndAsync(timeout));

    /// <summary>Waits until at least <paramref name="count"/> bytes have come out on stdout, and returns them all.</summary>
    public async Task<byte[]> WaitForStdoutAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            Task grew;
            lock (_stdout)
            {
                if (_stdout.Length >= count) return _stdout.ToArray();
                grew = _stdoutGrew.Task;
            }
            if (_stdoutPump.IsCompleted)
                lock (_stdout) throw new InvalidOperationException($"stdout ended after {_stdout.Length} of {count} bytes; stderr: {Stderr}");
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"stdout has {_stdout.Length} of {count} bytes; stderr: {Stderr}");
            await Task.WhenAny(grew, _stdoutPump, Task.Delay(left)).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until stdout, read as UTF-8 text, satisfies <paramref name="match"/>; returns that text.</summary>
    public async Task<string> WaitForStdoutTextAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            Task grew;
            lock (_stdout)
            {
                var text = Encoding.UTF8.GetString(_stdout.GetBuffer(), 0, (int)_stdout.Length);
                if (match(text)) return text;
                grew = _stdoutGrew.Task;
            }
            var left = deadline - DateTime.UtcNow;
            if (_stdoutPump.IsCompleted || left <= TimeSpan.Zero) throw new TimeoutException($"stdout never matched; stderr: {Stderr}");
            await Task.WhenAny(grew, _stdoutPump, Task.Delay(left)).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for a stderr line that matches, such as "listening on …".</summary>
    public async Task<string> WaitForStderrAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_stderrLock)
        {
            var existing = _stderr.ToString().Split('\n').FirstOrDefault(match);
            if (existing is not null) return existing;
            _stderrWaiters.Add((match, found));
        }
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(found.Task, exited).WaitAsync(timeout ?? DefaultTimeout);
        if (first == found.Task) return await found.Task;
        _process.WaitForExit(); // drains the last stderr lines
        lock (_stderrLock)
        {
            var late = _stderr.ToString().Split('\n').FirstOrDefault(match);
            return late ?? throw new InvalidOperationException($"process exited ({_process.ExitCode}) without the expected stderr line; stderr: {_stderr}");
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout ?? DefaultTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"process {_process.StartInfo.FileName} did not exit in time; stderr: {Stderr}");
        }
        await _stdoutPump.WaitAsync(DefaultTimeout);
        _process.WaitForExit(); // drains the stderr events
        return _process.ExitCode;
    }

    /// <summary>Sends a signal (SIGTERM = 15, SIGINT = 2), as a user or a service manager would.</summary>
    public void Signal(int signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private async Task PumpStdoutAsync()
    {
        var buffer = new byte[64 * 1024];
        var stream = _process.StandardOutput.BaseStream;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            TaskCompletionSource grew;
            lock (_stdout)
            {
                _stdout.Write(buffer, 0, read);
                grew = _stdoutGrew;
                _stdoutGrew = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            grew.TrySetResult();
        }
    }

    private void OnStderrLine(string? line)
    {
        if (line is null) return;
        lock (_stderrLock)
        {
            _stderr.Append(line).Append('\n');
            foreach (var waiter in _stderrWaiters.Where(w => w.Match(line)).ToList())
            {
                waiter.Found.TrySetResult(line);
                _stderrWaiters.Remove(waiter);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
        }
        catch (TimeoutException)
        {
        }
        _process.Dispose();
    }
}
