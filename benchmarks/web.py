"""Web load: the examples and the alternatives under gunicorn and uvicorn, driven by wrk.

Contenders are served in groups (one framework, one server setup); within a
group every app server runs at once, each with its own redis-server (same
binary and arguments), so the connections counted at a server are that
contender's alone. After a warm-up, the group's contenders are loaded one
after another for a fixed duration with the same connection count, in an
order rotated every round; each figure is the median of the rounds.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import redis

from harness import RedisServer, no_retry
from harness.appserver import AppServer, app_env

#: Threads in the default executor sync_to_async(thread_sensitive=False) runs in.
EXECUTOR_THREADS = min(32, (os.cpu_count() or 1) + 4)


@dataclass
class Spec:
    """One contender in one group: how to serve it and what to call it."""

    name: str  # ours, ours_example, naive, flask_redis, builtin
    label: str
    tool: str  # gunicorn or uvicorn
    app: str
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Group:
    """One framework under one server setup; ``slots`` = workers x threads."""

    key: str
    label: str
    server_args: list[str]
    workers: int
    threads: int
    specs: list[Spec]

    @property
    def slots(self) -> int:
        return self.workers * self.threads


def groups() -> list[Group]:
    """Every group, in the order the run measures and the tables show them."""
    flask_alt = "benchmarks.apps.flask_app:create_app()"
    dj_alt = "benchmarks.apps.django_wsgi:application"
    dj_settings = {"DJANGO_SETTINGS_MODULE": "benchmarks.apps.django_settings"}

    def flask() -> list[Spec]:
        return [
            Spec("ours", "ours: RedisPools (same bare app as the others)", "gunicorn",
                 flask_alt, {"BENCH_CONTENDER": "ours"}),
            # The example adds Flask-Session's per-request hooks: shown, not judged.
            Spec("ours_example", "ours: example_flask /hits (with Flask-Session)", "gunicorn",
                 "example_flask:create_app()"),
            Spec("naive", "new Redis.from_url per request", "gunicorn", flask_alt,
                 {"BENCH_CONTENDER": "naive"}),
            Spec("flask_redis", "flask-redis FlaskRedis", "gunicorn", flask_alt,
                 {"BENCH_CONTENDER": "flask_redis"}),
        ]  # fmt: skip

    def django() -> list[Spec]:
        return [
            Spec("ours", "ours: example_django /hits", "gunicorn",
                 "example_django.wsgi:application"),
            Spec("naive", "new Redis.from_url per request", "gunicorn", dj_alt,
                 {**dj_settings, "BENCH_CONTENDER": "naive"}),
            Spec("builtin", "Django built-in RedisCache (cache.incr)", "gunicorn", dj_alt,
                 {**dj_settings, "BENCH_CONTENDER": "builtin"}),
        ]  # fmt: skip

    sync = ["--preload", "--worker-class", "sync", "--workers", "4"]
    gthread = ["--preload", "--worker-class", "gthread", "--workers", "2", "--threads", "8"]
    asgi = "benchmarks.apps.django_asgi:application"
    uvicorn_env = {**dj_settings, "BENCH_ASYNC": "1"}
    return [
        Group("flask_sync", "Flask, gunicorn 4 sync workers", sync, 4, 1, flask()),
        Group("flask_gthread", "Flask, gunicorn 2 gthread workers x 8 threads", gthread, 2, 8,
              flask()),
        Group("django_sync", "Django, gunicorn 4 sync workers", sync, 4, 1, django()),
        Group("django_gthread", "Django, gunicorn 2 gthread workers x 8 threads", gthread, 2, 8,
              django()),
        # One uvicorn process: with --workers, uvicorn binds a socket whose
        # accepted connections miss TCP_NODELAY, and each response then waits
        # ~40 ms for a delayed ACK (measured); one process on 2 cores reaches
        # the same requests/s without that artefact.
        Group("django_uvicorn", "Django async views, uvicorn (1 process)", [], 1,
              EXECUTOR_THREADS, [
                  Spec("ours", "ours: get_redis() via sync_to_async", "uvicorn", asgi,
                       {**uvicorn_env, "BENCH_CONTENDER": "ours"}),
                  Spec("ours_async", "ours: await get_async_redis().incr()", "uvicorn", asgi,
                       {**uvicorn_env, "BENCH_CONTENDER": "ours_async"}),
                  Spec("ours_cache", "ours: await RedisPoolCache.aincr()", "uvicorn", asgi,
                       {**uvicorn_env, "BENCH_CONTENDER": "ours_cache"}),
                  Spec("builtin", "Django built-in RedisCache (await cache.aincr)", "uvicorn",
                       asgi, {**uvicorn_env, "BENCH_CONTENDER": "builtin"}),
              ]),
    ]  # fmt: skip


# -- load generators -----------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}
#: A new HTTP connection per request, as from many clients. With keep-alive,
#: the load generator's few long-lived connections split between gthread
#: workers at random, and one round ran at ~1,300 req/s and the next at
#: ~3,000 (measured) depending on whether one process or both got them.
CLOSE = ["-H", "Connection: close"]


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests, requests/s, p50/p99 (ms) and errors from ``wrk --latency`` output."""
    requests_ = re.search(r"(\d+) requests in ", output).group(1)  # type: ignore[union-attr]
    # wrk pads whole-second latencies ("1.02s "): allow trailing blanks.
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    errors = sum(int(n) for n in re.findall(r"(?:timeout|Non-2xx or 3xx responses:) (\d+)", output))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write) (\d+)", output))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    return {
        "requests": int(requests_),
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": _ms(latency["50"]),
        "p99_ms": _ms(latency["99"]),
        "errors": errors,
    }


def run_wrk(url: str, seconds: int, connections: int) -> dict[str, Any]:
    proc = subprocess.run(
        ["wrk", "--latency", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", *CLOSE, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    return parse_wrk(proc.stdout)


def run_python(url: str, seconds: float, connections: int) -> dict[str, Any]:
    """The fallback without wrk: one thread per connection, http.client keep-alive."""
    match = re.fullmatch(r"http://([^:/]+):(\d+)(/.*)", url)
    assert match is not None, url
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    deadline = time.perf_counter() + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Connection": "close"})
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    errors[i] += 1
                if resp.will_close:
                    conn.close()  # a sync worker closes after each response
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
                continue
            latencies[i].append((time.perf_counter() - began) * 1e3)
        conn.close()

    began = time.perf_counter()
    workers = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - began
    done = sorted(x for per in latencies for x in per)
    if not done:
        return {"requests": 0, "rps": 0.0, "p50_ms": 0.0, "p99_ms": 0.0, "errors": sum(errors)}
    return {
        "requests": len(done),
        "rps": len(done) / elapsed,
        "p50_ms": done[len(done) // 2],
        "p99_ms": done[min(len(done) - 1, int(len(done) * 0.99))],
        "errors": sum(errors),
    }


# -- measuring a server ----------------------------------------------------------


def worker_pids(master: int) -> list[int]:
    """The server's worker processes: children of the master, or the master if it serves."""
    pids = []
    for child in psutil.Process(master).children():
        with contextlib.suppress(psutil.Error):
            if not any("resource_tracker" in part for part in child.cmdline()):
                pids.append(child.pid)
    return sorted(pids) or [master]


def rss_mib(pids: list[int]) -> list[float]:
    """Each process's resident set size in MiB (gone processes are left out)."""
    out = []
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            out.append(psutil.Process(pid).memory_info().rss / 2**20)
    return out


@dataclass
class Served:
    """A running contender: its app server, its own redis-server and a probe client."""

    spec: Spec
    app: AppServer
    redis: RedisServer
    probe: redis.Redis
    #: total_connections_received before the app server started (the probe's own).
    base: int = 0
    #: connected_clients before the app server started: the probe and the admin client.
    own_clients: int = 0

    def url(self) -> str:
        return f"http://127.0.0.1:{self.app.port}/hits"

    def received(self) -> int:
        return int(self.probe.info("stats")["total_connections_received"])

    def clients_now(self) -> int:
        """Clients at this contender's server, without the probe and the admin."""
        return int(self.probe.info("clients")["connected_clients"]) - self.own_clients


def start(spec: Spec, group: Group, workdir: Path, max_connections: int) -> Served:
    server = RedisServer(workdir / f"redis-{spec.name}", "--maxclients", "4000").start()
    args = [*group.server_args, spec.app]
    if spec.tool == "uvicorn":
        args = ["--no-access-log", "--log-level", "warning", *args]
    probe = redis.Redis.from_url(server.url, single_connection_client=True, retry=no_retry())
    base = int(probe.info("stats")["total_connections_received"])
    own_clients = int(probe.info("clients")["connected_clients"])
    env = app_env(server.url, max_connections, **spec.env)
    for key in ("BENCH_CONTENDER", "BENCH_ASYNC"):
        if key not in spec.env:
            env.pop(key, None)
    app = AppServer.start(spec.tool, args, env, workdir / f"{group.key}-{spec.name}.log")
    return Served(spec, app, server, probe, base, own_clients)


def stop(served: Served) -> None:
    served.app.kill()
    served.probe.close()
    served.redis.stop()


def measure_group(
    group: Group, workdir: Path, *, rounds: int, seconds: float, warmup: float,
    connections: int, load: Any, log: Any,
) -> dict[str, Any]:  # fmt: skip
    """Serve every contender of ``group`` at once and load them in rotated rounds."""
    served: list[Served] = []
    try:
        # Start them all, then wait: the app servers load in parallel.
        max_connections = max(10, group.threads)
        served = [start(s, group, workdir, max_connections) for s in group.specs]
        for s in served:
            s.app.wait_ready("/hits", timeout=60)
        results: dict[str, dict[str, Any]] = {}
        for s in served:
            warm = load(s.url(), warmup, connections)
            results[s.spec.name] = {
                "label": s.spec.label,
                "warmup_requests": warm["requests"],
                "workers": len(worker_pids(s.app.proc.pid)),
                "rss_mib_after_warmup": rss_mib(worker_pids(s.app.proc.pid)),
                "rounds": [],
            }
        for r in range(rounds):
            k = r % len(served)
            for s in served[k:] + served[:k]:
                before = s.received()
                with s.redis.watch_peak_clients(s.clients_now, interval=0.01) as peak:
                    run = load(s.url(), seconds, connections)
                run["connections_opened"] = s.received() - before
                run["peak_connections"] = peak[0]
                results[s.spec.name]["rounds"].append(run)
        for s in served:
            entry = results[s.spec.name]
            entry["rss_mib_after_load"] = rss_mib(worker_pids(s.app.proc.pid))
            entry.update(summarise(entry["rounds"]))
            # Over the server's whole life, warm-up included: every connection
            # the contender ever opened, per 10,000 requests it served.
            entry["connections_opened_total"] = s.received() - s.base
            served_requests = entry["requests"] + entry["warmup_requests"]
            entry["connections_per_10k_requests_total"] = (
                entry["connections_opened_total"] * 10_000 / served_requests
            )
        log(
            f"web load: {group.label}: "
            + ", ".join(f"{n} {e['rps']:,.0f} req/s" for n, e in results.items())
        )
        return {
            "label": group.label,
            "workers": group.workers,
            "threads": group.threads,
            "slots": group.slots,
            "results": results,
        }
    except Exception as exc:
        logs = "".join(s.app.output()[-1500:] for s in served)
        raise RuntimeError(f"web load {group.key} failed: {exc!r}\n{logs}") from exc
    finally:
        for s in served:
            stop(s)


def summarise(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    requests_ = sum(r["requests"] for r in rounds)
    opened = sum(r["connections_opened"] for r in rounds)
    return {
        "rps": statistics.median(r["rps"] for r in rounds),
        "p50_ms": statistics.median(r["p50_ms"] for r in rounds),
        "p99_ms": statistics.median(r["p99_ms"] for r in rounds),
        "peak_connections": max(r["peak_connections"] for r in rounds),
        "requests": requests_,
        "errors": sum(r["errors"] for r in rounds),
        "connections_opened": opened,
        "connections_per_10k_requests": opened * 10_000 / requests_ if requests_ else None,
    }


def web_load(args: Any, log: Any) -> dict[str, Any]:
    """Every group of :func:`groups` (or those in ``args.web_groups``), measured."""
    tool = "wrk" if shutil.which("wrk") else "python"
    load = run_wrk if tool == "wrk" else run_python
    chosen = [g for g in groups() if g.key in args.web_groups]
    log(
        f"web load: {len(chosen)} group(s), {args.web_rounds} rounds x {args.web_seconds:g} s, "
        f"{args.web_connections} connections, load generator {tool}"
    )
    out: dict[str, Any] = {
        "measured": True,
        "load_generator": tool,
        "load_generator_note": (
            "wrk -t 1 --latency -H 'Connection: close'"
            if tool == "wrk"
            else "wrk not installed: a Python load generator (a thread per connection, "
            "http.client, Connection: close) on the same 2 cores, which caps every contender "
            "lower than wrk would"
        ),
        "rounds": args.web_rounds,
        "seconds": args.web_seconds,
        "warmup_seconds": args.web_warmup,
        "connections": args.web_connections,
        "groups": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-web-") as workdir:
        for group in chosen:
            out["groups"][group.key] = measure_group(
                group,
                Path(workdir),
                rounds=args.web_rounds,
                seconds=args.web_seconds,
                warmup=args.web_warmup,
                connections=args.web_connections,
                load=load,
                log=log,
            )
    return out
