"""override_settings(REDIS_POOLS=...) under load: exactly once, old pools closed.

Also: the core accessor and the Django accessors agree in a configured process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from django.test import override_settings

import redis_pool_integrations
from harness import RedisServer, wait_until
from redis_pool_integrations import default_registry as registry
from redis_pool_integrations.django import get_pool, get_redis


def _count(server: RedisServer) -> int:
    return int(server.admin().get("n") or 0)


def test_override_settings_under_load_applies_each_incr_once_and_closes_old_pools(
    pools: dict[str, object], redis_server: RedisServer, server_factory: Callable[..., RedisServer]
) -> None:
    first, second = redis_server, server_factory()
    acks = [0] * 8
    errors: list[BaseException] = []
    stop = threading.Event()

    def work(i: int) -> None:
        while not stop.is_set():
            try:
                get_redis().incr("n")
            except BaseException as exc:  # every error fails the test
                errors.append(exc)
                return
            acks[i] += 1

    def progress(n: int = 200) -> None:
        start = sum(acks)
        wait_until(lambda: errors or sum(acks) >= start + n, message=f"{n} more INCRs")
        assert not errors, errors

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(8)]
    for t in threads:
        t.start()
    try:
        progress()
        for _ in range(3):
            with override_settings(REDIS_POOLS={"default": {"URL": second.url}}):
                first.wait_for_clients(0)  # the replaced pool closed under load
                at_first = _count(first)
                progress()
                assert _count(first) == at_first  # nothing reached it while overridden
            second.wait_for_clients(0)  # leaving the override closes that pool too
            at_second = _count(second)
            progress()
            assert _count(second) == at_second
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not errors, errors
    assert _count(first) + _count(second) == sum(acks)
    assert _count(second) > 0


def test_core_accessor_works_in_a_fresh_django_process_before_any_django_call(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    # What a Celery task in the same project does: only the core accessor.
    (tmp_path / "celery_settings.py").write_text(
        "from tests.test_django.settings import *\n"
        f"REDIS_POOLS = {{'default': {{'URL': {redis_server.url!r}}}}}\n"
    )
    script = (
        "import django\n"
        "django.setup()\n"
        "import redis_pool_integrations\n"
        "from redis_pool_integrations.django import get_redis\n"
        "client = redis_pool_integrations.get_redis()\n"
        "assert client.incr('celery') == 1\n"
        "assert client is get_redis()\n"
        "print('ok')\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "celery_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(Path.cwd())]),
    }
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
    assert redis_server.admin().get("celery") == b"1"


def test_core_and_django_accessors_agree(
    pools: dict[str, object], redis_server: RedisServer
) -> None:
    client = redis_pool_integrations.get_redis()
    assert client.ping()
    assert client is get_redis()
    assert redis_pool_integrations.get_pool() is get_pool()
    assert registry.stats()["default"]["url"] == redis_server.url
