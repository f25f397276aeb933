#!/usr/bin/env python3
"""One address floods a fresh `uurwerk serve` with reads while another client probes its health.

Usage: python3 ops/quota_flood.py build/uurwerk [SERVE FLAGS...]
e.g. with the default quotas, then with `--quota-reads-per-address off` to compare. Prints what
the flooder got (by status) and the other client's statuses and latency; the flooder's 200s
should be the burst plus the refill over the run (200 + 50 a second by default).
"""
import http.client
import subprocess
import sys
import tempfile
import threading
import time

SECONDS = 5
FLOODERS = 8


def main():
    program, *extra = sys.argv[1:]
    with tempfile.TemporaryDirectory() as data:
        server = subprocess.Popen([program, "serve", "--data", data, "--listen", "127.0.0.1:0"] + extra,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        port = None
        for line in server.stdout:
            if "listening on http://127.0.0.1:" in line:
                port = int(line.rsplit(":", 1)[1])
                break
        stop = time.time() + SECONDS
        flood, probe, latencies = {}, {}, []
        lock = threading.Lock()

        def flooder():
            c = http.client.HTTPConnection("127.0.0.1", port, source_address=("127.0.0.1", 0))
            while time.time() < stop:
                c.request("GET", "/v1/health")
                r = c.getresponse()
                r.read()
                with lock:
                    flood[r.status] = flood.get(r.status, 0) + 1

        threads = [threading.Thread(target=flooder) for _ in range(FLOODERS)]
        for t in threads:
            t.start()
        while time.time() < stop:
            c = http.client.HTTPConnection("127.0.0.1", port, source_address=("127.0.0.2", 0))
            t0 = time.perf_counter()
            c.request("GET", "/v1/health")
            r = c.getresponse()
            r.read()
            latencies.append((time.perf_counter() - t0) * 1000)
            probe[r.status] = probe.get(r.status, 0) + 1
            c.close()
            time.sleep(0.05)
        for t in threads:
            t.join()
        server.terminate()
        server.wait()
    latencies.sort()
    print(f"flooder (127.0.0.1, {FLOODERS} kept-alive connections, {SECONDS} s): {flood}, "
          f"{sum(flood.values()) / SECONDS:.0f} answers/s")
    print(f"other client (127.0.0.2, a probe every 50 ms): {probe}, "
          f"p50 {latencies[len(latencies) // 2]:.2f} ms, max {latencies[-1]:.2f} ms")


if __name__ == "__main__":
    main()
