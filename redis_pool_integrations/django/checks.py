"""Django system checks for ``REDIS_POOLS`` and the caches that use it.

Every id lives in :data:`CHECK_IDS`. The core's problem codes map 1:1 to
``redis_pool_integrations.<code>``, so each new core code gets its id here by
itself; E020-E039 are the Django-only range of the numbering scheme (see
:mod:`redis_pool_integrations.settings`). Plain ``manage.py check`` does no
network I/O; only ``check --deploy`` pings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

from ..config import CODES, Problem, parse
from ..constants import DEFAULT_ALIAS, PING_TIMEOUT
from . import conf
from .cache import CACHE_OPTIONS

__all__ = ["CHECK_IDS", "check_caches", "check_reachable", "check_settings", "register"]

PREFIX = "redis_pool_integrations"
TAG = "redis_pool_integrations"
CACHE_BACKEND = "redis_pool_integrations.django.cache.RedisPoolCache"

#: Every check id this app emits, and what it means (a test asserts they are unique).
CHECK_IDS: dict[str, str] = {
    **{f"{PREFIX}.{code}": meaning for code, meaning in CODES.items()},
    f"{PREFIX}.E020": "REDIS_POOLS is not set while the app is installed",
    f"{PREFIX}.E021": "check --deploy: an alias does not answer PING",
    f"{PREFIX}.E022": "a RedisPoolCache LOCATION is not an alias of REDIS_POOLS",
    f"{PREFIX}.E023": "a RedisPoolCache OPTIONS key other than serializer",
}


def _id(code: str) -> str:
    check_id = f"{PREFIX}.{code}"
    assert check_id in CHECK_IDS, check_id  # every id must be in the table
    return check_id


def _message(problem: Problem) -> checks.CheckMessage:
    where = f"REDIS_POOLS[{problem.alias!r}]" if problem.alias is not None else "REDIS_POOLS"
    cls = checks.Warning if problem.level == "warning" else checks.Error
    return cls(f"{where}: {problem.message}", hint=problem.hint, id=_id(problem.code))


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Report every problem the core's validation finds in ``REDIS_POOLS``."""
    raw = conf.raw_setting()
    if raw is conf.MISSING:
        return [
            checks.Error(
                "REDIS_POOLS is not set, but 'redis_pool_integrations.django' is installed.",
                hint="Add REDIS_POOLS = {'default': {'URL': 'redis://127.0.0.1:6379/0'}} "
                "to your settings, or remove the app from INSTALLED_APPS.",
                id=_id("E020"),
            )
        ]
    return [_message(p) for p in parse(raw, upper=True).problems]


def check_caches(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Check that every ``RedisPoolCache`` names a configured alias and no pool options."""
    raw = conf.raw_setting()
    aliases = list(raw) if isinstance(raw, dict) else []
    errors: list[checks.CheckMessage] = []
    for name, params in getattr(settings, "CACHES", {}).items():
        if not isinstance(params, dict) or params.get("BACKEND") != CACHE_BACKEND:
            continue
        location = params.get("LOCATION") or DEFAULT_ALIAS
        if location not in aliases:
            known = ", ".join(repr(a) for a in aliases) or "none"
            errors.append(
                checks.Error(
                    f"CACHES[{name!r}]: LOCATION {location!r} is not an alias of REDIS_POOLS "
                    f"(configured: {known}).",
                    hint="Set LOCATION to an alias of REDIS_POOLS, or add that alias there.",
                    id=_id("E022"),
                )
            )
        for key in params.get("OPTIONS", {}):
            if key not in CACHE_OPTIONS:
                errors.append(
                    checks.Error(
                        f"CACHES[{name!r}]: OPTIONS key {key!r} is not supported by "
                        "RedisPoolCache.",
                        hint=f"Pool and connection options go in REDIS_POOLS[{location!r}]"
                        "['OPTIONS']; RedisPoolCache only takes OPTIONS['serializer'].",
                        id=_id("E023"),
                    )
                )
    return errors


def check_reachable(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """``check --deploy`` only: PING every alias and report each one that fails."""
    raw = conf.raw_setting()
    if raw is conf.MISSING or parse(raw, upper=True).errors:
        return []  # check_settings reports it; there is nothing valid to ping
    errors: list[checks.CheckMessage] = []
    for alias, pool in conf.pool_settings().items():
        error = conf.ping(alias, timeout=PING_TIMEOUT)
        if error is not None:
            errors.append(
                checks.Error(
                    f"REDIS_POOLS[{alias!r}]: {pool.redacted_url} did not answer PING: {error}",
                    hint="Start the server or fix URL/OPTIONS (password, TLS, host, port) "
                    "of this alias; the app cannot reach it from here.",
                    id=_id("E021"),
                )
            )
    return errors


def register() -> None:
    """Register the checks; called from ``AppConfig.ready()``."""
    checks.register(check_settings, TAG)
    checks.register(check_caches, TAG, checks.Tags.caches)
    checks.register(check_reachable, TAG, deploy=True)
