"""Single-process asyncio throughput: ``python -m benchmarks.aio [--quick] [--out DIR]``.

GET of one 100-byte key on one redis-server of its own, in one event loop:
ours (``get_async_redis().get(k)``, the accessor looked up per op) against a
module-global ``redis.asyncio.Redis`` on ``BlockingConnectionPool`` and on
``ConnectionPool``, with 1 task (sequential awaits) and 32 concurrent tasks.
Interleaved rounds in a rotated order, medians, and per-round ratios to ours;
writes ``aio.json`` and ``aio.md`` to ``--out`` (default benchmarks/results).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import redis.asyncio

from harness import RedisServer
from redis_pool_integrations import PoolRegistry

HERE = Path(__file__).resolve().parent
VALUE = b"x" * 100
#: The issue's targets for ours against the global BlockingConnectionPool.
TARGET = 0.97

Get = Callable[[], Awaitable[Any]]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    p.add_argument("--out", type=Path, help="results folder (default benchmarks/results)")
    p.add_argument("--rounds", type=int, help="measured rounds")
    p.add_argument("--ops", type=int, help="GETs per measurement")
    args = p.parse_args(argv)
    args.rounds = args.rounds or (3 if args.quick else 15)
    args.ops = args.ops or (500 if args.quick else 5000)
    args.out = args.out or (HERE / "results" / ("quick" if args.quick else ""))
    return args


async def measure(get: Get, ops: int, tasks: int) -> float:
    """ops/s of ``ops`` GETs split over ``tasks`` concurrent tasks."""

    async def worker(n: int) -> None:
        for _ in range(n):
            await get()

    started = time.perf_counter()
    await asyncio.gather(*(worker(ops // tasks) for _ in range(tasks)))
    return (ops // tasks * tasks) / (time.perf_counter() - started)


async def run_all(url: str, args: argparse.Namespace) -> dict[str, Any]:
    reg = PoolRegistry({"default": {"url": url}})
    blocking = redis.asyncio.Redis(
        connection_pool=redis.asyncio.BlockingConnectionPool.from_url(url, max_connections=50)
    )
    plain = redis.asyncio.Redis(
        connection_pool=redis.asyncio.ConnectionPool.from_url(url, max_connections=50)
    )
    contenders: dict[str, tuple[str, Get]] = {
        "ours": ("ours: `get_async_redis().get(k)` per op", lambda: reg.get_async_redis().get("k")),
        "blocking": ("redis.asyncio BlockingConnectionPool (global)", lambda: blocking.get("k")),
        "plain": ("redis.asyncio ConnectionPool (global)", lambda: plain.get("k")),
    }
    await blocking.set("k", VALUE)
    out: dict[str, Any] = {}
    try:
        for tasks in (1, 32):
            names = list(contenders)
            for name in names:  # warm-up: connections opened, code paths hot
                await measure(contenders[name][1], min(args.ops, 500), tasks)
            rounds: dict[str, list[float]] = {name: [] for name in names}
            for r in range(args.rounds):
                k = r % len(names)
                for name in names[k:] + names[:k]:
                    rounds[name].append(await measure(contenders[name][1], args.ops, tasks))
            out[str(tasks)] = {
                name: {
                    "label": contenders[name][0],
                    "ops_s": statistics.median(rounds[name]),
                    "vs_ours": statistics.median(
                        o / t for o, t in zip(rounds["ours"], rounds[name], strict=True)
                    ),
                    "rounds": rounds[name],
                }
                for name in names
            }
    finally:
        # Pools handed to a client are not closed by the client's aclose().
        await blocking.connection_pool.aclose()
        await plain.connection_pool.aclose()
        await reg.aclose_all()
    return out


def markdown(data: dict[str, Any]) -> str:
    lines = [
        "| asyncio GET ops/s (median) | 1 task | 32 tasks | ours ÷ it, 1 task | ours ÷ it, 32 |",
        "| --- | --- | --- | --- | --- |",
    ]
    one, many = data["results"]["1"], data["results"]["32"]
    for name, entry in one.items():
        lines.append(
            f"| {entry['label']} | {entry['ops_s']:,.0f} | {many[name]['ops_s']:,.0f} "
            f"| {entry['vs_ours']:.3f} | {many[name]['vs_ours']:.3f} |"
        )
    lines.append("")
    lines.append(
        f"{data['rounds']} interleaved rounds of {data['ops']:,} GETs; target: ours ÷ "
        f"BlockingConnectionPool ≥ {TARGET}."
    )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-aio-") as workdir:
        server = RedisServer(Path(workdir) / "redis").start()
        try:
            results = asyncio.run(run_all(server.url, args))
        finally:
            server.stop()
    data = {"rounds": args.rounds, "ops": args.ops, "target": TARGET, "results": results}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "aio.json").write_text(json.dumps(data, indent=2) + "\n")
    text = markdown(data)
    (args.out / "aio.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
