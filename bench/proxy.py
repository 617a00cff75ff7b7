"""sockit proxy against socat, haproxy (tcp mode) and no proxy at all: one-way single-stream throughput with iperf3,
both-ways throughput and the latency a relay adds to 32-byte round trips against the C echo server of bench/c."""
import json
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
frontend relay_iperf
    bind 127.0.0.1:%d
    default_backend iperf
backend iperf
    server i 127.0.0.1:%d
"""


def measure(cmd, route):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    try:
        return float(out.stdout)
    except ValueError:
        raise SystemExit("%s through %s printed %r, stderr %r" % (cmd[-1], route, out.stdout, out.stderr))


def main():
    sockit = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    seconds = 3
    c_server, load = serve.build_c()
    ports = set()
    while len(ports) < 8:
        ports.add(common.free_port())
    echo_port, sockit_port, socat_port, haproxy_port, iperf_port, sockit_iperf, socat_iperf, haproxy_iperf = sorted(ports)
    echo = serve.start([c_server, str(echo_port)], echo_port)
    iperf = serve.start(["iperf3", "-s", "-p", str(iperf_port)], iperf_port)
    haproxy_config = tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False)
    haproxy_config.write(HAPROXY % (haproxy_port, echo_port, haproxy_iperf, iperf_port))
    haproxy_config.close()
    # Each relay listens twice: in front of the echo server, and in front of iperf3.
    relays = []
    for front, back in ((sockit_port, echo_port), (sockit_iperf, iperf_port)):
        relays.append(serve.start([sockit, "proxy", "127.0.0.1:%d" % front, "127.0.0.1:%d" % back], front))
    for front, back in ((socat_port, echo_port), (socat_iperf, iperf_port)):
        relays.append(serve.start(["socat", "TCP-LISTEN:%d,bind=127.0.0.1,fork,reuseaddr" % front, "TCP:127.0.0.1:%d" % back], front))
    relays.append(serve.start(["haproxy", "-db", "-f", haproxy_config.name], haproxy_port))
    routes = [("no proxy", echo_port, iperf_port), ("sockit proxy", sockit_port, sockit_iperf),
              ("socat TCP-LISTEN,fork", socat_port, socat_iperf), ("haproxy 2.6, mode tcp", haproxy_port, haproxy_iperf)]
    oneway = {name: [] for name, _, _ in routes}
    stream = {name: [] for name, _, _ in routes}
    trips = {name: [] for name, _, _ in routes}
    try:
        for _ in range(rounds):
            for name, port, iperf_front in routes:
                report = json.loads(subprocess.run(["iperf3", "-c", "127.0.0.1", "-p", str(iperf_front), "-t", str(seconds), "-J"],
                                                   capture_output=True, text=True, timeout=60).stdout)
                oneway[name].append(report["end"]["sum_received"]["bits_per_second"] / 8 / 2**20)
                stream[name].append(measure([load, "127.0.0.1", str(port), "1", str(seconds), "65536", "stream"], name))
                trips[name].append(measure([load, "127.0.0.1", str(port), "1", str(seconds), "32", "pingpong"], name))
    finally:
        for relay in relays:
            serve.stop(relay)
        serve.stop(iperf)
        serve.stop(echo)
        os.unlink(haproxy_config.name)
    direct_oneway = common.median(oneway["no proxy"])
    direct_stream = common.median(stream["no proxy"])
    direct_rtt = 1e6 / common.median(trips["no proxy"])
    rows = []
    for name, _, _ in routes:
        o = common.median(oneway[name])
        s = common.median(stream[name])
        rtt = 1e6 / common.median(trips[name])
        rows.append([name, "%.0f MiB/s" % o, "%.2f×" % (o / direct_oneway), "%.0f MiB/s" % s, "%.2f×" % (s / direct_stream),
                     "%.1f µs" % rtt, "%+.1f µs" % (rtt - direct_rtt)])
    print("### proxy: one connection through a relay (median of %d interleaved rounds of %d s)\n" % (rounds, seconds))
    print(common.table(["route", "iperf3 one way", "vs no proxy", "both ways at once (C echo)", "vs no proxy",
                        "32-byte round trip", "added by the relay"], rows))
    ours = common.median(oneway["sockit proxy"])
    added = 1e6 / common.median(trips["sockit proxy"]) - direct_rtt
    met = ours >= common.median(oneway["socat TCP-LISTEN,fork"]) and ours >= 0.9 * direct_oneway and added < 100
    print("\nTargets (issue 5, raised by issue 12): at least socat's throughput and ≥ 0.9× the direct ceiling (iperf3 one way, as the issues name it);")
    print("under 100 µs added at the median: %s." % ("met" if met else "NOT met"))
    print("\"Both ways at once\" pushes full rate in each direction through the relay, so the")
    print("relay, the echo server and the load client share the 2 cores; it is shown for completeness.")
    print("sockit proxy runs every connection through its fault path (no toxics set), as `sockit proxy` always does.\n")


if __name__ == "__main__":
    main()
