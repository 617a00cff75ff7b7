"""sockit connect -> sockit listen against nc -> nc -l: 1 GiB piped through loopback."""
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


def main():
    sockit = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
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


if __name__ == "__main__":
    main()
