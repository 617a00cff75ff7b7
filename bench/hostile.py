"""Servers under hostile clients, side by side in one run: the same storm against sockit's servers and the references
(nginx for http-echo, the C epoll server for echo, haproxy for the proxy), while one well-behaved client probes each.

The storm, for SECONDS: 800 idle connections, 200 slowloris connections (a byte of request head every 500 ms), a reset
storm (connect then RST, four at a time, as fast as it goes), and garbage (malformed and smuggling HTTP, or random
bytes), all from `sockit bench`'s attack modes. The probe: every 50 ms a new connection, one request, its answer read,
5 s allowed. Each server meets the storm STORM_ROUNDS times, the servers interleaved, a fresh process each time. Also:
descriptors before and after the storm, resident memory growth during it, SIGTERM during a storm, connection churn
through each proxy, and greedy clients (two connections that stream as fast as they are served) beside the probe.

Usage: python3 bench/hostile.py SOCKIT [SECONDS]"""
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time

import common
import serve

PROBE_EVERY = 0.05
PROBE_TIMEOUT = 5.0
LIMIT = 4096  # connections each server may hold: the same for all, above what the storm opens
STORM_ROUNDS = 3
GREEDY_SECONDS = 8
CHURN_ROUNDS = 5  # a run either keeps up or overflows the accept queue and waits out 1 s SYN retransmits: a coin per run


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024.0


def probe_once(port, http):
    """One well-behaved exchange on a new connection: True and its seconds, or False when it failed or took too long."""
    start = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=PROBE_TIMEOUT) as s:
            s.settimeout(max(0.001, PROBE_TIMEOUT - (time.perf_counter() - start)))
            if http:
                s.sendall(b"GET / HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                ok = data.startswith(b"HTTP/1.1 200")
            else:
                message = b"probe %d\n" % int(start * 1e6)
                s.sendall(message)
                data = b""
                while len(data) < len(message):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                ok = data == message
    except OSError:
        ok = False
    took = time.perf_counter() - start
    return ok and took <= PROBE_TIMEOUT, took


class Prober(threading.Thread):
    def __init__(self, port, http):
        super().__init__(daemon=True)
        self.port, self.http = port, http
        self.answered, self.lost, self.times = 0, 0, []
        self.stop = threading.Event()

    def run(self):
        next_at = time.monotonic()
        while not self.stop.is_set():
            ok, took = probe_once(self.port, self.http)
            if ok:
                self.answered += 1
                self.times.append(took)
            else:
                self.lost += 1
            next_at += PROBE_EVERY
            self.stop.wait(max(0.0, next_at - time.monotonic()))


def storm(sockit, port, http, seconds):
    """Starts the attackers; returns their processes (they stop by themselves after SECONDS)."""
    target = "http://127.0.0.1:%d/" % port if http else "127.0.0.1:%d" % port
    d = "%ds" % seconds
    attacks = [
        ["-m", "idle", "-c", "800", "--connect-rate", "2000"],
        ["-m", "slowloris", "-c", "200", "--interval", "500ms", "--connect-rate", "1000"],
        ["-m", "reset", "-c", "4"],
        ["-m", "garbage", "-c", "2", "--timeout", "2s"],
    ]
    return [subprocess.Popen([sockit, "bench", target, *a, "-d", d, "--json"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for a in attacks]


def run_storm(sockit, server_pid, port, http, seconds):
    """The storm and the probe together; returns the probe's counts and the server's descriptor and memory changes."""
    time.sleep(0.5)  # let start-up settle before the baselines are read; not a synchronisation
    fd_before, rss_before = fds(server_pid), rss_mib(server_pid)
    prober = Prober(port, http)
    prober.start()
    attackers = storm(sockit, port, http, seconds)
    peak = rss_before
    deadline = time.monotonic() + seconds + 15
    while any(a.poll() is None for a in attackers) and time.monotonic() < deadline:
        peak = max(peak, rss_mib(server_pid))
        time.sleep(0.2)
    for a in attackers:
        if a.poll() is None:
            a.kill()
    prober.stop.set()
    prober.join()
    # The attackers have exited and closed everything: the server should be back where it started.
    settle = time.monotonic() + 10
    while fds(server_pid) > fd_before and time.monotonic() < settle:
        time.sleep(0.1)
    return {
        "answered": prober.answered,
        "lost": prober.lost,
        "slowest": max(prober.times) if prober.times else float("nan"),
        "times": prober.times,
        "fd_growth": fds(server_pid) - fd_before,
        "rss_growth": peak - rss_before,
    }


def run_greedy(sockit, port, seconds):
    """Two clients that stream as fast as they are served (`sockit bench -m stream -c 2`) while the probe runs: the
    probe's answered count and slowest time. A server that lets a busy connection keep its thread makes others wait."""
    prober = Prober(port, False)
    greedy = subprocess.Popen([sockit, "bench", "127.0.0.1:%d" % port, "-m", "stream", "-c", "2", "-d", "%ds" % seconds, "--json"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # let the streams reach full speed before probing; not a synchronisation
    prober.start()
    try:
        greedy.wait(timeout=seconds + 15)
    except subprocess.TimeoutExpired:
        greedy.kill()
    prober.stop.set()
    prober.join()
    return {"answered": prober.answered, "lost": prober.lost, "slowest": max(prober.times) if prober.times else float("nan")}


def greedy_section(sockit, c_server, limit):
    """Greedy clients against sockit's echo server and proxy and their peers, rounds interleaved; prints the table."""
    runs = {}
    upstream_port = common.free_port()
    upstream = start([c_server, str(upstream_port)], upstream_port)
    try:
        for _ in range(STORM_ROUNDS):
            for name, make in [
                ("sockit serve echo", lambda p: [sockit, "serve", "echo", "127.0.0.1:%d" % p, *limit]),
                ("C epoll echo server", lambda p: [c_server, str(p)]),
                ("sockit proxy", lambda p: [sockit, "proxy", "127.0.0.1:%d" % p, "127.0.0.1:%d" % upstream_port, *limit]),
                ("haproxy (mode tcp)", lambda p: ["haproxy", "-db", "-f", haproxy_conf(p, upstream_port)]),
            ]:
                port = common.free_port()
                server = start(make(port), port)
                try:
                    runs.setdefault(name, []).append(run_greedy(sockit, port, GREEDY_SECONDS))
                finally:
                    serve.stop(server)
    finally:
        serve.stop(upstream)
    print("### greedy clients: two connections stream both ways as fast as they are served (`sockit bench -m stream -c 2`), "
          "with the probe beside them, %d s, %d rounds interleaved\n" % (GREEDY_SECONDS, STORM_ROUNDS))
    rows = [[name, sum(r["answered"] for r in rs), sum(r["lost"] for r in rs), "%.0f ms" % (common.median([r["slowest"] for r in rs]) * 1000),
             " / ".join("%.0f" % (r["slowest"] * 1000) for r in rs)] for name, rs in runs.items()]
    print(common.table(["server", "probes answered", "lost", "slowest probe (median of rounds)", "slowest, each round"], rows))
    print()


def start(cmd, port):
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    common.wait_listening(port)
    return process


def nginx_conf(port):
    directory = os.path.join(common.OUT, "nginx-hostile")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "nginx.conf")
    with open(path, "w") as f:
        f.write("""worker_processes 1; daemon off; master_process off; pid %(d)s/nginx.pid; error_log %(d)s/error.log;
worker_rlimit_nofile 20000;
events { worker_connections %(limit)d; }
http { access_log off; client_body_temp_path %(d)s; proxy_temp_path %(d)s; fastcgi_temp_path %(d)s; uwsgi_temp_path %(d)s; scgi_temp_path %(d)s;
  server { listen 127.0.0.1:%(port)d; location / { return 200 "ok\\n"; } } }
""" % {"d": directory, "port": port, "limit": LIMIT})
    return path


def haproxy_conf(port, upstream):
    path = os.path.join(common.OUT, "haproxy-hostile.cfg")
    with open(path, "w") as f:
        f.write("""global
  maxconn %(limit)d
defaults
  mode tcp
  timeout connect 5s
  timeout client 5m
  timeout server 5m
frontend front
  bind 127.0.0.1:%(port)d
  maxconn %(limit)d
  default_backend back
backend back
  server echo 127.0.0.1:%(upstream)d maxconn %(limit)d
""" % {"port": port, "upstream": upstream, "limit": LIMIT})
    return path


def sigterm_during_storm(sockit, cmd, port, http, drain):
    """Starts the server and a storm, sends SIGTERM after 3 s: the exit code and how long the exit took."""
    server = start(cmd, port)
    attackers = storm(sockit, port, http, 10)
    time.sleep(3)  # the storm is in full swing; not a synchronisation
    sent = time.monotonic()
    server.send_signal(signal.SIGTERM)
    try:
        code = server.wait(timeout=drain + 10)
    except subprocess.TimeoutExpired:
        server.kill()
        code = "hung"
    took = time.monotonic() - sent
    for a in attackers:
        a.kill()
        a.wait()
    return code, took


def time_wait_drained(limit=1000, most=75):
    """Waits (at most MOST seconds) until fewer than LIMIT loopback sockets are in TIME-WAIT. A churn run leaves tens of
    thousands, and the next run's connect() then searches a nearly full port range: whichever proxy ran second was
    measured against the first one's leftovers. Polls kernel state; not a synchronisation of ours."""
    deadline = time.monotonic() + most
    while time.monotonic() < deadline:
        out = subprocess.run(["ss", "-Htan", "state", "time-wait"], capture_output=True, text=True).stdout
        if out.count("\n") < limit:
            return
        time.sleep(1)


def churn(sockit, port):
    out = subprocess.run([sockit, "bench", "127.0.0.1:%d" % port, "-m", "connect", "-c", "8", "-d", "5s", "--json"],
                         capture_output=True, text=True, timeout=60)
    import json
    result = json.loads(out.stdout)
    return result["requestsPerSecond"], sum(result["errors"].values())


def main():
    sockit = os.path.abspath(sys.argv[1])
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    c_server, _ = serve.build_c()
    limit = ["--max-connections", str(LIMIT)]

    rows, checks = [], []

    # Every server in turn, STORM_ROUNDS times, a fresh process each time; the proxies in front of one C echo server.
    # A single storm's slowest probe is mostly a lottery: one SYN that the kernel drops while the accept queue is full
    # costs its client a 1 s retransmit, and nginx, haproxy and the C server draw those too. The median over rounds of
    # each round's slowest probe is the figure compared; every round's is shown beside it.
    upstream_port = common.free_port()
    upstream = start([c_server, str(upstream_port)], upstream_port)
    servers = [
        ("sockit serve http-echo", lambda p: [sockit, "serve", "http-echo", "127.0.0.1:%d" % p, *limit], True),
        ("nginx (one worker)", lambda p: ["nginx", "-c", nginx_conf(p)], True),
        ("sockit serve echo", lambda p: [sockit, "serve", "echo", "127.0.0.1:%d" % p, *limit], False),
        ("C epoll echo server", lambda p: [c_server, str(p)], False),
        ("sockit proxy", lambda p: [sockit, "proxy", "127.0.0.1:%d" % p, "127.0.0.1:%d" % upstream_port, *limit], False),
        ("haproxy (mode tcp)", lambda p: ["haproxy", "-db", "-f", haproxy_conf(p, upstream_port)], False),
    ]
    runs = {name: [] for name, _, _ in servers}
    try:
        for _ in range(STORM_ROUNDS):
            for name, make, http in servers:
                port = common.free_port()
                server = start(make(port), port)
                try:
                    runs[name].append(run_storm(sockit, server.pid, port, http, seconds))
                finally:
                    serve.stop(server)
    finally:
        serve.stop(upstream)
    results = {name: {
        "answered": sum(r["answered"] for r in rs),
        "lost": sum(r["lost"] for r in rs),
        "median": common.median([t for r in rs for t in r["times"]]),
        "slowest": common.median([r["slowest"] for r in rs]),
        "rounds": [r["slowest"] for r in rs],
        "fd_growth": max(r["fd_growth"] for r in rs),
        "rss_growth": max(r["rss_growth"] for r in rs),
    } for name, rs in runs.items()}

    # Churn: rounds interleaved, each proxy fresh in each, in front of its own C echo server. Every run uses new ports:
    # a run leaves tens of thousands of sockets in TIME-WAIT, and a later run to the same ports would meet them in its
    # connect() port search (whichever proxy ran second was measured against the first one's leftovers).
    churn_rates = {"sockit proxy": [], "haproxy (mode tcp)": []}
    time_wait_drained()
    for i in range(CHURN_ROUNDS):
        # Each goes first in turn: the one that runs second meets the first one's sockets still in TIME-WAIT.
        for name in sorted(churn_rates, reverse=i % 2 == 1):
            upstream_port, port = common.free_port(), common.free_port()
            upstream = start([c_server, str(upstream_port)], upstream_port)
            cmd = ([sockit, "proxy", "127.0.0.1:%d" % port, "127.0.0.1:%d" % upstream_port, *limit] if name == "sockit proxy"
                   else ["haproxy", "-db", "-f", haproxy_conf(port, upstream_port)])
            server = start(cmd, port)
            try:
                churn_rates[name].append(churn(sockit, port))
            finally:
                serve.stop(server)
                serve.stop(upstream)

    pairs = [("sockit serve http-echo", "nginx (one worker)"), ("sockit serve echo", "C epoll echo server"), ("sockit proxy", "haproxy (mode tcp)")]
    for ours, peer in pairs:
        for name in (ours, peer):
            r = results[name]
            rows.append([name, r["answered"], r["lost"], "%.0f ms" % (r["median"] * 1000), "%.0f ms" % (r["slowest"] * 1000),
                         " / ".join("%.0f" % (t * 1000) for t in r["rounds"]), "%+d" % r["fd_growth"], "%.1f MiB" % r["rss_growth"]])
        o, p = results[ours], results[peer]
        answered = o["answered"] / max(p["answered"], 1)
        slowest = o["slowest"] / max(p["slowest"], 1e-9)
        checks.append([ours, "%d" % o["lost"], "%.2f×" % answered, "%.1f×" % slowest, "%+d" % o["fd_growth"], "%.1f MiB" % o["rss_growth"],
                       "met" if o["lost"] == 0 and answered >= 0.9 and slowest <= 3 and o["fd_growth"] <= 0 and o["rss_growth"] <= 64 else "NOT met"])

    print("### hostile clients: a %d-second storm while a well-behaved client probes every 50 ms (%d rounds, servers interleaved)\n" % (seconds, STORM_ROUNDS))
    print("Storm: 800 idle connections, 200 slowloris (a byte every 500 ms), a reset storm (connect then RST, 4 at a time), "
          "garbage (malformed and smuggling HTTP for HTTP servers, random bytes for echo), all from `sockit bench` attack modes. "
          "Probe: a new connection every 50 ms, one request, 5 s allowed. Every server may hold %d connections. "
          "The proxies relay to the same C echo server. Answered and lost: all rounds together; median probe: of all probes; "
          "slowest probe: the median of the rounds' slowest (each round's in ms beside it); descriptors and memory: the "
          "worst round.\n" % LIMIT)
    print(common.table(["server", "probes answered", "lost", "median probe", "slowest probe", "slowest, each round", "descriptors after",
                        "memory growth"], rows))
    print()
    print(common.table(["sockit server", "lost", "answered vs peer", "slowest vs peer", "descriptors after", "memory growth", "targets"], checks))
    print("\nTargets: 0 lost, answered ≥ 0.9× the peer's, slowest ≤ 3× the peer's, descriptors back to where they were, growth ≤ 64 MiB.\n")

    s_rate, s_err = common.median([r for r, _ in churn_rates["sockit proxy"]]), sum(e for _, e in churn_rates["sockit proxy"])
    h_rate, h_err = common.median([r for r, _ in churn_rates["haproxy (mode tcp)"]]), sum(e for _, e in churn_rates["haproxy (mode tcp)"])
    print("### connection churn through the proxy: `sockit bench -m connect -c 8 -d 5s`, median of %d interleaved rounds (each proxy first in turn), a fresh proxy and ports each run\n" % CHURN_ROUNDS)
    print(common.table(["proxy", "connections/s (median)", "each round", "errors (all rounds)"],
                       [[name, "%.0f" % rate, " / ".join("%.0f" % r for r, _ in churn_rates[name]), errors]
                        for name, rate, errors in [("sockit proxy", s_rate, s_err), ("haproxy (mode tcp)", h_rate, h_err)]]))
    print("\nTarget: ≥ haproxy's rate with 0 errors: %.2f×, %d errors, %s.\n" % (s_rate / h_rate, s_err, "met" if s_rate >= h_rate and s_err == 0 else "NOT met"))

    term_rows = []
    upstream_port = common.free_port()
    upstream = start([c_server, str(upstream_port)], upstream_port)
    try:
        for name, make, http in [
            ("sockit serve http-echo", lambda p: [sockit, "serve", "http-echo", "127.0.0.1:%d" % p, *limit, "--drain", "2s"], True),
            ("sockit serve echo", lambda p: [sockit, "serve", "echo", "127.0.0.1:%d" % p, *limit, "--drain", "2s"], False),
            ("sockit proxy", lambda p: [sockit, "proxy", "127.0.0.1:%d" % p, "127.0.0.1:%d" % upstream_port, *limit, "--drain", "2s"], False),
        ]:
            port = common.free_port()
            code, took = sigterm_during_storm(sockit, make(port), port, http, 2)
            term_rows.append([name, code, "%.2f s" % took, "met" if code == 0 and took <= 2.5 else "NOT met"])
    finally:
        serve.stop(upstream)
    print("### SIGTERM three seconds into a storm, with `--drain 2s`\n")
    print(common.table(["server", "exit code", "exit took", "target: 0 within the drain"], term_rows))
    print()
    greedy_section(sockit, c_server, limit)


if __name__ == "__main__":
    main()
