"""`make demo`: an example app under gunicorn, a few thousand requests, no connection churn.

Starts its own redis-server on a free loopback port (or uses REDIS_URL from the
environment), serves example_django or example_flask under gunicorn with 4
gthread workers x 4 threads and --preload (the master pings Redis while loading,
as many apps do), drives requests at /hits from a small thread pool, then shows
per worker pid what its one shared pool did and, from the server's side, that
the whole run opened about one connection per worker thread. Finally it stops
gunicorn with SIGTERM and shows the server's client count back at its baseline.

Every process it starts is stopped on exit, on error and on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import redis
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
# The test bed (harness/) lives in the checkout, not in the installed package.
sys.path.insert(0, str(ROOT))

import harness  # noqa: E402
from harness.appserver import AppServer, app_env  # noqa: E402
from harness.appserver import get as http_get  # noqa: E402
from redis_pool_integrations import redact_url  # noqa: E402

APPS = {"django": "example_django.wsgi", "flask": "example_flask:create_app()"}
#: The demo's own observer connection, left out of every client count.
ADMIN_NAME = "demo-admin"

console = Console(highlight=False)


class DemoError(Exception):
    """Something the demo needs did not happen; the message says what."""


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """The harness's wait, failing with a DemoError that names ``what``."""
    try:
        return harness.wait_until(predicate, timeout, what)
    except harness.WaitTimeout as exc:
        raise DemoError(str(exc).split(" (")[0]) from None


def get(port: int, path: str, timeout: float = 10.0) -> tuple[int, Any]:
    """GET ``path`` on a fresh connection (``Connection: close``).

    A new TCP connection per request lets every gunicorn worker compete for
    each request; kept-alive client connections would pin the load to
    whichever workers accepted them first.
    """
    return http_get(port, path, timeout, close=True)


def start_redis(stack: contextlib.ExitStack, workdir: Path) -> str:
    """A redis-server of the demo's own on a free loopback port; return its URL."""
    if shutil.which("redis-server") is None:
        raise DemoError("redis-server is not installed: `make demo` installs it.")
    # Its own session: Ctrl-C reaches only the demo, which then stops it in order.
    server = harness.RedisServer(workdir / "redis", new_session=True)
    stack.callback(server.stop)
    try:
        server.start()
    except (RuntimeError, harness.WaitTimeout) as exc:
        raise DemoError(f"redis-server did not start: {exc}") from None
    return server.url


class Observer:
    """The demo's own view from the Redis server (its connection excluded)."""

    def __init__(self, url: str) -> None:
        # Any REDIS_URL (password, TLS, db), never retried: a failure shows at once.
        self.client = redis.Redis.from_url(
            url,
            client_name=ADMIN_NAME,
            socket_timeout=5,
            socket_connect_timeout=2,
            retry=harness.no_retry(),
            single_connection_client=True,
        )

    def clients(self) -> int:
        listed = self.client.client_list(_type="normal")
        return sum(1 for c in listed if c.get("name") != ADMIN_NAME)

    def received(self) -> int:
        return int(self.client.info("stats")["total_connections_received"])


@contextlib.contextmanager
def gunicorn(
    framework: str, url: str, args: argparse.Namespace, workdir: Path
) -> Iterator[AppServer]:
    """Run the example app under gunicorn; always stop the whole process group."""
    env = app_env(url, args.threads, REDIS_PING_AT_STARTUP="1")
    argv = ["--preload", "--workers", str(args.workers), "--worker-class", "gthread"]
    argv += ["--threads", str(args.threads), APPS[framework]]
    server = AppServer.start("gunicorn", argv, env, workdir / "gunicorn.log")
    try:
        yield server
    finally:
        server.stop()


def drive_load(port: int, requests: int, clients: int, quiet: bool) -> Counter[int]:
    """GET /hits ``requests`` times from ``clients`` threads; count answers per worker pid."""
    served: Counter[int] = Counter()
    errors: list[str] = []
    lock = threading.Lock()  # guards next_index, served and errors across client threads
    next_index = 0
    stop = threading.Event()

    def client() -> None:
        nonlocal next_index
        while not stop.is_set():
            with lock:
                if next_index >= requests:
                    return
                next_index += 1
            try:
                status, body = get(port, "/hits")
            except OSError as exc:
                status, body = 0, repr(exc)
            with lock:
                if status == 200:
                    served[body["pid"]] += 1
                else:
                    errors.append(f"{status}: {body}")

    # Daemon threads: on Ctrl-C the main thread unwinds at once and cleans up.
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    progress = Progress(
        TextColumn("GET /hits"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>6.0f} req/s"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
    )
    started = time.monotonic()
    try:
        with progress:
            task = progress.add_task("load", total=requests, rate=0.0)
            for t in threads:
                t.start()
            while any(t.is_alive() for t in threads):
                time.sleep(0.05)
                with lock:
                    done = sum(served.values()) + len(errors)
                rate = done / max(time.monotonic() - started, 1e-6)
                progress.update(task, completed=done, rate=rate)
    finally:
        stop.set()
    if errors:
        raise DemoError(f"{len(errors)} request(s) failed, first: {errors[0]}")
    return served


def poll_pools(port: int, workers: int, timeout: float = 20.0) -> dict[int, dict[str, Any]]:
    """GET /pools until every one of ``workers`` pids has answered once."""
    seen: dict[int, dict[str, Any]] = {}

    def burst() -> bool:
        # A few concurrent requests, so busy-looking workers do not hog every accept.
        answers: list[Any] = []

        def one() -> None:
            status, body = get(port, "/pools")
            if status == 200:
                answers.append(body)

        batch = [threading.Thread(target=one) for _ in range(workers * 2)]
        for t in batch:
            t.start()
        for t in batch:
            t.join()
        for body in answers:
            pools = body["pools"]
            # /health pings every alias, so the example's "cache" alias has a
            # connection in the worker that answered it: counted apart.
            other = sum(v["created_connections"] for k, v in pools.items() if k != "default")
            seen.setdefault(body["pid"], {**pools["default"], "other_aliases_created": other})
        return len(seen) >= workers

    wait_until(burst, timeout, f"all {workers} workers to answer /pools (got {len(seen)})")
    return seen


def run(args: argparse.Namespace, stack: contextlib.ExitStack) -> dict[str, Any]:
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="demo")))
    if os.environ.get("REDIS_URL"):
        url = os.environ["REDIS_URL"]
        console.print(f"Redis: REDIS_URL from the environment, {redact_url(url)}")
    else:
        url = start_redis(stack, workdir)
        console.print(f"Redis: a redis-server of the demo's own at {url}")
    observer = Observer(url)
    stack.callback(observer.client.close)
    baseline = observer.clients()
    received_before = observer.received()

    console.print(
        f"gunicorn: example_{args.framework}, --preload, {args.workers} gthread workers"
        f" x {args.threads} threads,\n"
        f"  REDIS_MAX_CONNECTIONS={args.threads}: each worker has one shared pool; a thread"
        " borrows a\n"
        "  connection per request and gives it back, so a worker opens at most one\n"
        "  connection per thread, once. The master pings Redis while loading the app\n"
        "  (REDIS_PING_AT_STARTUP=1); each forked worker resets that pool, opens its own."
    )
    with gunicorn(args.framework, url, args, workdir) as app:
        proc, port = app.proc, app.port

        def ready() -> bool:
            if proc.poll() is not None:
                tail = app.output()[-2000:]
                raise DemoError(f"gunicorn exited with {proc.returncode}:\n{tail}")
            try:
                return get(port, "/health", timeout=2)[0] == 200
            except OSError:
                return False

        wait_until(ready, 30, f"gunicorn on port {port}")
        startup = get(port, "/whoami")[1]["startup"]
        console.print(
            f"master pid {proc.pid} loaded the app; its startup connection is CLIENT ID "
            f"{startup['client_id']}\n"
        )

        started = time.monotonic()
        served = drive_load(port, args.requests, args.clients, args.quiet)
        elapsed = time.monotonic() - started
        stats = poll_pools(port, args.workers)
        clients_during = observer.clients()
        received = observer.received() - received_before

        rows = [
            {
                "pid": pid,
                "requests": served.get(pid, 0),
                "created": s["created_connections"],
                "in_use": s["in_use_connections"],
                "idle": s["idle_connections"],
                "other_aliases_created": s["other_aliases_created"],
            }
            for pid, s in sorted(stats.items())
        ]
        table = Table(title=f"{args.requests} requests in {elapsed:.1f}s, per worker process")
        for name in ("worker pid", "requests served", "connections created", "in use", "idle"):
            table.add_column(name, justify="right")
        for row in rows:
            table.add_row(*(str(row[k]) for k in ("pid", "requests", "created", "in_use", "idle")))
        console.print(table)
        # /health (the readiness wait) pings every alias, example_django's "cache" too.
        other = sum(row["other_aliases_created"] for row in rows)
        bound = args.workers * args.threads + 1 + other
        console.print(
            f"Redis server: {clients_during} clients connected ({baseline} before gunicorn);\n"
            f"  {received} connections received during the whole run of {args.requests}"
            " requests:\n"
            f"  at most {args.workers} workers x {args.threads} threads + 1 for the master"
            + (f" + {other} of other aliases (pinged by /health)" if other else "")
            + f" = {bound}, not one per request."
        )
        if received > bound:
            # Only another client of a shared REDIS_URL server, or churn, gets here.
            raise DemoError(f"{received} connections received, more than {bound}")

        # Graceful stop: workers finish, close their pools, the master exits.
        console.print(f"\nSIGTERM to the gunicorn master (pid {proc.pid}) ...")
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
    wait_until(
        lambda: observer.clients() == baseline, 10, f"the server's clients back at {baseline}"
    )
    clients_after = observer.clients()
    console.print(
        f"gunicorn exited with {code}; Redis server clients: {clients_after} (baseline {baseline})."
    )
    return {
        "framework": args.framework,
        "workers": args.workers,
        "threads": args.threads,
        "max_connections": args.threads,
        "requests": args.requests,
        "seconds": round(elapsed, 2),
        "master": {"pid": proc.pid, "client_id": startup["client_id"], "exit_code": code},
        "rows": rows,
        "server": {
            "baseline_clients": baseline,
            "clients_during": clients_during,
            "connections_received": received,
            "connections_bound": bound,
            "clients_after": clients_after,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--framework", choices=sorted(APPS), default="django")
    parser.add_argument("--requests", type=int, default=3000, help="total GET /hits")
    parser.add_argument("--clients", type=int, default=8, help="load-generator threads")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="per worker = max connections")
    parser.add_argument("--json", action="store_true", help="print a JSON summary as last line")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    def terminated(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # unwind the ExitStack: stop what was started

    signal.signal(signal.SIGTERM, terminated)
    try:
        with contextlib.ExitStack() as stack:
            result = run(args, stack)
    except DemoError as exc:
        console.print(f"[red]demo failed:[/red] {exc}")
        return 1
    except KeyboardInterrupt:
        console.print("interrupted: every process the demo started is stopped.")
        return 130
    if args.json:
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
