"""Cost of the pool's observer hook: ``python -m benchmarks.observer_cost [--ops N]``.

Times a checkout + release (``get_connection()``/``release()`` of a connected
connection) and a whole ``GET`` on one thread, against a redis-server of its
own, with: nothing on (the hook is ``None``), Prometheus metrics in one
process, metrics in multi-process mode (``PROMETHEUS_MULTIPROC_DIR``), leak
warnings (``leak_warning_seconds``), and both. Each mode runs in a fresh
interpreter (multi-process mode is chosen when prometheus_client is imported);
each figure is the median of 7 rounds. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import timeit

MODES = ("off", "metrics", "metrics-multiprocess", "leaks", "metrics+leaks")


def measure(url: str, mode: str, ops: int) -> dict[str, float]:
    """In this (fresh) process: ns per checkout+release and per GET, for ``mode``."""
    import redis_pool_integrations as rpi

    config: dict[str, object] = {"url": url, "max_connections": 4}
    if "leaks" in mode:
        config["leak_warning_seconds"] = 60
    registry = rpi.PoolRegistry({"default": config})
    if "metrics" in mode:
        from redis_pool_integrations import prometheus

        prometheus.enable()
    pool = registry.get_pool()
    client = registry.get_redis()
    client.set("k", "v")

    def checkout() -> None:
        pool.release(pool.get_connection())

    def get() -> None:
        client.get("k")

    result = {}
    for name, fn in (("checkout_ns", checkout), ("get_ns", get)):
        timeit.timeit(fn, number=ops // 10)  # warm-up
        rounds = [timeit.timeit(fn, number=ops) / ops * 1e9 for _ in range(7)]
        result[name] = statistics.median(rounds)
    registry.close_all()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=20_000)
    parser.add_argument("--measure", nargs=2, metavar=("URL", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure, args.ops)))
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        print("| mode | checkout + release (ns) | GET (ns) |")
        print("| --- | ---: | ---: |")
        for mode in MODES:
            env = dict(os.environ)
            env.pop("PROMETHEUS_MULTIPROC_DIR", None)
            tmp = None
            if mode == "metrics-multiprocess":
                tmp = tempfile.mkdtemp(prefix="prom")
                env["PROMETHEUS_MULTIPROC_DIR"] = tmp
            try:
                out = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "benchmarks.observer_cost",
                        "--ops",
                        str(args.ops),
                        "--measure",
                        url,
                        mode,
                    ],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
            finally:
                if tmp:
                    shutil.rmtree(tmp)
            r = json.loads(out.stdout)
            print(f"| {mode} | {r['checkout_ns']:.0f} | {r['get_ns']:.0f} |")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
