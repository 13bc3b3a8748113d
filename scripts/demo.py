"""Show one shared pool per alias per process across a pre-forked set of workers.

Starts its own redis-server on a free loopback port (or uses REDIS_URL), loads
the "app" in a master that touches Redis (as gunicorn --preload does), forks
workers that each serve requests from several threads, then prints what each
worker's pool and the server saw.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack

import redis

from redis_pool_integrations import PoolRegistry


def start_redis(stack: ExitStack) -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    workdir = stack.enter_context(tempfile.TemporaryDirectory())
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed: run `make demo`, which installs it.")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", workdir],
        stdout=subprocess.DEVNULL,
    )
    stack.callback(proc.wait, 10)
    stack.callback(proc.terminate)
    admin = redis.Redis(port=port, client_name="demo-admin")
    deadline = time.monotonic() + 10
    while True:
        try:
            admin.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                sys.exit("redis-server did not start")
            time.sleep(0.02)
    admin.close()
    return f"redis://127.0.0.1:{port}/0"


def worker(reg: PoolRegistry, requests: int, threads: int, out: int) -> None:
    def serve() -> None:
        for _ in range(requests // threads):
            reg.get_redis().incr("hits")

    pool_threads = [threading.Thread(target=serve) for _ in range(threads)]
    for t in pool_threads:
        t.start()
    for t in pool_threads:
        t.join()
    stats = reg.stats()["default"]
    stats["client_id"] = reg.get_redis().client_id()
    os.write(out, (json.dumps(stats) + "\n").encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--requests", type=int, default=2000, help="per worker")
    args = parser.parse_args()
    with ExitStack() as stack:
        url = os.environ.get("REDIS_URL") or start_redis(stack)
        admin = redis.Redis.from_url(url, client_name="demo-admin")
        baseline = len(admin.client_list(_type="normal")) - 1
        received_before = int(admin.info("stats")["total_connections_received"])

        reg = PoolRegistry({"default": {"url": url, "max_connections": args.threads}})
        master_id = reg.get_redis().client_id()  # the master touches Redis while loading
        read_fd, write_fd = os.pipe()
        pids = []
        for _ in range(args.workers):
            pid = os.fork()
            if pid == 0:
                os.close(read_fd)
                worker(reg, args.requests, args.threads, write_fd)
                reg.close_all()
                os._exit(0)
            pids.append(pid)
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            rows = [json.loads(line) for line in pipe]
        for pid in pids:
            os.waitpid(pid, 0)

        print(
            f"master pid {os.getpid()}: CLIENT ID {master_id} before and "
            f"{reg.get_redis().client_id()} after the workers ran"
        )
        print(
            f"{'worker pid':>10} {'requests':>9} {'created':>8} {'in use':>7} "
            f"{'idle':>5} {'resets':>7} {'CLIENT ID':>10}"
        )
        for row in rows:
            print(
                f"{row['pid']:>10} {args.requests:>9} {row['created_connections']:>8} "
                f"{row['in_use_connections']:>7} {row['idle_connections']:>5} "
                f"{row['resets']:>7} {row['client_id']:>10}"
            )
        received = int(admin.info("stats")["total_connections_received"]) - received_before
        total = args.workers * args.requests
        print(
            f"server: {received} connections received for {total} requests "
            f"(the master's 1 plus at most workers x threads), hits={admin.get('hits')!r}"
        )
        reg.close_all()
        after = len(admin.client_list(_type="normal")) - 1
        print(f"server clients: baseline {baseline}, after close_all {after}")
        admin.close()


if __name__ == "__main__":
    main()
