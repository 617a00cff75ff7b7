"""sockit mock against mountebank 2.9.1: replies per second of the same tcp and http imposters, made through the same
API call, driven by one client program: sockit bench, the same for both, once with one connection (a request at a
time: the loopback round trip bounds it) and once with CONNECTIONS (what the server can answer). Also the memory each
holds after recording REQUESTS requests (recordRequests)."""
import subprocess
import json
import os
import socket
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
HTTP_REQUEST = b"GET /ping HTTP/1.1\r\nHost: bench\r\n\r\n"


def create(api, imposter, port):
    body = json.dumps(dict(imposter, port=port)).encode()
    request = urllib.request.Request("http://127.0.0.1:%d/imposters" % api, data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201, response.read()


def tcp_rate(port, seconds):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        count, end = 0, time.monotonic() + seconds
        while time.monotonic() < end:
            s.sendall(b"PING\n")
            if s.recv(64) != b"PONG\n":
                raise SystemExit("tcp imposter on %d answered something else" % port)
            count += 1
    return count / seconds


def http_rate(port, seconds):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        count, end = 0, time.monotonic() + seconds
        while time.monotonic() < end:
            s.sendall(HTTP_REQUEST)
            reply = b""
            while not reply.endswith(b"\r\n\r\npong"):
                chunk = s.recv(4096)
                if not chunk:
                    raise SystemExit("http imposter on %d closed the connection" % port)
                reply += chunk
            count += 1
    return count / seconds


def bench_rate(sockit, target, connections, seconds, extra):
    out = subprocess.run([sockit, "bench", target, "-c", str(connections), "-d", "%gs" % seconds, "--json"] + extra,
                         capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode != 0:
        raise SystemExit("sockit bench against %s failed: %s" % (target, out.stderr.strip().splitlines()[-1:]))
    return json.loads(out.stdout)["requestsPerSecond"]


def recorded_memory(api, pid, requests):
    port = common.free_port()
    create(api, dict(TCP, recordRequests=True), port)
    with socket.create_connection(("127.0.0.1", port)) as s:
        for _ in range(requests):
            s.sendall(b"PING\n")
            s.recv(64)
    return serve.rss_kib(pid) / 1024


def main():
    sockit = os.path.abspath(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3
    requests = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    logs = tempfile.mkdtemp(prefix="bench-mb-")
    mb_api, sockit_api = common.free_port(), common.free_port()
    mb = serve.start(["mb", "start", "--port", str(mb_api), "--host", "127.0.0.1", "--logfile", os.path.join(logs, "mb.log"),
                      "--pidfile", os.path.join(logs, "mb.pid"), "--loglevel", "warn"], mb_api)
    mock = serve.start([sockit, "mock", "--api", "127.0.0.1:%d" % sockit_api, "--quiet"], sockit_api)
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
        memory = [recorded_memory(api, process.pid, requests) for api, process in ((mb_api, mb), (sockit_api, mock))]
        rows.append(("RSS after %d recorded requests, MiB" % requests, "%.0f" % memory[0], "%.0f" % memory[1], "%.1f× less" % (memory[0] / memory[1])))
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
