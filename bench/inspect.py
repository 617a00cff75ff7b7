"""sockit ls against ss and netstat with 10,000 open loopback TCP connections (20,000 sockets in the table)."""
import os
import resource
import socket
import subprocess
import sys
import time

import common


def timed(cmd, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        # No timeout: with one, Python polls waitpid() with sleeps of up to 50 ms, and every command timed the same.
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return common.median(times)


def lines(cmd):
    return len(subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout.splitlines())


def main():
    sockit = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    count = 10000
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    port = common.free_port()
    server = subprocess.Popen([sockit, "serve", "discard", "127.0.0.1:%d" % port, "--max-connections", "20000"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    clients = []
    try:
        common.wait_listening(port)
        for _ in range(count):
            clients.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        pairs = [
            ("sockit ls -ta", [sockit, "ls", "-ta"], "ss -tan", ["ss", "-tan"], "netstat -tan", ["netstat", "-tan"]),
            ("sockit ls -tap", [sockit, "ls", "-tap"], "ss -tanp", ["ss", "-tanp"], "netstat -tanp", ["netstat", "-tanp"]),
        ]
        rows = []
        for ours_name, ours, ss_name, ss, ns_name, ns in pairs:
            results = {ours_name: [], ss_name: [], ns_name: []}
            for _ in range(runs):  # interleaved, so all three see the same machine state
                for name, cmd in ((ours_name, ours), (ss_name, ss), (ns_name, ns)):
                    results[name].append(timed(cmd, 1))
            o, s, n = (common.median(results[k]) for k in (ours_name, ss_name, ns_name))
            rows.append([ours_name, "%.0f ms" % (o * 1000), "%d" % lines(ours), "reference"])
            rows.append([ss_name, "%.0f ms" % (s * 1000), "%d" % lines(ss), "sockit takes %.2f× its time" % (o / s)])
            rows.append([ns_name, "%.0f ms" % (n * 1000), "%d" % lines(ns), "sockit takes %.2f× its time" % (o / n)])
    finally:
        for c in clients:
            c.close()
        server.terminate()
        server.wait(timeout=10)
    print("### ls: %d open loopback TCP connections (%d sockets), median of %d interleaved runs\n" % (count, 2 * count, runs))
    print(common.table(["command", "time", "lines out", "compared"], rows))
    print("\nTarget: no slower than ss with process mapping (-p); well ahead of netstat.\n")


if __name__ == "__main__":
    main()
