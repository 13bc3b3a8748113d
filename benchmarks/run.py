"""Run the benchmark suite: ``python -m benchmarks.run [--quick] [--out DIR]``.

One redis-server of its own on a free loopback port serves every contender in
the same run. Each figure is the median of several rounds; within a round the
contenders run one after another in an order rotated every round, after a
warm-up, so drift on the machine falls on everyone alike. Results go to
``--out`` as results.json, results.md and throughput.png.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import redis

from benchmarks import contenders as cs
from benchmarks import pool_micro, report, web
from harness import RedisServer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ACCESSOR_TARGET = 0.97


# -- parameters ----------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a ~30 s smoke run with small numbers")
    p.add_argument("--out", type=Path, help="results folder (default benchmarks/results)")
    p.add_argument("--rounds", type=int, help="measured rounds per figure")
    p.add_argument("--ops", type=int, help="operations per throughput measurement")
    p.add_argument("--threads", type=lambda s: [int(x) for x in s.split(",")], help="e.g. 1,8,32")
    p.add_argument("--only", type=lambda s: s.split(","), help="contenders to run (comma list)")
    p.add_argument("--no-web", action="store_true", help="skip the web load (gunicorn/uvicorn)")
    p.add_argument("--web-rounds", type=int, help="web load: measured rounds")
    p.add_argument("--web-seconds", type=int, help="web load: whole seconds per measured run")
    p.add_argument("--web-warmup", type=int, help="web load: warm-up seconds per contender")
    p.add_argument("--web-connections", type=int, help="web load: HTTP connections (all alike)")
    p.add_argument(
        "--web-groups",
        type=lambda s: s.split(","),
        help=f"web load groups (comma list; 'all'): {','.join(g.key for g in web.groups())}",
    )
    p.add_argument("--child", help=argparse.SUPPRESS)  # internal: memory measurements
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--contender", help=argparse.SUPPRESS)
    p.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    quick = args.quick
    defaults = {
        # Many short rounds rather than a few long ones: on a shared machine
        # a busy spell then hits every contender alike instead of one.
        "rounds": 3 if quick else 15,
        "ops": 500 if quick else 2000,
        "threads": [1, 8, 32],
        "only": cs.NAMES,
        "out": HERE / "results" / ("quick" if quick else ""),
        # Web load: the same duration and connections for every contender;
        # --quick serves one group for a second to show the machinery works.
        # Five short rounds: a busy spell on a shared machine then spoils one
        # round of a contender, not its median.
        "web_rounds": 1 if quick else 5,
        "web_seconds": 1 if quick else 3,
        "web_warmup": 1,
        "web_connections": 16,
        "web_groups": ["flask_sync"] if quick else ["all"],
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if "all" in args.web_groups:
        args.web_groups = [g.key for g in web.groups()]
    # The naive pattern is ~10x slower per op and opens a socket per op: a tenth
    # of the operations keeps its share of the run and of ephemeral ports small.
    args.naive_ops = max(args.ops // 10, 20)
    args.accessor_ops = max(args.ops, 300)
    args.accessor_rounds = 3 if quick else 15
    args.timeit_number = 20_000 if quick else 300_000
    args.idle_connections = 20 if quick else 200
    args.memory_ops = max(args.ops * 2, 200)
    args.redis_benchmark_n = 2000 if quick else 50_000
    # The pool micro-benchmark: at least 9 interleaved rounds even in a quick run
    # would be slow for nothing; a full run uses every round of the suite.
    args.pool_pairs = 2_000 if quick else 20_000
    return args


# -- helpers -------------------------------------------------------------------


def rss_kib() -> tuple[int, int]:
    """This process's (VmRSS, VmHWM) in KiB, from /proc; (0, 0) where there is none."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return 0, 0
    values = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", text, re.MULTILINE))
    return int(values.get("VmRSS", 0)), int(values.get("VmHWM", 0))


def _loadavg() -> list[float] | None:
    # Other work on the machine shows in the figures; the load says how much.
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        if found:
            cpu = found.group(1).strip()
    server = subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    from redis.connection import DefaultParser

    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "redis-py": redis.__version__,
        "hiredis": version("hiredis"),
        "parser": DefaultParser.__name__,
        "redis-server": re.sub(r"^Redis server ", "", server),
        "Django": version("Django"),
        "django-redis": version("django-redis"),
        "Flask": version("Flask"),
        "flask-redis": version("flask-redis"),
    }


class ThreadGang:
    """N long-lived threads that run one task together per :meth:`run`.

    Long-lived like the threads of a gthread worker, so per-thread state (a
    Django cache object per thread) is built once, in the warm-up, as it
    would be in a server, not once per measurement.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self._start = threading.Barrier(n + 1)
        self._done = threading.Barrier(n + 1)
        self._task: Callable[[], None] | None = None
        self.errors: list[BaseException] = []
        self._threads = [
            threading.Thread(target=self._work, name=f"bench-{i}", daemon=True) for i in range(n)
        ]
        for t in self._threads:
            t.start()

    def _work(self) -> None:
        while True:
            self._start.wait()
            task = self._task
            if task is None:
                return
            try:
                task()
            except BaseException as exc:
                self.errors.append(exc)
            self._done.wait()

    def run(self, task: Callable[[], None]) -> tuple[float, float]:
        """Run ``task`` once in every thread at once; return (wall, process CPU) seconds."""
        self._task = task
        cpu = time.process_time()
        self._start.wait()
        began = time.perf_counter()
        self._done.wait()
        elapsed = time.perf_counter() - began
        cpu = time.process_time() - cpu
        if self.errors:
            raise RuntimeError(f"a benchmark thread failed: {self.errors[0]!r}") from self.errors[0]
        return elapsed, cpu

    def close(self) -> None:
        self._task = None
        self._start.wait()
        for t in self._threads:
            t.join(10)


def op_task(contender: cs.Contender, kind: str, ops_per_thread: int) -> Callable[[], None]:
    def task() -> None:
        with contender.thread_context():
            if kind == "get":
                get = contender.get
                for _ in range(ops_per_thread):
                    get(cs.GET_KEY)
            else:
                set_ = contender.set
                value = cs.VALUE
                for _ in range(ops_per_thread):
                    set_(cs.SET_KEY, value)

    return task


def rotated(names: list[str], r: int) -> list[str]:
    k = r % len(names) if names else 0
    return names[k:] + names[:k]


def log(*parts: Any) -> None:
    print(*parts, flush=True)


# -- limits: redis-benchmark and a raw socket ---------------------------------


def redis_benchmark(port: int, n: int, clients: list[int]) -> dict[str, Any]:
    binary = shutil.which("redis-benchmark")
    if binary is None:
        return {"available": False, "reason": "redis-benchmark is not on PATH"}
    result: dict[str, Any] = {"available": True, "n": n, "by_clients": {}}
    flags = ["-t", "get,set", "-d", str(len(cs.VALUE)), "-q"]
    for c in clients:
        proc = subprocess.run(
            [binary, "-h", "127.0.0.1", "-p", str(port), "-c", str(c), "-n", str(n), *flags],
            capture_output=True,
            text=True,
            check=False,
        )
        # -q prints progress with carriage returns; keep the last figure per test.
        found = re.findall(r"(GET|SET): ([\d.]+) requests per second", proc.stdout)
        result["by_clients"][str(c)] = {k.lower(): float(v) for k, v in found}
    return result


def raw_socket_rate(port: int, kind: str, ops: int) -> float:
    """Ops/s of a Python loop sending RESP by hand on one socket: the client floor."""
    if kind == "get":
        key = cs.GET_KEY.encode()
        cmd = b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key)
        reply_len = len(b"$100\r\n") + 100 + 2
    else:
        key = cs.SET_KEY.encode()
        cmd = b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
            len(key),
            key,
            len(cs.VALUE),
            cs.VALUE,
        )
        reply_len = len(b"+OK\r\n")
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = bytearray(4096)
        view = memoryview(buf)
        began = time.perf_counter()
        for _ in range(ops):
            sock.sendall(cmd)
            got = 0
            while got < reply_len:
                got += sock.recv_into(view)
        return ops / (time.perf_counter() - began)


def limits(server: RedisServer, args: argparse.Namespace) -> dict[str, Any]:
    log("limits: redis-benchmark -c 1/8/32 and a raw-socket Python loop")
    server.admin().set(cs.GET_KEY, cs.VALUE)
    bench = redis_benchmark(server.port, args.redis_benchmark_n, args.threads)
    rates: dict[str, list[float]] = {"get": [], "set": []}
    raw_socket_rate(server.port, "get", args.ops // 5)  # warm-up
    for _ in range(args.rounds):
        for kind in ("get", "set"):
            rates[kind].append(raw_socket_rate(server.port, kind, args.ops))
    return {
        "redis_benchmark": bench,
        "raw_socket_1_thread": {k: statistics.median(v) for k, v in rates.items()},
        "raw_socket_rounds": rates,
    }


# -- accessor overhead ----------------------------------------------------------

GLOBAL_SHARED: redis.Redis | None = None
GLOBAL_BLOCKING: redis.Redis | None = None
POOLS: dict[str, redis.Redis] = {}


def _loop_ours(n: int) -> None:
    from redis_pool_integrations import get_redis

    key = cs.GET_KEY
    for _ in range(n):
        get_redis().get(key)


def _loop_global_shared(n: int) -> None:
    key = cs.GET_KEY
    for _ in range(n):
        GLOBAL_SHARED.get(key)  # type: ignore[union-attr]


def _loop_global_blocking(n: int) -> None:
    key = cs.GET_KEY
    for _ in range(n):
        GLOBAL_BLOCKING.get(key)  # type: ignore[union-attr]


def accessor(server: RedisServer, args: argparse.Namespace) -> dict[str, Any]:
    """``get_redis().get(k)`` per call vs a module-global client on the same kind of pool."""
    global GLOBAL_SHARED, GLOBAL_BLOCKING
    import redis_pool_integrations
    from redis_pool_integrations import SharedConnectionPool, get_redis

    log("accessor: get_redis().get(k) vs a module-global client, 1 thread")
    reg = redis_pool_integrations.default_registry
    reg.configure({"default": {"url": server.url}})
    GLOBAL_SHARED = redis.Redis(connection_pool=SharedConnectionPool.from_settings(reg.settings()))
    GLOBAL_BLOCKING = redis.Redis(
        connection_pool=redis.BlockingConnectionPool.from_url(server.url, max_connections=50)
    )
    server.admin().set(cs.GET_KEY, cs.VALUE)
    loops = {
        "ours": _loop_ours,
        "global_shared": _loop_global_shared,
        "global_blocking": _loop_global_blocking,
    }
    rates: dict[str, list[float]] = {name: [] for name in loops}
    cpu_us: dict[str, list[float]] = {name: [] for name in loops}
    names = list(loops)
    for loop in loops.values():
        loop(args.accessor_ops // 5)  # warm-up: connect, fill caches
    for r in range(args.accessor_rounds):
        # Forward then backward order inside a round (ABC CBA): a drift over
        # the round costs every contender the same.
        order = rotated(names, r)
        for name in order + order[::-1]:
            began, cpu = time.perf_counter(), time.process_time()
            loops[name](args.accessor_ops)
            rates[name].append(args.accessor_ops / (time.perf_counter() - began))
            cpu_us[name].append((time.process_time() - cpu) / args.accessor_ops * 1e6)
    n = len(rates["ours"])
    ratio_shared = [rates["ours"][i] / rates["global_shared"][i] for i in range(n)]
    ratio_blocking = [rates["ours"][i] / rates["global_blocking"][i] for i in range(n)]
    # The same ratio from client CPU time, which a busy neighbour on the
    # machine does not inflate the way it inflates wall time.
    cpu_ratio = [cpu_us["global_shared"][i] / cpu_us["ours"][i] for i in range(n)]

    # The accessor alone, without a round trip, next to the cheapest lookups there are.
    client = get_redis()
    table = {"default": client}
    namespace = {"get_redis": get_redis, "reg": reg, "table": table, "client": client}
    statements = {
        "get_redis()": "get_redis()",
        "default_registry.get_redis()": "reg.get_redis()",
        "dict lookup": "table['default']",
        "global name": "client",
    }
    ns_per_call: dict[str, float] = {}
    for label, stmt in statements.items():
        timer = timeit.Timer(stmt, globals=namespace)
        runs = timer.repeat(repeat=5, number=args.timeit_number)
        ns_per_call[label] = statistics.median(runs) / args.timeit_number * 1e9
    for c in (GLOBAL_SHARED, GLOBAL_BLOCKING):
        c.connection_pool.disconnect()
    reg.close_all()
    ratio = statistics.median(ratio_shared)
    return {
        "ops_per_round": args.accessor_ops,
        "rounds": args.accessor_rounds * 2,
        "ops_per_s": {k: statistics.median(v) for k, v in rates.items()},
        "ratio_vs_global_shared": ratio,
        "ratio_vs_global_blocking": statistics.median(ratio_blocking),
        "ratio_rounds": ratio_shared,
        "cpu_us_per_op": {k: statistics.median(v) for k, v in cpu_us.items()},
        "cpu_ratio_vs_global_shared": statistics.median(cpu_ratio),
        "target": ACCESSOR_TARGET,
        "met": ratio >= ACCESSOR_TARGET,
        "ns_per_call": ns_per_call,
    }


# -- throughput ----------------------------------------------------------------


def throughput(server: RedisServer, args: argparse.Namespace) -> dict[str, Any]:
    """Ops/s of every contender at each thread count, with connections opened."""
    results: dict[str, Any] = {}
    raw_socket_rounds: dict[str, list[float]] = {}
    with cs.all_built(server.url, args.only) as (ready, skipped):
        for name, reason in skipped.items():
            log(f"throughput: skipping {name}: {reason}")
        for name in ready:
            results[name] = {"get": {}, "set": {}}
        for threads in args.threads:
            log(f"throughput: {threads} thread(s), {args.rounds} rounds, {list(ready)}")
            gang = ThreadGang(threads)
            try:
                entries, floor = _measure(server, ready, gang, args)
            finally:
                gang.close()
            for (name, kind), entry in entries.items():
                results[name][kind][str(threads)] = entry
            raw_socket_rounds.update(floor)
    return {"results": results, "skipped": skipped, "raw_socket_rounds": raw_socket_rounds}


def _measure(
    server: RedisServer, ready: dict[str, cs.Contender], gang: ThreadGang, args: argparse.Namespace
) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, list[float]]]:
    """Every contender at one thread count; and the raw-socket floor in the same rounds."""
    names = list(ready)
    floor: dict[str, list[float]] = {}

    def per_thread(name: str) -> int:
        total = args.naive_ops if name == "naive" else args.ops
        return max(total // gang.n, 1)

    for name in names:  # warm-up: connections, per-thread caches
        for kind in ("get", "set"):
            gang.run(op_task(ready[name], kind, max(per_thread(name) // 5, 1)))
    rates: dict[tuple[str, str], list[float]] = {}
    cpu_us: dict[tuple[str, str], list[float]] = {}
    opened: dict[tuple[str, str], int] = {}
    ops: dict[tuple[str, str], int] = {}
    for r in range(args.rounds):
        for kind in ("get", "set"):
            for name in rotated(names, r):
                n = per_thread(name)
                before = server.total_connections_received()
                elapsed, cpu = gang.run(op_task(ready[name], kind, n))
                after = server.total_connections_received()
                key = (name, kind)
                rates.setdefault(key, []).append(n * gang.n / elapsed)
                cpu_us.setdefault(key, []).append(cpu / (n * gang.n) * 1e6)
                opened[key] = opened.get(key, 0) + after - before
                ops[key] = ops.get(key, 0) + n * gang.n
            if gang.n == 1:
                # The floor in the same rounds as the contenders, so it sees the same load.
                floor.setdefault(kind, []).append(raw_socket_rate(server.port, kind, args.ops))
    entries = {
        key: {
            "ops_per_s": statistics.median(samples),
            "rounds": samples,
            "cpu_us_per_op": statistics.median(cpu_us[key]),
            "ops": ops[key],
            "connections_opened": opened[key],
            "connections_per_10k_ops": opened[key] * 10_000 / ops[key],
        }
        for key, samples in rates.items()
    }
    return entries, floor


# -- memory --------------------------------------------------------------------


def child_idle_connections(url: str, n: int, pool_kind: str, trace: bool) -> dict[str, Any]:
    """Open ``n`` connections in one pool, return them idle, and measure the growth."""
    import tracemalloc

    from redis_pool_integrations import SharedConnectionPool, parse_config

    def make_pool() -> redis.ConnectionPool:
        if pool_kind == "ours":
            settings = parse_config({"m": {"url": url, "max_connections": n + 10}})["m"]
            return SharedConnectionPool.from_settings(settings)
        return redis.ConnectionPool.from_url(url, max_connections=n + 10)

    # Warm-up: import and initialise everything the first connection needs.
    warm = make_pool()
    warm.release(warm.get_connection())
    warm.disconnect()
    pool = make_pool()
    gc.collect()
    if trace:
        tracemalloc.start()
    before_rss = rss_kib()[0]
    before_py = tracemalloc.get_traced_memory()[0] if trace else 0
    conns = [pool.get_connection() for _ in range(n)]
    for conn in conns:
        pool.release(conn)
    del conns
    gc.collect()
    after_rss = rss_kib()[0]
    after_py = tracemalloc.get_traced_memory()[0] if trace else 0
    return {
        "connections": n,
        "rss_bytes_per_connection": (after_rss - before_rss) * 1024 / n,
        "python_bytes_per_connection": (after_py - before_py) / n if trace else None,
    }


def child_load(url: str, name: str, threads: int, ops: int) -> dict[str, Any]:
    """Hold one contender, run a threaded load, report RSS and connections held."""
    import redis_pool_integrations  # noqa: F401  (every child imports the same modules)

    with contextlib.suppress(cs.Skipped):
        cs.setup_django(url)
    with contextlib.suppress(ImportError):
        import flask_redis  # noqa: F401
    gc.collect()
    base_rss = rss_kib()[0]
    try:
        contender = cs.build(name, url)
        contender.set(cs.GET_KEY, cs.VALUE)
    except cs.Skipped as exc:
        return {"skipped": str(exc)}
    gc.collect()
    ready_rss = rss_kib()[0]
    total = ops // 10 if name == "naive" else ops
    gang = ThreadGang(threads)
    try:
        for kind in ("get", "set"):
            gang.run(op_task(contender, kind, max(total // threads, 1)))
        # Measured while the threads are alive and idle, as a gthread worker's
        # are between requests: per-thread state is still held.
        gc.collect()
        rss, hwm = rss_kib()
        probe = redis.Redis.from_url(url, single_connection_client=True)
        try:
            own = probe.client_id()
            held = [
                c
                for c in probe.client_list(_type="normal")
                if int(c["id"]) != own and c.get("name") != "test-admin"
            ]
        finally:
            probe.close()
    finally:
        gang.close()
    contender.close()
    return {
        "rss_kib_imports": base_rss,
        "rss_kib_ready": ready_rss,
        "rss_kib_after_load": rss,
        "peak_rss_kib": hwm,
        "growth_kib": rss - base_rss,
        "connections_held": len(held),
        "threads": threads,
    }


def run_child(argv: list[str]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def memory(server: RedisServer, args: argparse.Namespace) -> dict[str, Any]:
    """Measured in child processes, one per figure, so each starts from the same RSS."""
    log(f"memory: one idle connection ({args.idle_connections} opened), RSS per contender")
    idle: dict[str, Any] = {}
    for pool_kind in ("ours", "redis_pool"):
        child = ["--child", "idle", "--url", server.url, "--contender", pool_kind]
        child += ["--ops", str(args.idle_connections)]
        # RSS without tracemalloc (its own bookkeeping would inflate RSS), then
        # the Python-level figure in a second child with tracemalloc on.
        server.wait_for_clients(0)
        entry = run_child(child)
        server.wait_for_clients(0)
        traced = run_child([*child, "--trace"])
        entry["python_bytes_per_connection"] = traced.get("python_bytes_per_connection")
        idle[pool_kind] = entry
    threads = max(args.threads)
    per_contender: dict[str, Any] = {}
    for name in args.only:
        server.wait_for_clients(0)
        child = ["--child", "load", "--url", server.url, "--contender", name]
        child += ["--ops", str(args.memory_ops), "--threads", str(threads)]
        per_contender[name] = run_child(child)
    return {"idle_connection": idle, "after_load": per_contender, "threads": threads}


# -- web load ------------------------------------------------------------------


def web_load(args: argparse.Namespace) -> dict[str, Any]:
    """The examples and the alternatives under gunicorn/uvicorn (see benchmarks/web.py)."""
    if args.no_web:
        return {"measured": False, "reason": "skipped with --no-web"}
    unknown = set(args.web_groups) - {g.key for g in web.groups()}
    if unknown:
        raise SystemExit(f"unknown web group(s) {sorted(unknown)}")
    return web.web_load(args, log)


# -- main ----------------------------------------------------------------------


@contextlib.contextmanager
def own_server() -> Iterator[RedisServer]:
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as workdir:
        server = RedisServer(Path(workdir), "--maxclients", "4000").start()
        try:
            yield server
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child == "idle":
        print(json.dumps(child_idle_connections(args.url, args.ops, args.contender, args.trace)))
        return 0
    if args.child == "load":
        print(json.dumps(child_load(args.url, args.contender, args.threads[0], args.ops)))
        return 0
    unknown = set(args.only) - set(cs.NAMES)
    if unknown:
        raise SystemExit(f"unknown contender(s) {sorted(unknown)}; choose from {cs.NAMES}")
    began = time.monotonic()
    data: dict[str, Any] = {
        "meta": {
            "mode": "quick" if args.quick else "full",
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "params": {
                "rounds": args.rounds,
                "ops_per_measurement": args.ops,
                "naive_ops_per_measurement": args.naive_ops,
                "threads": args.threads,
                "payload_bytes": len(cs.VALUE),
            },
            "machine": machine(),
            "load_average_at_start": _loadavg(),
        },
        "contenders": {
            name: {"label": cs.LABELS[name], "note": cs.NOTES[name]} for name in args.only
        },
    }
    with own_server() as server:
        log(f"redis-server {data['meta']['machine']['redis-server']} on port {server.port}")
        data["memory"] = memory(server, args)
        data["limits"] = limits(server, args)
        data["accessor"] = accessor(server, args)
        log(f"pool: checkout+release, ours and redis-py's pools, {args.rounds} rounds")
        data["pool"] = pool_micro.measure(server.url, args.rounds, args.pool_pairs)
        data["throughput"] = throughput(server, args)
        data["web_load"] = web_load(args)
    for name, reason in data["throughput"]["skipped"].items():
        data["contenders"][name]["skipped"] = reason
    data["meta"]["load_average_at_end"] = _loadavg()
    data["meta"]["duration_s"] = round(time.monotonic() - began, 1)
    data["targets"] = report.targets(data)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(data, indent=2) + "\n")
    (args.out / "results.md").write_text(report.markdown(data))
    chart = report.chart(data, args.out / "throughput.png")
    if report.web_chart(data, args.out / "web_load.png"):
        log(f"wrote {args.out}/web_load.png")
    log(report.summary(data))
    log(f"wrote {args.out}/results.json, results.md" + (", throughput.png" if chart else ""))
    if not chart:
        log("no chart: matplotlib is not installed (`make bench` installs it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
