"""The test bed itself: ports taken safely, servers stopped, observers that never retry."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from harness import PortTaken, RedisServer, admin_client, pick_port
from harness.ports import CLUSTER_BUS_OFFSET


@pytest.fixture
def taken_port(server_factory: Callable[..., RedisServer]) -> int:
    """A loopback port another redis-server listens on (say, another test run's)."""
    return server_factory().port


def test_start_moves_to_another_port_when_the_picked_one_is_taken(
    tmp_path: Path, taken_port: int
) -> None:
    server = RedisServer(tmp_path / "r")
    taken = taken_port
    server.port = taken  # as if someone bound it between the pick and the start
    server.start()
    try:
        assert server.port != taken
        assert int(server.admin().info("server")["process_id"]) == server.proc.pid
        assert "Address already in use" in (tmp_path / "r" / f"redis-{taken}.log").read_text()
    finally:
        server.stop()


def test_start_on_an_explicit_port_that_is_taken_says_so(tmp_path: Path, taken_port: int) -> None:
    taken = taken_port
    server = RedisServer(tmp_path / "r", port=taken)
    with pytest.raises(PortTaken, match=f"port {taken} is taken"):
        server.start()
    assert server.proc is None


def test_restart_comes_back_on_the_same_port(redis_server: RedisServer) -> None:
    port = redis_server.port
    redis_server.admin().set("k", "v")
    redis_server.restart()
    assert redis_server.port == port
    assert redis_server.admin().get("k") is None  # a new process: nothing persisted


def test_stop_ends_the_process_even_when_paused(redis_server: RedisServer) -> None:
    proc = redis_server.proc
    assert proc is not None
    redis_server.pause()
    redis_server.stop()
    assert proc.poll() is not None
    with pytest.raises(redis.ConnectionError):
        admin_client(redis_server.port).ping()


def test_cluster_ports_leave_room_for_a_free_bus_port() -> None:
    for _ in range(20):
        port = pick_port(cluster_bus=True)
        assert port + CLUSTER_BUS_OFFSET <= 65535
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port + CLUSTER_BUS_OFFSET))


def test_observer_clients_never_retry(redis_server: RedisServer) -> None:
    client = admin_client(redis_server.port)
    try:
        retry = client.get_connection_kwargs()["retry"]
        assert retry.get_retries() == 0
        assert client.get_connection_kwargs()["socket_connect_timeout"] <= 1
    finally:
        client.close()
