"""Fork safety with real processes: os.fork, a C-level fork, multiprocessing."""

from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import RedisServer
from redis_pool_integrations import PoolRegistry

MakeRegistry = Callable[..., PoolRegistry]


def run_in_child(
    child: Callable[[], dict[str, Any]], fork: Callable[[], int] = os.fork
) -> dict[str, Any]:
    """Fork, run ``child`` there, and return what it reported through a pipe."""
    read_fd, write_fd = os.pipe()
    pid = fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 0
        try:
            os.close(read_fd)
            os.write(write_fd, json.dumps(child()).encode())
        except BaseException as exc:
            os.write(write_fd, json.dumps({"error": repr(exc)}).encode())
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        report: dict[str, Any] = json.loads(pipe.read())
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, report
    report["child_pid"] = pid
    return report


def child_report(reg: PoolRegistry) -> dict[str, Any]:
    before = reg.stats()["default"]
    client_id = reg.get_redis().client_id()
    return {"pid": os.getpid(), "before": before, "client_id": client_id}


def test_child_gets_its_own_connection_and_parent_keeps_its_own(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})
    parent_id = reg.get_redis().client_id()

    report = run_in_child(lambda: child_report(reg))

    assert report["pid"] == report["child_pid"]
    assert report["before"]["pid"] == report["child_pid"]
    assert report["before"]["resets"] == 1
    assert report["before"]["built"] is False  # the parent's pool was dropped
    assert report["client_id"] != parent_id
    # The parent's very same session survived the child's start and exit.
    assert reg.get_redis().client_id() == parent_id
    redis_server.wait_for_clients(1)
    assert [int(c["id"]) for c in redis_server.clients()] == [parent_id]


def test_pid_check_alone_resets_after_a_fork_without_python_hooks(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    # libc's fork() skips os.register_at_fork hooks, as uWSGI does without
    # --py-call-osafterfork: only the PID check can notice the new process.
    libc_fork = ctypes.CDLL(None, use_errno=True).fork
    reg = make_registry({"default": {"url": redis_server.url}})
    parent_id = reg.get_redis().client_id()

    def child() -> dict[str, Any]:
        hooks_ran = reg._pid == os.getpid()
        return {"hooks_ran": hooks_ran, **child_report(reg)}

    report = run_in_child(child, fork=libc_fork)

    assert report["hooks_ran"] is False
    assert report["before"]["resets"] == 1
    assert report["client_id"] != parent_id
    assert reg.get_redis().client_id() == parent_id


def test_child_closes_inherited_sockets_so_parent_close_reaches_the_server(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})
    reg.get_redis().ping()
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child: has reset, holds no copy, waits
        os.write(ready_w, b"x")
        os.read(done_r, 1)
        os._exit(0)
    os.read(ready_r, 1)
    try:
        reg.close_all()
        # Had the child kept its copy of the socket open, the server would
        # still see the parent's connection until the child exits.
        redis_server.wait_for_clients(0)
    finally:
        os.write(done_w, b"x")
        os.waitpid(pid, 0)
        for fd in (ready_r, ready_w, done_r, done_w):
            os.close(fd)


def test_reset_after_fork_is_an_idempotent_worker_init_hook(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})
    parent_id = reg.get_redis().client_id()

    def worker_process_init() -> dict[str, Any]:  # as Celery's signal handler would
        reg.reset_after_fork()
        reg.reset_after_fork()
        return child_report(reg)

    report = run_in_child(worker_process_init)
    assert report["before"]["resets"] == 1
    assert report["client_id"] != parent_id


def _mp_child(_: int) -> tuple[int, int, int]:
    from redis_pool_integrations import default_registry

    stats = default_registry.stats()["default"]
    return os.getpid(), int(default_registry.get_redis().client_id()), int(stats["resets"])


def test_multiprocessing_fork_children_each_use_their_own_connections(
    redis_server: RedisServer,
) -> None:
    from redis_pool_integrations import default_registry

    default_registry.configure({"default": {"url": redis_server.url}})
    try:
        parent_id = default_registry.get_redis().client_id()
        with multiprocessing.get_context("fork").Pool(3) as pool:
            results = pool.map(_mp_child, range(12), chunksize=1)
        pids = {pid for pid, _, _ in results}
        ids_by_pid = {pid: {cid for p, cid, _ in results if p == pid} for pid in pids}
        assert all(len(ids) == 1 for ids in ids_by_pid.values())  # one connection per child
        child_ids = {next(iter(ids)) for ids in ids_by_pid.values()}
        assert len(child_ids) == len(pids)  # no two processes share a server-side client
        assert parent_id not in child_ids
        assert all(resets == 1 for _, _, resets in results)
        assert default_registry.get_redis().client_id() == parent_id
        redis_server.wait_for_clients(1)
    finally:
        default_registry.configure({})


def test_forkserver_children_of_a_preloaded_app_each_use_their_own_connections(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    # In a subprocess: the forkserver is a per-interpreter singleton.
    script = Path(__file__).with_name("forkserver_scenario.py")
    env = {**os.environ, "SCENARIO_REDIS_URL": redis_server.url}
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    children = report["children"]
    assert len({c["pid"] for c in children}) == 3
    ids = {c["client_id"] for c in children}
    assert len(ids) == len({c["pid"] for c in children})
    assert report["forkserver_client_id"] not in ids
    assert report["parent_client_id"] not in ids
    redis_server.wait_for_clients(0)


def test_a_client_kept_from_before_the_fork_uses_the_childs_registry_pool(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url, "max_connections": 2}})
    held = reg.get_redis()  # e.g. a module global made in a --preload master
    parent_id = held.client_id()

    def child() -> dict[str, Any]:
        child_id = held.client_id()  # through the parent's (now closed) pool object
        stats = reg.stats()["default"]
        return {"client_id": child_id, "requests": stats["requests_num"], "built": stats["built"]}

    report = run_in_child(child)
    # Served by the child's own registry pool (inside its limit and its stats), not
    # by a copy redis-py would have rebuilt out of sight.
    assert report["built"] is True
    assert report["requests"] == 1
    assert report["client_id"] != parent_id
    assert held.client_id() == parent_id  # the parent's connection is untouched
