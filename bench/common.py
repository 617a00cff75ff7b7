"""Shared helpers for the side-by-side benchmarks: readiness checks, timing, medians, markdown."""
import os
import socket
import statistics
import subprocess
import time

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, timeout=15.0):
    """Waits until the kernel lists a TCP listener on the port (reading /proc does not use up a one-shot accept)."""
    wanted = ":%04X" % port
    deadline = time.monotonic() + timeout
    pause = 0.002
    while time.monotonic() < deadline:
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    if fields[1].endswith(wanted) and fields[3] == "0A":
                        return
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
    raise TimeoutError("nothing listened on port %d" % port)


def random_file(size, name):
    path = os.path.join(OUT, name)
    if not os.path.exists(path) or os.path.getsize(path) != size:
        os.makedirs(OUT, exist_ok=True)
        with open(path, "wb") as f:
            left = size
            while left:
                chunk = os.urandom(min(left, 1 << 20))
                f.write(chunk)
                left -= len(chunk)
    return path


def median(values):
    return statistics.median(values)


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def run(cmd, **kw):
    return subprocess.run(cmd, timeout=120, **kw)
