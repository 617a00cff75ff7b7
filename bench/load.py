"""sockit bench against the load tools people use instead: the C epoll load client of bench/c on the C echo server
(32-byte round trips, 1 and 50 connections), and wrk on nginx over HTTP keep-alive. Each pair runs back to back in
every round, against the same server."""
import json
import os
import subprocess
import sys

import common
import serve


def sockit_bench(sockit, args, seconds):
    out = subprocess.run([sockit, "bench", *args, "-d", "%ds" % seconds, "--json"], capture_output=True, text=True, timeout=seconds + 60)
    return json.loads(out.stdout)["requestsPerSecond"]


def main():
    sockit = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    seconds = 3
    c_server, load = serve.build_c()
    echo_port, nginx_port = common.free_port(), common.free_port()
    echo = serve.start([c_server, str(echo_port)], echo_port)
    nginx = serve.start(["nginx", "-c", serve.nginx_conf(nginx_port)], nginx_port)
    cases = {1: ([], []), 50: ([], [])}
    http_ours, http_wrk = [], []
    try:
        for _ in range(rounds):
            for connections, (ours, theirs) in cases.items():
                theirs.append(float(subprocess.run([load, "127.0.0.1", str(echo_port), str(connections), str(seconds), "32", "pingpong"],
                                                   capture_output=True, text=True, timeout=60).stdout))
                ours.append(sockit_bench(sockit, ["127.0.0.1:%d" % echo_port, "-c", str(connections), "--size", "32"], seconds))
            http_wrk.append(serve.wrk("http://127.0.0.1:%d/" % nginx_port, seconds))
            http_ours.append(sockit_bench(sockit, ["http://127.0.0.1:%d/" % nginx_port, "-c", "64"], seconds))
    finally:
        serve.stop(nginx)
        serve.stop(echo)
    rows = []
    for connections, (ours, theirs) in cases.items():
        o, t = common.median(ours), common.median(theirs)
        rows.append(["pingpong, 32 bytes, %d connection%s, C echo server" % (connections, "" if connections == 1 else "s"),
                     "%.0f" % o, "C epoll load client: %.0f" % t, "%.2f×" % (o / t)])
    o, t = common.median(http_ours), common.median(http_wrk)
    rows.append(["HTTP GET keep-alive, 64 connections, nginx", "%.0f" % o, "wrk -t2 -c64: %.0f" % t, "%.2f×" % (o / t)])
    print("### bench: the load sockit bench drives vs the reference clients (requests/s, median of %d interleaved rounds of %d s)\n" % (rounds, seconds))
    print(common.table(["load", "sockit bench", "reference", "ratio"], rows))
    c_ratios = [common.median(ours) / common.median(theirs) for ours, theirs in cases.values()]
    print("\nTargets: ≥ 0.9× the C load client with 1 and with 50 connections (issue 12; issue 6 asked 0.8×): %s; ≥ 0.8× wrk's requests/s (issue 6): %s."
          % ("met" if min(c_ratios) >= 0.9 else "NOT met", "met" if o / t >= 0.8 else "NOT met"))
    print("The load client and the server share this machine's %d cores.\n" % os.cpu_count())


if __name__ == "__main__":
    main()
