"""sockit mock against mountebank 2.9.1: replies per second of the same tcp and http imposters, made through the same
API call, driven by one client program: sockit bench, the same for both, once with one connection (a request at a
time: the loopback round trip bounds it) and once with CONNECTIONS (what the server can answer). Also the memory each
holds after recording REQUESTS requests (recordRequests)."""
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
TCP = {"protocol": "tcp", "stubs": [{"predicates": [{"startsWith": {"data": "PING"}}], "responses": [{"is": {"data": "PONG\n"}}]}]}
HTTP = {"protocol": "http", "stubs": [{"predicates": [{"equals": {"method": "GET", "path": "/ping"}}],
                                       "responses": [{"is": {"statusCode": 200, "headers": {"Connection": "keep-alive", "Content-Length": 4},
                                                             "body": "pong"}}]}]}


def create(api, imposter, port):
    body = json.dumps(dict(imposter, port=port)).encode()
    request = urllib.request.Request("http://127.0.0.1:%d/imposters" % api, data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201, response.read()


def bench_rate(sockit, target, connections, seconds, extra):
    out = subprocess.run([sockit, "bench", target, "-c", str(connections), "-d", "%gs" % seconds, "--json"] + extra,
                         capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode != 0:
        raise SystemExit("sockit bench against %s failed: %s" % (target, out.stderr.strip().splitlines()[-1:]))
    return json.loads(out.stdout)["requestsPerSecond"]


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
    mock = serve.start([sockit, "mock", "--api", "127.0.0.1:%d" % sockit_api, "--quiet", "--max-requests", str(requests)], sockit_api)
    try:
        rows = []
        loads = (("tcp", TCP, lambda port: "127.0.0.1:%d" % port, ["--msg", "PING\\n", "--reply-delimiter", "\\n"]),
                 ("http", HTTP, lambda port: "http://127.0.0.1:%d/ping" % port, []))
        for name, imposter, target, extra in loads:
            ports = []
            for api in (mb_api, sockit_api):
                port = common.free_port()
                create(api, imposter, port)
                bench_rate(sockit, target(port), 1, 0.5, extra)  # warm up
                ports.append(port)
            for connections in (1, CONNECTIONS):
                figures = [bench_rate(sockit, target(port), connections, seconds, extra) for port in ports]
                rows.append(("%s imposter, replies/s, %d connection%s" % (name, connections, "" if connections == 1 else "s"),
                             "%.0f" % figures[0], "%.0f" % figures[1], "%.1f×" % (figures[1] / figures[0])))
        # The ceiling on this machine: the same client against sockit's plain echo server, which does no matching at all.
        echo_port = common.free_port()
        echo = serve.start([sockit, "serve", "echo", "127.0.0.1:%d" % echo_port], echo_port)
        try:
            ceiling = bench_rate(sockit, "127.0.0.1:%d" % echo_port, CONNECTIONS, seconds, loads[0][3])
        finally:
            serve.stop(echo)
        rows.append(("ceiling: sockit serve echo, same client, %d connections" % CONNECTIONS, "", "%.0f" % ceiling, ""))
        recorded = [recorded_memory(sockit, api, process.pid, requests) for api, process in ((mb_api, mb), (sockit_api, mock))]
        rows.append(("tcp imposter recording every request, replies/s, 4 connections", "%.0f" % recorded[0][1], "%.0f" % recorded[1][1],
                     "%.1f×" % (recorded[1][1] / recorded[0][1])))
        rows.append(("RSS after %d recorded requests, MiB" % requests, "%.0f" % recorded[0][0], "%.0f" % recorded[1][0],
                     "%.1f× less" % (recorded[0][0] / recorded[1][0])))
    finally:
        serve.stop(mb)
        serve.stop(mock)
    print("## sockit mock vs mountebank 2.9.1\n")
    print("One client program (`sockit bench`, the same for both), %g s per figure; the same imposters made through the same API call. "
          "With one connection a request waits for the reply before the next, so the loopback round trip bounds both; "
          "with %d the figure is what the server can answer.\n" % (seconds, CONNECTIONS))
    print(common.table(["", "mountebank", "sockit mock", "sockit vs mb"], rows))
    print()


if __name__ == "__main__":
    main()
