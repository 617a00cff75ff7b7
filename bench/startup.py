"""Start-up of the Native AOT sockit against a Native AOT hello-world built on the same machine, and ncat."""
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


def refused_port():
    """A loopback port nothing listens on: bound, never listened, so a connect is refused at once."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


def main():
    sockit, hello = sys.argv[1], sys.argv[2]
    holder, port = refused_port()
    cases = [
        ("Native AOT hello-world (the floor)", [hello]),
        ("sockit --version", [sockit, "--version"]),
        ("ncat --version", ["ncat", "--version"]),
        ("sockit ls -t", [sockit, "ls", "-t"]),
        ("ss -t", ["ss", "-t"]),
        ("sockit connect, refused at once", [sockit, "connect", "127.0.0.1:%d" % port]),
        ("nc, refused at once", ["nc", "127.0.0.1", str(port)]),
    ]
    times = {name: [] for name, _ in cases}
    for name, cmd in cases:  # warm the page cache once
        once(cmd)
    for _ in range(RUNS):  # interleaved, so every command sees the same machine state
        for name, cmd in cases:
            times[name].append(once(cmd))
    holder.close()
    floor = common.median(times[cases[0][0]])
    rows = []
    for name, _ in cases:
        value = common.median(times[name])
        rows.append([name, "%.2f ms" % (value * 1000), "%.2f×" % (value / floor)])
    print("### start-up: a whole run of each command, Native AOT (median of %d interleaved runs)\n" % RUNS)
    print(common.table(["command", "time", "vs hello-world"], rows))
    version = common.median(times["sockit --version"]) / floor
    print("\nTarget: `sockit --version` within 1.2× of the hello-world: %.2f× %s. `ls -t` and `connect` do real work"
          " (a netlink dump, a refused connect) and are shown for scale beside ss and nc.\n" % (version, "met" if version <= 1.2 else "NOT met"))


if __name__ == "__main__":
    main()
