"""TLS side by side in one run, all with the same ECDSA P-256 certificate (made by `sockit cert`):

1. Full handshakes per second from one client (`openssl s_time -new`, no resumption) against `sockit serve echo tls://`,
   haproxy (`bind ... ssl crt`) and nginx (`stream { server { listen ... ssl; } }`).
2. Bulk throughput through a terminating proxy (TLS in, plain out to the C echo server): `sockit proxy tls://` vs haproxy,
   one client (`sockit bench -m stream`, which sends and reads the echo back at once).
3. Proof of integrity: 256 MiB of random bytes from Python's ssl module through a terminating and a re-encrypting
   sockit proxy to an echo and back, compared by SHA-256.

Usage: python3 bench/tls.py SOCKIT [ROUNDS] [SECONDS]"""
import hashlib
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time

import common
import serve

TARGET_HANDSHAKES = 0.8  # of the faster peer
TARGET_THROUGHPUT = 1.0  # of haproxy
INTEGRITY_BYTES = 256 << 20


def certificates(sockit):
    directory = os.path.join(common.OUT, "tls")
    subprocess.run([sockit, "cert", "localhost", "127.0.0.1", "--out", directory], check=True, stderr=subprocess.DEVNULL)
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    combined = os.path.join(directory, "haproxy.pem")  # haproxy takes the certificate and its key in one file
    with open(combined, "w") as out:
        for part in (cert, key):
            with open(part) as f:
                out.write(f.read())
    return directory, cert, key, combined


def haproxy_conf(directory, port, combined, upstream=None):
    path = os.path.join(directory, "haproxy-%d.cfg" % port)
    with open(path, "w") as f:
        if upstream is None:
            # Handshakes only: mode http answers nothing until a request comes, so no backend connection is made.
            f.write("""global
  maxconn 4096
  tune.ssl.default-dh-param 2048
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend front
  bind 127.0.0.1:%d ssl crt %s
  http-request return status 200
""" % (port, combined))
        else:
            f.write("""global
  maxconn 4096
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend front
  bind 127.0.0.1:%d ssl crt %s
  default_backend back
backend back
  server echo 127.0.0.1:%d
""" % (port, combined, upstream))
    return path


def nginx_conf(directory, port, cert, key):
    work = os.path.join(directory, "nginx-%d" % port)
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "nginx.conf")
    with open(path, "w") as f:
        f.write("""load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1; daemon off; master_process off; pid %(w)s/nginx.pid; error_log %(w)s/error.log;
events { worker_connections 4096; }
stream {
  server { listen 127.0.0.1:%(port)d ssl; ssl_certificate %(cert)s; ssl_certificate_key %(key)s; ssl_session_cache off; ssl_session_tickets off; return ""; }
}
""" % {"w": work, "port": port, "cert": cert, "key": key})
    return path


def s_time(port, seconds):
    """Full handshakes per second that openssl s_time -new manages against the port."""
    out = subprocess.run(["openssl", "s_time", "-connect", "127.0.0.1:%d" % port, "-new", "-time", str(seconds)],
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    match = re.search(r"(\d+) connections in ([\d.]+) real seconds", out)
    if not match:
        raise RuntimeError("openssl s_time gave no figure: %s" % out[-300:])
    return int(match.group(1)) / float(match.group(2))


def stream(sockit, port, seconds):
    """MiB/s each way that `sockit bench -m stream` moves through the port (TLS, any certificate)."""
    out = subprocess.run([sockit, "bench", "tls://127.0.0.1:%d" % port, "-k", "-m", "stream", "-d", "%ds" % seconds, "--json"],
                         capture_output=True, text=True, timeout=seconds + 30)
    result = json.loads(out.stdout)
    return result["sentPerSecond"] / 1048576.0, result["receivedPerSecond"] / 1048576.0


def integrity(port, ca, size):
    """Sends SIZE random bytes over TLS while reading the echo back; returns (same sha256, seconds)."""
    context = ssl.create_default_context(cafile=ca)
    sent, received = hashlib.sha256(), hashlib.sha256()
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as raw, context.wrap_socket(raw, server_hostname="localhost") as tls:
        def send():
            left = size
            while left:
                chunk = os.urandom(min(left, 1 << 20))
                sent.update(chunk)
                tls.sendall(chunk)
                left -= len(chunk)
        sender = threading.Thread(target=send)
        sender.start()
        got = 0
        while got < size:
            chunk = tls.recv(1 << 18)
            if not chunk:
                break
            received.update(chunk)
            got += len(chunk)
        sender.join()
    return got == size and sent.digest() == received.digest(), time.perf_counter() - started


def main():
    sockit = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    directory, cert, key, combined = certificates(sockit)
    c_server, _ = serve.build_c()
    with_nginx = os.path.exists("/usr/lib/nginx/modules/ngx_stream_module.so")

    # 1. handshakes per second, interleaved rounds
    servers = {}
    port = common.free_port()
    servers["sockit serve echo tls://"] = (serve.start([sockit, "serve", "echo", "tls://127.0.0.1:%d" % port, "--cert", cert, "--key", key], port), port)
    port = common.free_port()
    servers["haproxy, bind ssl crt"] = (serve.start(["haproxy", "-db", "-f", haproxy_conf(directory, port, combined)], port), port)
    if with_nginx:
        port = common.free_port()
        servers["nginx, stream listen ssl"] = (serve.start(["nginx", "-c", nginx_conf(directory, port, cert, key)], port), port)
    rates = {name: [] for name in servers}
    try:
        for _ in range(rounds):
            for name, (_, p) in servers.items():
                rates[name].append(s_time(p, seconds))
    finally:
        for process, _ in servers.values():
            serve.stop(process)
    medians = {name: common.median(values) for name, values in rates.items()}
    ours = medians["sockit serve echo tls://"]
    best_peer = max(v for n, v in medians.items() if not n.startswith("sockit"))
    print("### TLS handshakes per second: one client, `openssl s_time -new -time %d` (full handshakes, no resumption), %d rounds\n" % (seconds, rounds))
    print("Every server has the same ECDSA P-256 certificate from `sockit cert`; haproxy uses its default threads, nginx one worker.%s\n"
          % ("" if with_nginx else " nginx's stream module is not installed here (libnginx-mod-stream), so nginx is left out."))
    print(common.table(["server", "handshakes/s"], [[n, "%.0f" % v] for n, v in medians.items()]))
    print("\nTarget: ≥ %.1f× the faster peer: %.2f×, %s.\n" % (TARGET_HANDSHAKES, ours / best_peer, "met" if ours >= TARGET_HANDSHAKES * best_peer else "NOT met"))

    # 2. bulk throughput through a terminating proxy
    echo_port = common.free_port()
    echo = serve.start([c_server, str(echo_port)], echo_port)
    proxies = {}
    try:
        port = common.free_port()
        proxies["sockit proxy tls:// → plain"] = (serve.start([sockit, "proxy", "tls://127.0.0.1:%d" % port, "127.0.0.1:%d" % echo_port, "--cert", cert, "--key", key], port), port)
        port = common.free_port()
        proxies["haproxy ssl crt → plain"] = (serve.start(["haproxy", "-db", "-f", haproxy_conf(directory, port, combined, echo_port)], port), port)
        throughput = {name: [] for name in proxies}
        try:
            for _ in range(rounds):
                for name, (_, p) in proxies.items():
                    throughput[name].append(stream(sockit, p, seconds))
        finally:
            for process, _ in proxies.values():
                serve.stop(process)
    finally:
        serve.stop(echo)
    rows = []
    for name, values in throughput.items():
        rows.append([name, "%.0f MiB/s" % common.median([v[0] for v in values]), "%.0f MiB/s" % common.median([v[1] for v in values])])
    ours = common.median([v[1] for v in throughput["sockit proxy tls:// → plain"]])
    theirs = common.median([v[1] for v in throughput["haproxy ssl crt → plain"]])
    print("### bulk throughput through a terminating proxy: `sockit bench -m stream -d %ds` over TLS to the C echo server behind it, %d rounds\n" % (seconds, rounds))
    print(common.table(["proxy", "sent", "received back"], rows))
    print("\nTarget: ≥ %.1f× haproxy: %.2f×, %s.\n" % (TARGET_THROUGHPUT, ours / theirs, "met" if ours >= TARGET_THROUGHPUT * theirs else "NOT met"))

    # 3. 256 MiB with sha256 through a terminating and a re-encrypting proxy
    echo_port = common.free_port()
    echo = serve.start([c_server, str(echo_port)], echo_port)
    tls_echo_port = common.free_port()
    tls_echo = serve.start([sockit, "serve", "echo", "tls://127.0.0.1:%d" % tls_echo_port, "--cert", cert, "--key", key], tls_echo_port)
    rows = []
    try:
        for name, upstream, extra in [("terminating (tls:// → plain echo)", "127.0.0.1:%d" % echo_port, []),
                                      ("re-encrypting (tls:// → tls:// echo)", "tls://127.0.0.1:%d" % tls_echo_port, ["--upstream-ca", os.path.join(directory, "ca.pem")])]:
            port = common.free_port()
            proxy = serve.start([sockit, "proxy", "tls://127.0.0.1:%d" % port, upstream, "--cert", cert, "--key", key, *extra], port)
            try:
                same, took = integrity(port, os.path.join(directory, "ca.pem"), INTEGRITY_BYTES)
            finally:
                serve.stop(proxy)
            rows.append([name, "%d MiB" % (INTEGRITY_BYTES >> 20), "same" if same else "DIFFERENT", "%.2f s" % took])
    finally:
        serve.stop(tls_echo)
        serve.stop(echo)
    print("### integrity: random bytes from Python's ssl module through a sockit proxy to an echo and back, compared by SHA-256\n")
    print(common.table(["proxy", "each way", "sha256", "took"], rows))
    print()


if __name__ == "__main__":
    main()
