"""sockit proxy against socat, haproxy (tcp mode) and no proxy at all: single-stream throughput and the latency a relay adds to 32-byte round
trips, all against the C echo server of bench/c, with the C load client."""
import os
import subprocess
import sys
import tempfile

import common
import serve


HAPROXY = """global
    maxconn 1000
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend relay
    bind 127.0.0.1:%d
    default_backend echo
backend echo
    server c 127.0.0.1:%d
"""


def main():
    sockit = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    seconds = 3
    c_server, load = serve.build_c()
    echo_port, sockit_port, socat_port, haproxy_port = (common.free_port() for _ in range(4))
    echo = serve.start([c_server, str(echo_port)], echo_port)
    haproxy_config = tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False)
    haproxy_config.write(HAPROXY % (haproxy_port, echo_port))
    haproxy_config.close()
    relays = [
        serve.start([sockit, "proxy", "127.0.0.1:%d" % sockit_port, "127.0.0.1:%d" % echo_port], sockit_port),
        serve.start(["socat", "TCP-LISTEN:%d,bind=127.0.0.1,fork,reuseaddr" % socat_port, "TCP:127.0.0.1:%d" % echo_port], socat_port),
        serve.start(["haproxy", "-db", "-f", haproxy_config.name], haproxy_port),
    ]
    routes = [("no proxy (C echo server directly)", echo_port), ("sockit proxy", sockit_port), ("socat TCP-LISTEN,fork", socat_port),
              ("haproxy 2.6, mode tcp", haproxy_port)]
    stream = {name: [] for name, _ in routes}
    trips = {name: [] for name, _ in routes}
    try:
        for _ in range(rounds):
            for name, port in routes:
                stream[name].append(float(subprocess.run([load, "127.0.0.1", str(port), "1", str(seconds), "65536", "stream"],
                                                          capture_output=True, text=True, timeout=60).stdout))
                trips[name].append(float(subprocess.run([load, "127.0.0.1", str(port), "1", str(seconds), "32", "pingpong"],
                                                         capture_output=True, text=True, timeout=60).stdout))
    finally:
        for relay in relays:
            serve.stop(relay)
        serve.stop(echo)
        os.unlink(haproxy_config.name)
    direct_stream = common.median(stream[routes[0][0]])
    direct_rtt = 1e6 / common.median(trips[routes[0][0]])
    rows = []
    for name, _ in routes:
        s = common.median(stream[name])
        rtt = 1e6 / common.median(trips[name])
        rows.append([name, "%.0f MiB/s" % s, "%.2f×" % (s / direct_stream), "%.1f µs" % rtt, "%+.1f µs" % (rtt - direct_rtt)])
    print("### proxy: one connection through a relay to the C echo server (median of %d interleaved rounds of %d s)\n" % (rounds, seconds))
    print(common.table(["route", "stream, 64 KiB writes", "vs no proxy", "32-byte round trip", "added by the relay"], rows))
    print("\nTargets (issue 5): at least socat's throughput and ≥ 0.7× the direct ceiling; under 100 µs added at the median.")
    print("sockit proxy runs every connection through its fault path (no toxics set), as `sockit proxy` always does.\n")


if __name__ == "__main__":
    main()
