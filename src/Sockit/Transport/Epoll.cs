using System.Runtime.InteropServices;

namespace Sockit.Transport;

/// <summary>
/// The few Linux calls Sockit's own event loops make (epoll, read, write), for the paths where .NET's socket engine costs
/// more per message than the work itself: bench's pingpong client and serve's echo. x86-64 only, where the layout of
/// struct epoll_event is known to be packed.
/// </summary>
internal static unsafe partial class Epoll
{
    public const uint In = 0x001, Out = 0x004, Err = 0x008, Hup = 0x010;
    public const int CtlAdd = 1, CtlDel = 2, CtlMod = 3;
    public const int EAgain = 11, EIntr = 4;

    /// <summary>Whether this process can use the loops: Linux on x86-64, and not switched off with SOCKIT_NO_EPOLL=1.</summary>
    public static bool Available =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64 && Environment.GetEnvironmentVariable("SOCKIT_NO_EPOLL") != "1";

    /// <summary>x86-64's struct epoll_event: 4 bytes of events, then 8 of data, packed.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct Event
    {
        public uint Events;
        public nint Data;
    }

    /// <summary>A new epoll instance.</summary>
    /// <exception cref="InvalidOperationException">The kernel refused one.</exception>
    public static int Create()
    {
        var epoll = Create1(0);
        return epoll >= 0 ? epoll : throw new InvalidOperationException($"epoll_create1 failed (errno {Marshal.GetLastPInvokeError()})");
    }

    /// <summary>Adds, changes or removes <paramref name="fd"/>; false on failure.</summary>
    public static bool Control(int epoll, int operation, int fd, uint events, nint data)
    {
        var registration = new Event { Events = events, Data = data };
        return Ctl(epoll, operation, fd, &registration) == 0;
    }

    [LibraryImport("libc.so.6", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int Create1(int flags);

    [LibraryImport("libc.so.6", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int Ctl(int epoll, int operation, int fd, Event* registration);

    [LibraryImport("libc.so.6", EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int Wait(int epoll, Event* events, int maximum, int timeoutMilliseconds);

    [LibraryImport("libc.so.6", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc.so.6", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc.so.6", EntryPoint = "close")]
    public static partial int Close(int fd);
}
