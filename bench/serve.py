"""sockit serve against references on this machine, side by side in one go:
echo vs a minimal C epoll echo server (round trips with 1 and 50 connections, stream throughput), resident memory of
10,000 idle connections, and http-echo vs nginx under wrk."""
import os
import re
import resource
import socket
import subprocess
import sys
import time

import common

HERE = os.path.dirname(os.path.abspath(__file__))


def build_c():
    for name in ("echo_server", "echo_load"):
        subprocess.run(["cc", "-O2", "-o", os.path.join(common.OUT, name), os.path.join(HERE, "c", name + ".c")], check=True)
    return os.path.join(common.OUT, "echo_server"), os.path.join(common.OUT, "echo_load")


def start(cmd, port):
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    common.wait_listening(port)
    return process


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def idle_growth(cmd, port, count):
    """Resident memory growth of a server holding `count` idle connections, each of which has echoed one byte."""
    server = start(cmd, port)
    try:
        time.sleep(0.5)  # let start-up settle before the baseline is read; not a synchronisation
        before = rss_kib(server.pid)
        sockets = []
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"x")
            sockets.append(s)
        for s in sockets:
            if s.recv(1) != b"x":
                raise RuntimeError("an idle connection did not echo")
        after = rss_kib(server.pid)
        for s in sockets:
            s.close()
        return (after - before) / 1024.0
    finally:
        stop(server)


def wrk(url, seconds, threads=2, connections=64):
    seconds = max(1, round(seconds))  # wrk takes whole seconds
    out = subprocess.run(["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds, url], capture_output=True, text=True,
                         timeout=seconds + 30).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def nginx_conf(port):
    path = os.path.join(common.OUT, "nginx.conf")
    with open(path, "w") as f:
        f.write("""worker_processes auto; daemon off; pid %(out)s/nginx.pid; error_log %(out)s/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; server { listen 127.0.0.1:%(port)d; location / { return 200 "ok\\n"; } } }
""" % {"out": common.OUT, "port": port})
    return path


def main():
    sockit = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    seconds = 3
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    c_server, load = build_c()

    c_port, s_port = common.free_port(), common.free_port()
    c = start([c_server, str(c_port)], c_port)
    s = start([sockit, "serve", "echo", "127.0.0.1:%d" % s_port], s_port)
    # Targets of issue 12 ("no speed lost"): round trips >= 0.9x at 1 and 50 connections, stream >= 0.8x.
    cases = [("32-byte round trips, 1 connection", "1", "32", "pingpong", "round trips/s", 0.9),
             ("32-byte round trips, 50 connections", "50", "32", "pingpong", "round trips/s", 0.9),
             ("stream, 64 KiB writes, 1 connection", "1", "65536", "stream", "MiB/s echoed", 0.8)]
    results = {case[0]: {"c": [], "sockit": []} for case in cases}
    try:
        for _ in range(rounds):
            for name, conns, size, mode, _, _ in cases:
                for who, port in (("c", c_port), ("sockit", s_port)):
                    out = subprocess.run([load, "127.0.0.1", str(port), conns, str(seconds), size, mode], capture_output=True, text=True, timeout=60)
                    results[name][who].append(float(out.stdout))
    finally:
        stop(c)
        stop(s)
    rows = []
    for name, _, _, _, unit, target in cases:
        cv, sv = common.median(results[name]["c"]), common.median(results[name]["sockit"])
        ratio = sv / cv
        rows.append([name, "%.0f %s" % (sv, unit), "%.0f %s" % (cv, unit), "%.2f×" % ratio, "≥ %.1f× %s" % (target, "met" if ratio >= target else "NOT met")])
    print("### serve echo vs a C epoll echo server (median of %d interleaved rounds of %d s; load from bench/c/echo_load)\n" % (rounds, seconds))
    print(common.table(["case", "sockit serve echo", "C epoll server", "ratio", "target"], rows))

    count = 10000
    s_port, c_port = common.free_port(), common.free_port()
    s_growth = idle_growth([sockit, "serve", "echo", "127.0.0.1:%d" % s_port, "--max-connections", "20000"], s_port, count)
    c_growth = idle_growth([c_server, str(c_port)], c_port, count)
    print("\n### %d idle connections (each echoed one byte, then held open): resident memory growth\n" % count)
    print(common.table(["server", "growth", "per connection", "target"], [
        ["sockit serve echo", "%.1f MiB" % s_growth, "%.2f KiB" % (s_growth * 1024 / count), "< 64 MiB %s" % ("met" if s_growth < 64 else "NOT met")],
        ["C epoll echo server", "%.1f MiB" % c_growth, "%.2f KiB" % (c_growth * 1024 / count), "reference"]]))

    n_port, h_port = common.free_port(), common.free_port()
    nginx = start(["nginx", "-c", nginx_conf(n_port)], n_port)
    http = start([sockit, "serve", "http-echo", "127.0.0.1:%d" % h_port], h_port)
    ours, theirs = [], []
    try:
        for _ in range(rounds):
            theirs.append(wrk("http://127.0.0.1:%d/" % n_port, seconds))
            ours.append(wrk("http://127.0.0.1:%d/" % h_port, seconds))
    finally:
        stop(nginx)
        stop(http)
    o, t = common.median(ours), common.median(theirs)
    print("\n### http-echo vs nginx (fixed 200) under wrk -t2 -c64 (median of %d interleaved rounds of %d s)\n" % (rounds, seconds))
    print(common.table(["server", "requests/s", "ratio", "target"], [
        ["sockit serve http-echo", "%.0f" % o, "%.2f×" % (o / t), "≥ 0.7× %s" % ("met" if o / t >= 0.7 else "NOT met")],
        ["nginx, worker_processes auto", "%.0f" % t, "1.00×", "reference"]]))
    print("\nBoth echo servers and the load client share this machine's %d cores; so do wrk and the HTTP servers.\n" % os.cpu_count())


if __name__ == "__main__":
    main()
