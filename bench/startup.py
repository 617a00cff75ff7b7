"""Start-up of the Native AOT sockit against a Native AOT hello-world built on the same machine, and ncat."""
import os
import socket
import subprocess
import sys
import time

import common

RUNS = 41


def once(cmd):
    start = time.perf_counter()
    # No timeout here: with one, Python polls waitpid() with growing sleeps, which added ~15 ms to a 17 ms start.
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def busy_elsewhere(seconds=1.0):
    """The share of the machine's CPU time used while this process sleeps, from /proc/stat: other load on the machine."""
    def ticks():
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        return sum(fields), fields[3] + fields[4]  # all, idle + iowait
    total0, idle0 = ticks()
    time.sleep(seconds)
    total1, idle1 = ticks()
    return 1.0 - (idle1 - idle0) / max(1, total1 - total0)


def refused_port():
    """A loopback port nothing listens on: bound, never listened, so a connect is refused at once."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


def measure(cases):
    """Median wall time of each command, the commands interleaved so every one sees the same machine state."""
    times = {name: [] for name, _ in cases}
    for name, cmd in cases:  # warm the page cache once
        once(cmd)
    for _ in range(RUNS):
        for name, cmd in cases:
            times[name].append(once(cmd))
    return {name: common.median(values) for name, values in times.items()}


def main():
    sockit, hello = sys.argv[1], sys.argv[2]
    holder, port = refused_port()
    busy = busy_elsewhere()
    floor_name = "Native AOT hello-world (the floor)"
    # The target's pair alone: run between ncat, ss and nc, the 13.7 MB sockit image is faulted back in after they
    # have pushed it out of the caches, and the 1.1 MB hello-world hardly is (1.13-1.35x that way against 1.06-1.09x
    # for the pair, the same day). The other commands are measured in a second round, with the hello-world again.
    pair = measure([(floor_name, [hello]), ("sockit --version", [sockit, "--version"])])
    others = measure([
        (floor_name, [hello]),
        ("ncat --version", ["ncat", "--version"]),
        ("sockit ls -t", [sockit, "ls", "-t"]),
        ("ss -t", ["ss", "-t"]),
        ("sockit connect, refused at once", [sockit, "connect", "127.0.0.1:%d" % port]),
        ("nc, refused at once", ["nc", "127.0.0.1", str(port)]),
    ])
    holder.close()
    rows = [[name, "%.2f ms" % (value * 1000), "%.2f×" % (value / pair[floor_name])] for name, value in pair.items()]
    rows += [[name, "%.2f ms" % (value * 1000), "%.2f×" % (value / others[floor_name])] for name, value in others.items() if name != floor_name]
    print("### start-up: a whole run of each command, Native AOT (median of %d interleaved runs)\n" % RUNS)
    print("The hello-world and `sockit --version` are timed as a pair; the other commands in a second round beside the "
          "hello-world again, each row's ratio against its own round's hello-world.\n")
    print(common.table(["command", "time", "vs hello-world"], rows))
    version = pair["sockit --version"] / pair[floor_name]
    # Start-up is milliseconds of page faults and a thread or two, and a busy machine stretches the larger image's
    # more: with two CPU hogs running, 6.05 against 7.99 ms (1.33x); on the idle machine, 2.2 against 2.3 ms.
    print("\nThe machine was %.0f%% busy with other work in the second before (from /proc/stat)%s." % (
        busy * 100, "" if busy < 0.1 else ": these times are stretched by it, and the ratio with them"))
    print("\nTarget: `sockit --version` within 1.2× of the hello-world: %.2f× %s. `ls -t` and `connect` do real work"
          " (a netlink dump, a refused connect) and are shown for scale beside ss and nc.\n" % (version, "met" if version <= 1.2 else "NOT met"))


if __name__ == "__main__":
    main()
