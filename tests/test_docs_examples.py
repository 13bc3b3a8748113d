"""The docs' runnable examples run as written, and the reference pages are complete.

The quick start and the multiprocessing example are included in the pages with
``literalinclude`` from docs/examples/, so what is tested here is what readers copy.
"""

from __future__ import annotations

import importlib
import json
import re
import runpy
from pathlib import Path

import pytest
import redis

from harness import RedisServer
from redis_pool_integrations import default_registry
from redis_pool_integrations.config import CODES

DOCS = Path(__file__).resolve().parent.parent / "docs"
EXAMPLES = DOCS / "examples"


def test_quickstart_core_runs_on_at_most_max_connections(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    before = redis_server.total_connections_received()

    runpy.run_path(str(EXAMPLES / "quickstart_core.py"), run_name="__main__")

    out = capsys.readouterr().out
    assert "hits: 20\n" in out
    match = re.search(r"connections: (\d+) of at most 4 in pid", out)
    assert match, out
    created = int(match.group(1))
    assert 1 <= created <= 4
    # Counted at the server: 20 threads opened no more than max_connections.
    assert redis_server.total_connections_received() - before == created
    # `with pools:` closed them all.
    redis_server.wait_for_clients(0)


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_multiprocessing_example_builds_one_pool_per_worker(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    # spawn/forkserver children import the example by name: put it on the
    # path the children inherit.
    monkeypatch.syspath_prepend(str(EXAMPLES))
    example = importlib.import_module("multiprocessing_pools")
    before = redis_server.total_connections_received()

    pids = example.main(redis_server.url, method)

    assert redis_server.admin().get("mp:hits") == b"10"
    assert 1 <= len(pids) <= 2
    # One connection per worker that ran a task (tasks run one at a time in a
    # worker), none from this parent process.
    assert redis_server.total_connections_received() - before == len(pids)
    redis_server.wait_for_clients(0)


def test_django_quickstart_puts_views_and_the_cache_with_sessions_on_two_databases(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.core.cache import caches
    from django.test import RequestFactory, override_settings

    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{redis_server.port}/0")
    monkeypatch.setenv("REDIS_CACHE_URL", f"redis://127.0.0.1:{redis_server.port}/1")
    monkeypatch.syspath_prepend(str(EXAMPLES))
    conf = runpy.run_path(str(EXAMPLES / "django_settings.py"))
    assert "redis_pool_integrations.django" in conf["INSTALLED_APPS"]
    views = importlib.import_module("django_views")
    requests = RequestFactory()
    cache_db = redis.Redis(port=redis_server.port, db=1)  # the quick start's cache database
    cache_db.ping()
    before = redis_server.total_connections_received()

    with override_settings(
        REDIS_POOLS=conf["REDIS_POOLS"],
        CACHES=conf["CACHES"],
        SESSION_ENGINE=conf["SESSION_ENGINE"],
    ):
        try:
            assert json.loads(views.hits(requests.get("/hits")).content)["hits"] == 1
            assert json.loads(views.hits(requests.get("/hits")).content)["hits"] == 2
            response = SessionMiddleware(views.visits)(requests.get("/visits"))
            assert json.loads(response.content) == {"visits": 1}
            assert "sessionid" in response.cookies
            stats = default_registry.stats()
            sessions_in_cache_db = [k for k in cache_db.keys("*") if b"sessions" in k]
            caches["default"].clear()  # FLUSHDB of the cache's database only
        finally:
            default_registry.close_all()

    # The counter went through one connection of "default", the cache entry
    # and the session through one of "cache": counted at the server.
    assert stats["default"]["created_connections"] == 1
    assert stats["cache"]["created_connections"] == 1
    assert redis_server.total_connections_received() - before == 2
    admin = redis_server.admin()
    assert admin.get("hits") == b"2"
    assert len(sessions_in_cache_db) == 1
    assert not any(b"sessions" in key for key in admin.keys("*"))
    assert cache_db.dbsize() == 0  # clear() emptied the cache's database, not the counter's
    cache_db.close()
    redis_server.wait_for_clients(0)


def test_django_lazy_client_builds_no_pool_until_used(redis_server: RedisServer) -> None:
    # docs/operations.rst: redis_pool_integrations.django.lazy_redis() at start-up.
    from django.test import override_settings

    from redis_pool_integrations.django import lazy_redis

    with override_settings(REDIS_POOLS={"default": {"URL": redis_server.url}}):
        try:
            client = lazy_redis("default")
            assert default_registry.stats()["default"]["built"] is False
            assert redis_server.client_count() == 0
            assert client.ping() is True
            assert default_registry.stats()["default"]["created_connections"] == 1
        finally:
            default_registry.close_all()
    redis_server.wait_for_clients(0)


def test_flask_quickstart_serves_hits_on_one_pool_and_the_cli_works(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.syspath_prepend(str(EXAMPLES))
    example = importlib.import_module("flask_app")
    app = example.create_app()
    before = redis_server.total_connections_received()
    try:
        client = app.test_client()
        assert client.get("/hits").get_json()["hits"] == 1
        assert client.get("/hits").get_json()["hits"] == 2
        result = app.test_cli_runner().invoke(args=["redis-pools", "ping", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["default"]["ping"] == "ok"
        result = app.test_cli_runner().invoke(args=["redis-pools", "stats", "--json"])
        assert json.loads(result.output)["default"]["created_connections"] == 1
    finally:
        example.redis_pools.get_registry(app=app).close_all()

    # The shared pool's one connection, and the CLI ping's one-off connection.
    assert redis_server.total_connections_received() - before == 2
    redis_server.wait_for_clients(0)


def test_flask_keys_in_the_configuration_reference_exist() -> None:
    from redis_pool_integrations.flask.extension import DEFAULT_KEYS, POOLS_KEY

    text = (DOCS / "configuration.rst").read_text()
    named = set(re.findall(r"\bREDIS_[A-Z_]+\b", text)) - {"REDIS_POOLS"}
    # REDIS_POOLS is Django's setting too; every other REDIS_* key is Flask's flat
    # spelling for the default alias and must be one read_config() reads.
    assert named == set(DEFAULT_KEYS.values())
    assert POOLS_KEY == "REDIS_POOLS"


def _codes_in_table(text: str) -> list[str]:
    # Rows of the list-table in configuration.rst start with "   * - ``E001``".
    return re.findall(r"^\s*\* - ``([EW]\d{3})``", text, flags=re.M)


def test_configuration_reference_lists_every_problem_code_once() -> None:
    # The core's codes and the Flask-only ones (Django-only ids have their own
    # table in operations.rst, kept by tests/test_django/test_checks.py).
    from redis_pool_integrations.flask.extension import FLASK_CODES

    codes = {**CODES, **FLASK_CODES}
    text = (DOCS / "configuration.rst").read_text()
    listed = _codes_in_table(text)
    assert sorted(listed) == sorted(codes)
    assert len(listed) == len(set(listed))
    for code, meaning in codes.items():
        # Each row carries the meaning from CODES, so the two cannot drift apart.
        assert re.search(rf"``{code}``\n\s*- {re.escape(meaning)}\n", text), code


def test_api_reference_documents_every_public_name() -> None:
    import redis_pool_integrations.django
    import redis_pool_integrations.flask

    text = (DOCS / "api.rst").read_text()
    documented = set(
        re.findall(
            r"^\.\. (?:auto)?(?:class|function|data|exception)::\s+(?:[\w.]+\.)?(\w+)$", text, re.M
        )
    )
    for package in (
        redis_pool_integrations,
        redis_pool_integrations.django,
        redis_pool_integrations.flask,
    ):
        missing = set(package.__all__) - documented
        assert not missing, f"{package.__name__}: {sorted(missing)} not in docs/api.rst"
