#!/usr/bin/env python3
"""Holds many idle (and optionally slowloris) connections against a running uurwerk server and
reports its memory and threads, and health-probe latency while they are held. Used by
ops/bench-connections.sh, which starts the server; the last line of stdout is JSON.

Idle sockets come from 127.10.0.1 onwards, `--per-address` to an address (the server's limit
per client address is 256); slowloris sockets from 127.20.0.1 onwards, each sending its request line byte by
byte, one byte every `--drip` seconds; the probes each on a new connection from an address of its
own in 127.30.0.0/16 (from one address, the server's read quota of 50 a second, burst 200, would
answer most of a thousand probes 429: a figure of the quota, not of the connections)."""
import argparse, http.client, json, os, socket, statistics, sys, threading, time


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return int(out["VmRSS"].split()[0]), int(out["Threads"])


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def probe(port, source):
    t0 = time.perf_counter()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
        c.request("GET", "/v1/health")
        r = c.getresponse()
        r.read()
        c.close()
        ok = r.status == 200
    except OSError:
        ok = False
    return (time.perf_counter() - t0) * 1000, ok


def probes(port, n):
    ms, failed = [], 0
    for k in range(n):
        t, ok = probe(port, address(30, k))
        ms.append(t)
        failed += not ok
    ms.sort()
    return {"p50_ms": round(statistics.median(ms), 3),
            "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 3),
            "max_ms": round(ms[-1], 3), "failed": failed, "probes": n}


def address(net, k):
    """The k-th client address of 127.net.0.0/16."""
    return "127.%d.%d.%d" % (net, k // 250, k % 250 + 1)


def connect(port, source):
    s = socket.socket()
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--pid", type=int, required=True)
    a.add_argument("--port", type=int, required=True)
    a.add_argument("--connections", type=int, default=10000)
    a.add_argument("--slowloris", type=int, default=0)
    a.add_argument("--per-address", type=int, default=250)
    a.add_argument("--probes", type=int, default=1000)
    a.add_argument("--drip", type=float, default=10.0)
    o = a.parse_args()

    before_rss, before_threads = status(o.pid)
    before_fds = fds(o.pid)
    idle_probes = probes(o.port, min(o.probes, 200))
    held = []
    t0 = time.time()
    for i in range(o.connections):
        held.append(connect(o.port, address(10, i // o.per_address)))
    slow = []
    for i in range(o.slowloris):
        s = connect(o.port, address(20, i // o.per_address))
        slow.append(s)
    opened_s = time.time() - t0
    # Wait until the server holds them (its file descriptors), at most 20 s.
    want = before_fds + o.connections + o.slowloris
    until = time.time() + 20
    while fds(o.pid) < want and time.time() < until:
        time.sleep(0.1)
    time.sleep(0.5)
    held_fds = fds(o.pid) - before_fds
    after_rss, after_threads = status(o.pid)
    stop = threading.Event()
    line = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n"
    cut = [0]

    def drip():
        k = 0
        while not stop.is_set():
            for s in slow:
                try:
                    s.send(line[k % len(line):k % len(line) + 1])
                except OSError:
                    cut[0] += 1
            k += 1
            stop.wait(o.drip)

    dripper = threading.Thread(target=drip)
    dripper.start()
    held_probes = probes(o.port, o.probes)
    stop.set()
    dripper.join()
    still_open = 0
    for s in held:
        s.setblocking(False)
        try:
            s.recv(1)  # b"": the server closed it
        except BlockingIOError:
            still_open += 1
        except OSError:
            pass
    n = max(1, o.connections + o.slowloris)
    result = {
        "connections": o.connections, "slowloris": o.slowloris, "opened_in_s": round(opened_s, 2),
        "server_fds_added": held_fds, "idle_still_open": still_open,
        "rss_before_kib": before_rss, "rss_held_kib": after_rss,
        "rss_per_connection_kib": round((after_rss - before_rss) / n, 2),
        "threads_before": before_threads, "threads_held": after_threads,
        "probe_before": idle_probes, "probe_held": held_probes,
    }
    for s in held + slow:
        s.close()
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
