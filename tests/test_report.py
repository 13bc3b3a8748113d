"""The core report both command-line tools print, and the PING timeout they accept."""

from __future__ import annotations

import json
import math
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from harness import RedisServer, pick_port
from redis_pool_integrations import PoolNotFoundError, PoolRegistry
from redis_pool_integrations._report import (
    EXIT_PING_FAILED,
    ping_timeout,
    pool_report,
    stats_table,
)

MakeRegistry = Callable[..., PoolRegistry]


def test_stats_table_aligns_one_row_per_alias_with_extra_columns() -> None:
    stats = {
        "default": {"url": "redis://:***@h:6379/0", "max_connections": 10, "built": True,
                    "created_connections": 2, "in_use_connections": 1, "idle_connections": 1,
                    "exhausted": 0, "breaker_state": "open", "pid": 42, "ping": "ok"},
        "c": {"url": "redis://h/1", "max_connections": 5, "built": False,
              "created_connections": 0, "in_use_connections": 0, "idle_connections": 0,
              "exhausted": 0, "breaker_state": "off", "pid": 42},
    }  # fmt: skip
    lines = stats_table(stats, [("ping", "ping")]).splitlines()
    assert [line.split() for line in lines] == [
        ["alias", "url", "max", "built", "created", "in_use", "idle", "exhausted", "breaker",
         "pid", "ping"],
        ["default", "redis://:***@h:6379/0", "10", "True", "2", "1", "1", "0", "open", "42",
         "ok"],
        ["c", "redis://h/1", "5", "False", "0", "0", "0", "0", "off", "42"],
    ]  # fmt: skip
    # Columns line up: every cell of a column starts at the same offset.
    assert lines[0].index("max") == lines[1].index("10") == lines[2].index("5")


@pytest.mark.parametrize("value", [0, 0.0, -1, -0.5, math.nan, math.inf, "nan", "", None, True])
def test_ping_timeout_refuses_what_a_socket_cannot_wait_for(value: object) -> None:
    with pytest.raises(ValueError, match=r"greater than 0, got .*Pass e\.g\. --timeout 2"):
        ping_timeout(value)


@pytest.mark.parametrize(("value", "seconds"), [(1, 1.0), (0.25, 0.25), ("3", 3.0)])
def test_ping_timeout_accepts_positive_seconds(value: object, seconds: float) -> None:
    assert ping_timeout(value) == seconds


@pytest.mark.parametrize("timeout", [0, -1.0, math.nan])
def test_registry_ping_refuses_a_bad_timeout_before_any_connection(
    redis_server: RedisServer, make_registry: MakeRegistry, timeout: float
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})
    with pytest.raises(ValueError, match="greater than 0"):
        reg.ping(timeout=timeout)
    assert redis_server.client_count() == 0
    assert reg.stats()["default"]["built"] is False


def test_registry_ping_reports_redis_and_os_errors_instead_of_raising(
    server_factory: Callable[..., RedisServer], make_registry: MakeRegistry, tmp_path: Path
) -> None:
    up = server_factory()
    auth = server_factory("--requirepass", "right-pw")
    refused = f"redis://127.0.0.1:{pick_port()}/0"
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        reg = make_registry(
            {
                "up": {"url": up.url},
                "refused": {"url": refused},
                "wrong_pw": {"url": f"redis://:wrong-pw@127.0.0.1:{auth.port}/0"},
                "silent": {"url": f"redis://127.0.0.1:{silent.getsockname()[1]}/0"},
                "no_socket": {"url": f"unix://{tmp_path / 'absent.sock'}"},
            }
        )
        results = reg.ping(timeout=0.5)
    assert results["up"] is None
    assert (results["refused"] or "").startswith("ConnectionError")
    assert (results["wrong_pw"] or "").startswith("AuthenticationError")
    assert (results["silent"] or "").startswith("TimeoutError")
    assert (results["no_socket"] or "").startswith("ConnectionError")
    assert "wrong-pw" not in repr(results)


def test_pool_report_decides_rows_failure_and_exit_code(
    server_factory: Callable[..., RedisServer], make_registry: MakeRegistry
) -> None:
    up = server_factory()
    reg = make_registry(
        {"default": {"url": up.url}, "gone": {"url": f"redis://127.0.0.1:{pick_port()}/0"}}
    )
    plain = pool_report(reg)
    assert (plain.pinged, plain.failed, plain.exit_code, plain.failure) == (False, (), 0, None)
    assert "ping" not in plain.rows["default"]
    assert plain.rows == reg.stats()

    pinged = pool_report(reg, ["gone", "default", "gone"], ping=True, timeout=1)
    assert list(pinged.rows) == ["gone", "default"]  # asked order, once each
    assert pinged.rows["default"]["ping"] == "ok"
    assert pinged.rows["gone"]["ping"].startswith("failed: ConnectionError")
    assert pinged.failed == ("gone",)
    assert pinged.exit_code == EXIT_PING_FAILED
    assert pinged.failure == "1 of 2 alias(es) did not answer PING: 'gone'"
    assert pinged.table().splitlines()[0].split()[-1] == "ping"
    assert json.loads(pinged.json())["gone"]["ping"] == pinged.rows["gone"]["ping"]
    assert reg.stats()["default"]["built"] is False  # one-off connections only

    with pytest.raises(PoolNotFoundError, match="'nope' is not configured"):
        pool_report(reg, ["nope"], ping=True)


def test_registry_ping_through_the_shared_pool_reports_instead_of_raising(
    server_factory: Callable[..., RedisServer], make_registry: MakeRegistry
) -> None:
    # timeout=None: what a worker's /health does. A refused server, a wrong
    # password and a pool whose only connection is busy all come back as text.
    up = server_factory()
    auth = server_factory("--requirepass", "right-pw")
    reg = make_registry(
        {
            "refused": {"url": f"redis://127.0.0.1:{pick_port()}/0"},
            "wrong_pw": {"url": f"redis://:wrong-pw@127.0.0.1:{auth.port}/0"},
            "busy": {"url": up.url, "max_connections": 1, "timeout": 0.2},
        }
    )
    held = reg.get_pool("busy").get_connection()
    try:
        results = reg.ping()
    finally:
        reg.get_pool("busy").release(held)
    assert (results["refused"] or "").startswith("ConnectionError")
    assert (results["wrong_pw"] or "").startswith("AuthenticationError")
    assert (results["busy"] or "").startswith("PoolExhaustedError: pool 'busy'")
    assert "wrong-pw" not in repr(results)
    assert reg.ping(["busy"]) == {"busy": None}  # released: it answers again
