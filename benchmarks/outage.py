"""Latency through a Redis outage, without and with the circuit breaker (issue 16).

``python -m benchmarks.outage``: each example under ``gunicorn -k gthread -w 4
--threads 8`` on its own redis-server, loaded with ``--requests`` requests (half to
``/hits``, which uses Redis, half to ``/no-redis``, which does not) at ``--concurrency``
concurrent, new connection per request, while Redis is healthy, stalled (SIGSTOP) and
stopped; once without a breaker and once with ``REDIS_BREAKER=failures,cooldown``
(measured after the breakers opened: a warm-up batch first). Prints a Markdown table of
p50/p99 per view and the status codes seen, then how long the first success took after
the server came back (SIGCONT; restart). The examples set ``socket_timeout`` 2 s
(Django) and 5 s (Flask).
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from harness import RedisServer
from harness.appserver import AppServer, app_env, app_server

APPS = {"django": "example_django.wsgi", "flask": "example_flask:create_app()"}
VIEWS = ("/hits", "/no-redis")


def _one(port: int, path: str) -> tuple[str, int, float]:
    began = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        status = conn.getresponse().status
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        conn.close()
    return path, status, (time.perf_counter() - began) * 1e3


def load(server: AppServer, requests: int, concurrency: int) -> dict[str, Any]:
    """``requests`` GETs, alternating the two views, ``concurrency`` at a time."""
    paths = [VIEWS[i % 2] for i in range(requests)]
    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda p: _one(server.port, p), paths))
    out: dict[str, Any] = {"seconds": round(time.perf_counter() - began, 2)}
    for view in VIEWS:
        ms = sorted(t for p, _, t in results if p == view)
        statuses = Counter(s for p, s, _ in results if p == view)
        out[view] = {
            "p50_ms": round(statistics.median(ms), 1),
            "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1),
            "statuses": dict(sorted(statuses.items())),
        }
    return out


def recovery(server: AppServer) -> float:
    """Seconds until ``/hits`` answers 200 (the server is back)."""
    began = time.monotonic()
    while _one(server.port, "/hits")[1] != 200:
        if time.monotonic() - began > 60:
            return float("inf")
        time.sleep(0.01)
    return time.monotonic() - began


def run(example: str, breaker: str | None, args: argparse.Namespace, tmp: Path) -> list[Any]:
    redis_server = RedisServer(tmp / f"{example}-{breaker}").start()
    extra = {"REDIS_BREAKER": breaker} if breaker else {}
    env = app_env(redis_server.url, 8, **extra)
    argv = ["-w", "4", "--threads", "8", "-k", "gthread", APPS[example]]
    rows: list[Any] = []
    try:
        with app_server("gunicorn", argv, env, tmp / f"{example}-{breaker}.log") as server:
            load(server, 200, args.concurrency)  # warm-up: every worker's pool built
            rows.append(("healthy", load(server, args.requests, args.concurrency)))
            redis_server.pause()
            if breaker:
                load(server, 200, args.concurrency)  # opens the breakers
            rows.append(("stalled", load(server, args.requests, args.concurrency)))
            redis_server.resume()
            rows.append(("back after SIGCONT, s", round(recovery(server), 2)))
            redis_server.stop()
            if breaker:
                load(server, 200, args.concurrency)
            rows.append(("stopped", load(server, args.requests, args.concurrency)))
            redis_server.start()
            rows.append(("back after restart, s", round(recovery(server), 2)))
    finally:
        redis_server.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--breaker", default="5,2", help="FAILURES,COOLDOWN")
    parser.add_argument("--only", default="django,flask")
    args = parser.parse_args()
    print(
        "| example | breaker | phase | /hits p50 / p99 ms | statuses | "
        "/no-redis p50 / p99 ms | statuses | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for example in args.only.split(","):
            for breaker in (None, args.breaker):
                for phase, data in run(example, breaker, args, Path(tmp)):
                    name = breaker or "off"
                    if not isinstance(data, dict):
                        print(f"| {example} | {name} | {phase}: {data} | | | | | |", flush=True)
                        continue
                    hits, plain = data["/hits"], data["/no-redis"]
                    print(
                        f"| {example} | {name} | {phase} | {hits['p50_ms']} / {hits['p99_ms']} "
                        f"| {hits['statuses']} | {plain['p50_ms']} / {plain['p99_ms']} "
                        f"| {plain['statuses']} | {data['seconds']} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
