"""The engine decision, measured: sockit serve echo on each I/O path it has, beside the C epoll echo server, with the
same load client (bench/c/echo_load). Run before one engine replaced the others; kept to re-check the choice."""
import os
import subprocess
import sys

import common
import serve


def main():
    sockit = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    seconds = 3
    c_server, load = serve.build_c()
    servers = {"C epoll server": ([c_server], {})}
    # Each further argument is NAME=ASSIGNMENT[,ASSIGNMENT] for another run of sockit serve echo: environment variables,
    # and BIN=PATH for another build of sockit (an older commit's, to compare engines that no longer live side by side).
    for spec in sys.argv[3:] or ["sockit="]:
        name, _, assignments = spec.partition("=")
        env = dict(a.split("=", 1) for a in assignments.split(",") if a)
        binary = os.path.abspath(env.pop("BIN", sockit))
        servers[name] = ([binary, "serve", "echo"], env)
    cases = [("32-byte round trips, 1 connection", "1", "32", "pingpong"),
             ("32-byte round trips, 50 connections", "50", "32", "pingpong"),
             ("stream, 64 KiB writes, 1 connection", "1", "65536", "stream")]
    running = {}
    try:
        for name, (cmd, env) in servers.items():
            port = common.free_port()
            argv = cmd + ([str(port)] if name == "C epoll server" else ["127.0.0.1:%d" % port])
            process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **env})
            common.wait_listening(port)
            running[name] = (process, port)
        results = {(case[0], name): [] for case in cases for name in servers}
        for _ in range(rounds):
            for case, conns, size, mode in cases:
                for name, (_, port) in running.items():
                    out = subprocess.run([load, "127.0.0.1", str(port), conns, str(seconds), size, mode], capture_output=True, text=True, timeout=60)
                    results[(case, name)].append(float(out.stdout))
    finally:
        for process, _ in running.values():
            serve.stop(process)
    names = list(servers)
    rows = []
    for case, _, _, mode in cases:
        c = common.median(results[(case, names[0])])
        unit = "MiB/s" if mode == "stream" else "rt/s"
        rows.append([case] + ["%.0f %s (%.2f×)" % (common.median(results[(case, n)]), unit, common.median(results[(case, n)]) / c) for n in names])
    print("### echo on each I/O path (median of %d interleaved rounds of %d s; ratio to the C epoll server)\n" % (rounds, seconds))
    print(common.table(["case"] + names, rows))
    print()


if __name__ == "__main__":
    main()
