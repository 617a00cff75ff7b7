"""sockit mock against mountebank 2.9.1: replies per second of the same tcp and http imposters, made through the same
API call, driven by one client program per protocol, the same for both servers: the C load client (bench/c/echo_load,
epoll, one thread: "PING\\n" out, the 5-byte reply back) for tcp, and wrk (one thread) for http. Once with one
connection (a request at a time: the loopback round trip bounds it) and once with CONNECTIONS (what the server can
answer); medians of interleaved rounds. Also the memory each holds after recording REQUESTS requests (recordRequests),
sent by sockit bench."""
import subprocess
import json
import os
import sys
import tempfile
import time
import urllib.request

import common
import serve

CONNECTIONS = 32
ROUNDS = 3
TCP = {"protocol": "tcp", "stubs": [{"predicates": [{"startsWith": {"data": "PING"}}], "responses": [{"is": {"data": "PONG\n"}}]}]}
HTTP = {"protocol": "http", "stubs": [{"predicates": [{"equals": {"method": "GET", "path": "/ping"}}],
                                       "responses": [{"is": {"statusCode": 200, "headers": {"Connection": "keep-alive", "Content-Length": 4},
                                                             "body": "pong"}}]}]}


def create(api, imposter, port):
    body = json.dumps(dict(imposter, port=port)).encode()
    request = urllib.request.Request("http://127.0.0.1:%d/imposters" % api, data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201, response.read()


def tcp_rate(load, port, connections, seconds):
    out = subprocess.run([load, "127.0.0.1", str(port), str(connections), "%g" % seconds, "5", "pingpong", "PING\n"],
                         capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode != 0:
        raise SystemExit("echo_load against port %d failed: %s" % (port, out.stderr.strip()))
    return float(out.stdout)


def http_rate(port, connections, seconds):
    return serve.wrk("http://127.0.0.1:%d/ping" % port, seconds, threads=1, connections=connections)


def recorded_memory(sockit, api, pid, requests):
    """RSS after REQUESTS recorded requests, sent by sockit bench over 4 connections; and how fast they were recorded."""
    port = common.free_port()
    create(api, dict(TCP, recordRequests=True), port)
    out = subprocess.run([sockit, "bench", "127.0.0.1:%d" % port, "--msg", "PING\\n", "--reply-delimiter", "\\n", "-c", "4",
                          "-n", str(requests), "--json"], capture_output=True, text=True, timeout=1800)
    result = json.loads(out.stdout)
    if result["requests"] != requests:
        raise SystemExit("recording: %d of %d requests answered: %s" % (result["requests"], requests, result["errors"]))
    return serve.rss_kib(pid) / 1024, result["requestsPerSecond"]


def main():
    sockit = os.path.abspath(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3
    requests = int(sys.argv[3]) if len(sys.argv) > 3 else 1000000
    logs = tempfile.mkdtemp(prefix="bench-mb-")
    mb_api, sockit_api = common.free_port(), common.free_port()
    mb = serve.start(["mb", "start", "--port", str(mb_api), "--host", "127.0.0.1", "--logfile", os.path.join(logs, "mb.log"),
                      "--pidfile", os.path.join(logs, "mb.pid"), "--loglevel", "warn"], mb_api)
    # Its request log is bounded (100,000 by default); here it keeps them all, as mountebank does.
    mock = serve.start([sockit, "mock", "--api", "127.0.0.1:%d" % sockit_api, "--quiet", "--max-requests", str(requests),
                         "--max-recorded", "16GiB"], sockit_api)  # keep every request, as mountebank does
    try:
        rows = []
        _, load = serve.build_c()
        loads = (("tcp", TCP, lambda port, c, t: tcp_rate(load, port, c, t)), ("http", HTTP, http_rate))
        for name, imposter, rate in loads:
            ports = []
            for api in (mb_api, sockit_api):
                port = common.free_port()
                create(api, imposter, port)
                rate(port, CONNECTIONS, 0.5)  # warm up
                ports.append(port)
            for connections in (1, CONNECTIONS):
                figures = [[], []]
                for _ in range(ROUNDS):  # interleaved, so both see the same machine
                    for i, port in enumerate(ports):
                        figures[i].append(rate(port, connections, seconds))
                mb_rate, ours = common.median(figures[0]), common.median(figures[1])
                rows.append(("%s imposter, replies/s, %d connection%s" % (name, connections, "" if connections == 1 else "s"),
                             "%.0f" % mb_rate, "%.0f" % ours, "%.1f×" % (ours / mb_rate)))
        # The ceiling on this machine: the same client against sockit's plain echo server, which does no matching at all.
        echo_port = common.free_port()
        echo = serve.start([sockit, "serve", "echo", "127.0.0.1:%d" % echo_port], echo_port)
        try:
            ceilings = [tcp_rate(load, echo_port, connections, seconds) for connections in (1, CONNECTIONS)]
        finally:
            serve.stop(echo)
        rows.append(("ceiling: sockit serve echo, same tcp client, 1 connection (the round trip)", "", "%.0f" % ceilings[0], ""))
        rows.append(("ceiling: sockit serve echo, same tcp client, %d connections" % CONNECTIONS, "", "%.0f" % ceilings[1], ""))
        recorded = [recorded_memory(sockit, api, process.pid, requests) for api, process in ((mb_api, mb), (sockit_api, mock))]
        rows.append(("tcp imposter recording every request, replies/s, 4 connections", "%.0f" % recorded[0][1], "%.0f" % recorded[1][1],
                     "%.1f×" % (recorded[1][1] / recorded[0][1])))
        rows.append(("RSS after %d recorded requests, MiB" % requests, "%.0f" % recorded[0][0], "%.0f" % recorded[1][0],
                     "%.1f× less" % (recorded[0][0] / recorded[1][0])))
    finally:
        serve.stop(mb)
        serve.stop(mock)
    print("## sockit mock vs mountebank 2.9.1\n")
    print("The same client for both: the C load client (bench/c/echo_load, one thread) for tcp, `wrk -t1` for http; the same "
          "imposters made through the same API call; medians of %d interleaved rounds of %g s. With one connection a request "
          "waits for the reply before the next, so the loopback round trip bounds both; with %d the figure is what the server "
          "can answer. Target (issue 14): ≥ 5× mountebank, goal 10×, for what a server can answer (%d connections); with one "
          "connection sockit is at the round trip's ceiling (the echo server's row) and no server can be 5× there. The "
          "recording rows use `sockit bench -c 4 -n N`.\n"
          % (ROUNDS, seconds, CONNECTIONS, CONNECTIONS))
    print(common.table(["", "mountebank", "sockit mock", "sockit vs mb"], rows))
    print()


if __name__ == "__main__":
    main()
