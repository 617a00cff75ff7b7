"""sockit connect -> sockit listen against nc -> nc -l: 1 GiB piped through loopback, and start-up time."""
import subprocess
import sys
import time

import common

SIZE = 1 << 30


def transfer(server_cmd, client_cmd, data):
    """Seconds from starting the server to both ends finishing, with the data piped in and out through cat, as in a shell pipeline."""
    start = time.monotonic()
    server = subprocess.Popen(server_cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    sink = subprocess.Popen(["cat"], stdin=server.stdout, stdout=subprocess.DEVNULL)
    server.stdout.close()
    try:
        common.wait_listening(int(server_cmd[-1].split(":")[-1]) if ":" in server_cmd[-1] else int(server_cmd[-1]))
        cat = subprocess.Popen(["cat", data], stdout=subprocess.PIPE)
        client = subprocess.Popen(client_cmd, stdin=cat.stdout, stdout=subprocess.DEVNULL)
        cat.stdout.close()
        client.wait(timeout=120)
        cat.wait(timeout=120)
        server.wait(timeout=120)
        sink.wait(timeout=120)
    finally:
        server.kill()
    if client.returncode != 0 or server.returncode != 0:
        raise RuntimeError("transfer failed: %s exit %d, %s exit %d" % (client_cmd[0], client.returncode, server_cmd[0], server.returncode))
    return time.monotonic() - start


def startup(cmd, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        # No timeout here: with one, Python polls waitpid() with growing sleeps, which added ~15 ms to a 17 ms start.
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return common.median(times)


def main():
    sockit = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    # Start-up first, on a quiet machine: right after the gigabyte transfers the page cache is still writing back.
    up_sockit = startup([sockit, "--version"], 30)
    up_nc = startup(["nc", "-h"], 30)
    data = common.random_file(SIZE, "random-1g.bin")
    tools = {
        "sockit": lambda p: ([sockit, "listen", "127.0.0.1:%d" % p], [sockit, "connect", "127.0.0.1:%d" % p]),
        "nc": lambda p: (["nc", "-l", "127.0.0.1", str(p)], ["nc", "-N", "127.0.0.1", str(p)]),
    }
    results = {name: [] for name in tools}
    for _ in range(rounds):  # interleaved, so both see the same machine state
        for name, make in tools.items():
            server, client = make(common.free_port())
            results[name].append(transfer(server, client, data))
    sockit_s, nc_s = common.median(results["sockit"]), common.median(results["nc"])
    mib = SIZE / (1 << 20)
    rows = [
        ["sockit connect → sockit listen", "%.0f ms" % (sockit_s * 1000), "%.0f MiB/s" % (mib / sockit_s), "%.2f×" % (nc_s / sockit_s)],
        ["nc -N → nc -l", "%.0f ms" % (nc_s * 1000), "%.0f MiB/s" % (mib / nc_s), "1.00×"],
    ]
    print("### connect / listen: 1 GiB of random bytes, cat | client → server | cat, over loopback (median of %d rounds)\n" % rounds)
    print(common.table(["pipeline", "time", "throughput", "speed vs nc"], rows))
    print("\nTarget: throughput at least nc's (ratio ≥ 1.00×).\n")
    print("### start-up (median of 30 runs)\n")
    print(common.table(["command", "time"], [["sockit --version (Native AOT)", "%.1f ms" % (up_sockit * 1000)], ["nc -h", "%.1f ms" % (up_nc * 1000)]]))
    print("\nTarget: AOT start-up under 30 ms.\n")


if __name__ == "__main__":
    main()
