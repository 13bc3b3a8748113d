"""The contenders: each one way of reaching Redis from application code.

Every contender exposes the same two per-operation callables, ``get(key)`` and
``set(key, value)``, written the way an application would write them: the
accessor (``get_redis()``, ``caches[alias]``, the module-global client, the
extension object) is looked up on every call, as it would be in a view.
A contender whose library is not installed is skipped with a reason, never
silently dropped.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import redis

#: The same 100-byte payload for every contender.
VALUE = b"v" * 100
GET_KEY = "bench:get"
SET_KEY = "bench:set"

#: (name, label, note), in the order tables and charts show them.
CONTENDERS: list[tuple[str, str, str]] = [
    ("ours", "ours: get_redis() per op", "SharedConnectionPool, library defaults (50 max)"),
    (
        "ours_django_cache",
        "ours: Django RedisPoolCache",
        "caches[alias] per op; LOCATION = a REDIS_POOLS alias",
    ),
    ("redis_pool", "redis-py ConnectionPool (global)", "module-global Redis, pool defaults"),
    (
        "redis_blocking",
        "redis-py BlockingConnectionPool (global)",
        "module-global Redis, max_connections=50",
    ),
    ("django_redis", "django-redis RedisCache", "caches[alias] per op; pickles values"),
    (
        "django_builtin",
        "Django built-in RedisCache",
        "caches[alias] per op; one cache object (and pool) per thread",
    ),
    ("flask_redis", "flask-redis FlaskRedis", "extension object per op, inside an app context"),
    ("naive", "new Redis.from_url per op", "connect, run, close: the naive pattern"),
]
NAMES = [name for name, _, _ in CONTENDERS]
LABELS = {name: label for name, label, _ in CONTENDERS}
NOTES = {name: note for name, _, note in CONTENDERS}


class Skipped(Exception):
    """A contender that cannot run here; the message says why."""


@dataclass
class Contender:
    """One way of reaching Redis, ready to run operations."""

    name: str
    get: Callable[[str], Any]
    set: Callable[[str, bytes], Any]
    #: Entered once per thread per measurement (Flask's app context).
    thread_context: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext
    close: Callable[[], None] = field(default=lambda: None)

    @property
    def label(self) -> str:
        return LABELS[self.name]


_django_ready: str | None = None  # None: not yet set up; "" ok; else the failure


def setup_django(url: str) -> None:
    """Configure Django once per process with every Django cache contender."""
    global _django_ready
    if _django_ready is not None:
        if _django_ready:
            raise Skipped(_django_ready)
        return
    try:
        import django
        from django.conf import settings
    except ImportError as exc:
        _django_ready = f"Django is not installed ({exc})"
        raise Skipped(_django_ready) from None
    apps = []
    # Our Django app lands on main separately; list it only where it exists.
    if importlib.util.find_spec("redis_pool_integrations.django") is not None:
        apps.append("redis_pool_integrations.django")
    settings.configure(
        DEBUG=False,
        INSTALLED_APPS=apps,
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "django_redis": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url},
            "django_builtin": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
            },
            # --- our Django cache backend (redis_pool_integrations.django.cache) ---
            "ours_django_cache": {
                "BACKEND": "redis_pool_integrations.django.cache.RedisPoolCache",
                "LOCATION": "default",
            },
        },
        REDIS_POOLS={"default": {"URL": url}},
    )
    try:
        django.setup()
    except Exception as exc:
        _django_ready = f"django.setup() failed: {exc!r}"
        raise Skipped(_django_ready) from None
    _django_ready = ""


def _django_cache(alias: str, url: str, needs: str) -> Contender:
    try:
        importlib.import_module(needs)
    except ImportError as exc:
        raise Skipped(f"`import {needs}` failed: {exc}") from None
    setup_django(url)
    from django.core.cache import caches

    try:
        caches[alias]
    except Exception as exc:
        raise Skipped(f"caches[{alias!r}] failed: {exc!r}") from None

    def close() -> None:
        with contextlib.suppress(Exception):
            caches[alias].close()

    return Contender(
        alias,
        get=lambda key: caches[alias].get(key),
        set=lambda key, value: caches[alias].set(key, value),
        close=close,
    )


def _ours(url: str) -> Contender:
    import redis_pool_integrations
    from redis_pool_integrations import get_redis

    redis_pool_integrations.default_registry.configure({"default": {"url": url}})
    return Contender(
        "ours",
        get=lambda key: get_redis().get(key),
        set=lambda key, value: get_redis().set(key, value),
        close=redis_pool_integrations.default_registry.close_all,
    )


def _global(name: str, pool: redis.ConnectionPool) -> Contender:
    # A closure cell costs what a module-global lookup costs.
    client = redis.Redis(connection_pool=pool)
    return Contender(
        name,
        get=lambda key: client.get(key),
        set=lambda key, value: client.set(key, value),
        close=pool.disconnect,
    )


def _flask_redis(url: str) -> Contender:
    try:
        from flask import Flask
        from flask_redis import FlaskRedis
    except ImportError as exc:
        raise Skipped(f"flask-redis is not installed ({exc}); `make bench` installs it") from None
    app = Flask("bench")
    app.config["REDIS_URL"] = url
    ext = FlaskRedis(app)
    return Contender(
        "flask_redis",
        get=lambda key: ext.get(key),
        set=lambda key, value: ext.set(key, value),
        thread_context=app.app_context,
        close=lambda: ext.connection_pool.disconnect(),
    )


def _naive(url: str) -> Contender:
    def get(key: str) -> Any:
        client = redis.Redis.from_url(url)
        try:
            return client.get(key)
        finally:
            client.close()

    def set_(key: str, value: bytes) -> Any:
        client = redis.Redis.from_url(url)
        try:
            return client.set(key, value)
        finally:
            client.close()

    return Contender("naive", get=get, set=set_)


def build(name: str, url: str) -> Contender:
    """Build the contender ``name`` against ``url``; raises Skipped."""
    if name == "ours":
        return _ours(url)
    if name == "ours_django_cache":
        # Our Django cache backend lands on main separately: skip it until it exists.
        return _django_cache(name, url, "redis_pool_integrations.django.cache")
    if name == "redis_pool":
        return _global(name, redis.ConnectionPool.from_url(url))
    if name == "redis_blocking":
        return _global(name, redis.BlockingConnectionPool.from_url(url, max_connections=50))
    if name == "django_redis":
        return _django_cache(name, url, "django_redis.cache")
    if name == "django_builtin":
        return _django_cache(name, url, "django.core.cache.backends.redis")
    if name == "flask_redis":
        return _flask_redis(url)
    if name == "naive":
        return _naive(url)
    raise ValueError(f"unknown contender {name!r}; choose from {NAMES}")


def build_all(url: str, names: list[str]) -> tuple[dict[str, Contender], dict[str, str]]:
    """Build every contender; return (ready, {skipped name: reason})."""
    ready: dict[str, Contender] = {}
    skipped: dict[str, str] = {}
    for name in names:
        try:
            contender = build(name, url)
            contender.set(GET_KEY, VALUE)  # each writes its own key its own way
        except Skipped as exc:
            skipped[name] = str(exc)
            continue
        ready[name] = contender
    return ready, skipped


@contextlib.contextmanager
def all_built(url: str, names: list[str]) -> Iterator[tuple[dict[str, Contender], dict[str, str]]]:
    ready, skipped = build_all(url, names)
    try:
        yield ready, skipped
    finally:
        for contender in ready.values():
            with contextlib.suppress(Exception):
                contender.close()
