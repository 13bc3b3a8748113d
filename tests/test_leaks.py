"""Leak warnings with real leaks: the WARNING names the alias, thread and stack while held."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness import RedisServer, wait_until
from redis_pool_integrations import PoolRegistry, SharedConnectionPool, leaks

ROOT = Path(__file__).resolve().parent.parent
THRESHOLD = 0.3
# Kept at module level on purpose: the "pipeline after WATCH kept in a global" leak.
KEPT: list[Any] = []


def leak_warnings(caplog: pytest.LogCaptureFixture, alias: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "redis_pool_integrations"
        and r.levelno == logging.WARNING
        and r.getMessage().startswith(f"pool {alias!r}: a connection has been checked out")
    ]


@pytest.fixture
def registry(redis_server: RedisServer, make_registry: Callable[..., PoolRegistry]) -> PoolRegistry:
    return make_registry(
        {
            "watched": {"url": redis_server.url, "leak_warning_seconds": THRESHOLD},
            "plain": {"url": redis_server.url},
        }
    )


def test_pools_without_the_setting_get_no_observer(registry: PoolRegistry) -> None:
    # No observer of its own (the class's, the metrics', may be on in this process).
    assert "observer" not in vars(registry.get_pool("plain"))
    assert isinstance(registry.get_pool("watched").observer, leaks.LeakObserver)


def subscribe_and_forget(registry: PoolRegistry) -> Any:
    pubsub = registry.get_redis("watched").pubsub()
    pubsub.subscribe("news")
    return pubsub


def test_unclosed_pubsub_is_reported_while_still_held(
    registry: PoolRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "redis_pool_integrations")
    pubsub = subscribe_and_forget(registry)
    pool = registry.get_pool("watched")
    try:
        [message] = wait_until(lambda: leak_warnings(caplog, "watched"), 10, "a leak warning")
        assert pool.counters().in_use == 1  # reported while the leak is still there
        assert f"thread {threading.current_thread().name!r}" in message
        assert "LEAK_WARNING_SECONDS is 0.3" in message
        # The stack names the caller's code, not redis-py's or ours.
        assert "in subscribe_and_forget" in message
        assert 'pubsub.subscribe("news")' in message
        assert "in test_unclosed_pubsub_is_reported_while_still_held" in message
        assert "redis/client.py" not in message
    finally:
        pubsub.close()
    assert pool.counters().in_use == 0
    assert leaks.held() == []


def test_watched_pipeline_kept_in_a_global_is_reported(
    registry: PoolRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "redis_pool_integrations")
    pipe = registry.get_redis("watched").pipeline()
    pipe.watch("balance")
    KEPT.append(pipe)
    try:
        [message] = wait_until(lambda: leak_warnings(caplog, "watched"), 10, "a leak warning")
        assert 'pipe.watch("balance")' in message
    finally:
        KEPT.pop().reset()
    assert registry.get_pool("watched").counters().in_use == 0


def test_blocking_command_abandoned_by_its_thread_names_that_thread(
    registry: PoolRegistry, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "redis_pool_integrations")
    client = registry.get_redis("watched")
    consumer = threading.Thread(
        target=lambda: client.blpop(["jobs"], timeout=0), name="forgotten-consumer", daemon=True
    )
    consumer.start()
    try:
        [message] = wait_until(lambda: leak_warnings(caplog, "watched"), 10, "a leak warning")
        assert "by thread 'forgotten-consumer'" in message
        assert "client.blpop" in message
    finally:
        redis_server.admin().rpush("jobs", "stop")
        consumer.join(10)
    assert not consumer.is_alive()


def test_short_holds_and_connections_held_on_purpose_are_not_reported(
    registry: PoolRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "redis_pool_integrations")
    client = registry.get_redis("watched")
    for _ in range(20):
        client.ping()
    pubsub = client.pubsub()
    pubsub.subscribe("news")
    leaks.expect_held(pubsub)
    try:
        # A second, unmarked leak is the signal that the watcher has looked.
        other = subscribe_and_forget(registry)
        wait_until(lambda: leak_warnings(caplog, "watched"), 10, "the unmarked leak's warning")
        assert len(leak_warnings(caplog, "watched")) == 1
        other.close()
    finally:
        pubsub.close()


def test_request_end_warning_names_the_request(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    from flask import Flask

    from redis_pool_integrations.flask import RedisPools
    from redis_pool_integrations.flask.leaks import warn_leaks_at_teardown

    caplog.set_level(logging.WARNING, "redis_pool_integrations")
    ext = RedisPools()
    app = Flask("leaky")
    app.testing = True  # no W300 (socket_timeout) advice among the records
    app.config.update(REDIS_URL=redis_server.url, REDIS_LEAK_WARNING_SECONDS=60)
    ext.init_app(app)
    warn_leaks_at_teardown(app)

    @app.route("/leak")
    def leak() -> str:
        pubsub = ext.get_redis().pubsub()
        pubsub.subscribe("news")
        KEPT.append(pubsub)
        return "ok"

    @app.route("/fine")
    def fine() -> str:
        ext.get_redis().ping()
        return "ok"

    try:
        client = app.test_client()
        assert client.get("/fine").status_code == 200
        assert not caplog.records
        assert client.get("/leak").status_code == 200
        [record] = caplog.records
        message = record.getMessage()
        assert message.startswith("pool 'default': request GET /leak ended with a connection")
        assert 'pubsub.subscribe("news")' in message
    finally:
        KEPT.pop().close()
        ext.get_registry(app=app).close_all()


def test_forked_child_warns_for_its_own_leaks_only(registry: PoolRegistry, tmp_path: Path) -> None:
    parent_leak = subscribe_and_forget(registry)  # starts the watcher in the parent
    log = tmp_path / "child.log"
    pid = os.fork()
    if pid == 0:  # the child: must not inherit the parent's record, must warn for its own
        code = 1
        try:
            handler = logging.FileHandler(log)
            logging.getLogger("redis_pool_integrations").addHandler(handler)
            child_leak = subscribe_and_forget(registry)
            wait_until(lambda: "checked out" in log.read_text(), 10, "the child's warning")
            code = 0 if child_leak is not None else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    parent_leak.close()
    assert os.waitstatus_to_exitcode(status) == 0
    text = log.read_text()
    assert text.count("checked out for") == 1  # the child's leak only, not the parent's


@pytest.mark.parametrize("order", ["patch-first", "import-first"])
def test_watcher_under_gevent_reports_a_leak(redis_server: RedisServer, order: str) -> None:
    pytest.importorskip("gevent")
    out = subprocess.run(
        [sys.executable, "-m", "tests.gevent_leak_scenario", redis_server.url, order],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["patched_threading"] is True
    assert result["warned_while_held"] is True
    assert result["watcher_greenlet"] is True
    assert "in leak" in result["message"]


def test_leak_warning_seconds_is_checked() -> None:
    from redis_pool_integrations.config import validate

    for bad in (0, -1, "soon", float("nan")):
        [problem] = validate({"a": {"url": "redis://h:6379/0", "leak_warning_seconds": bad}})
        assert problem.code == "E014"
    assert validate({"a": {"url": "redis://h:6379/0", "leak_warning_seconds": "2.5"}}) == []


def test_class_observer_still_called_for_watched_pools(registry: PoolRegistry) -> None:
    seen: list[str] = []

    class Spy:
        def __call__(self, pool: Any, event: str, conn: Any, waited: Any) -> None:
            seen.append(event)

    before = SharedConnectionPool.observer
    SharedConnectionPool.observer = Spy()
    try:
        registry.get_redis("watched").ping()
    finally:
        SharedConnectionPool.observer = before
    assert seen == ["checkout", "release"]
