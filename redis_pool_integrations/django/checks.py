"""Django system checks for ``REDIS_POOLS`` and the caches that use it.

Every id lives in :data:`CHECK_IDS`. The core's problem codes map 1:1 to
``redis_pool_integrations.<code>``, so each new core code gets its id here by
itself; E020-E039 are the Django-only range of the numbering scheme (see
:mod:`redis_pool_integrations.settings`). Plain ``manage.py check`` does no
network I/O; only ``check --deploy`` pings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import redis.connection
from django.apps import AppConfig
from django.conf import settings
from django.core import checks

from ..config import CODES, PoolSettings, Problem, parse
from ..constants import DEFAULT_ALIAS, PING_TIMEOUT
from ..settings import timeout_warnings
from . import conf
from .cache import decode_problem, ignore_exceptions_problem, location_problem, option_problem

__all__ = [
    "CHECK_IDS",
    "check_caches",
    "check_reachable",
    "check_settings",
    "check_timeouts",
    "register",
]

PREFIX = "redis_pool_integrations"
TAG = "redis_pool_integrations"
CACHE_BACKEND = "redis_pool_integrations.django.cache.RedisPoolCache"
_parse_url: Callable[[str], dict[str, Any]] = redis.connection.parse_url

#: Every check id this app emits, and what it means (a test asserts they are unique).
CHECK_IDS: dict[str, str] = {
    **{f"{PREFIX}.{code}": meaning for code, meaning in CODES.items()},
    f"{PREFIX}.E020": "REDIS_POOLS is not set while the app is installed",
    f"{PREFIX}.E021": "check --deploy: an alias does not answer PING",
    f"{PREFIX}.E022": "a RedisPoolCache LOCATION is not an alias of REDIS_POOLS",
    f"{PREFIX}.E023": "a RedisPoolCache OPTIONS key other than serializer and IGNORE_EXCEPTIONS",
    f"{PREFIX}.E024": "a RedisPoolCache on an alias with decode_responses",
    f"{PREFIX}.E025": "a RedisPoolCache OPTIONS['IGNORE_EXCEPTIONS'] that is not True or False",
    f"{PREFIX}.E240": "a RedisPoolCache on a sentinel alias with ROLE 'replica' (read-only)",
    f"{PREFIX}.W020": "REDIS_POOLS is empty",
    f"{PREFIX}.W024": "a RedisPoolCache shares its database (cache.clear() would wipe other data)",
}


def _id(code: str) -> str:
    check_id = f"{PREFIX}.{code}"
    assert check_id in CHECK_IDS, check_id  # every id must be in the table
    return check_id


def _message(problem: Problem) -> checks.CheckMessage:
    where = f"REDIS_POOLS[{problem.alias!r}]" if problem.alias is not None else "REDIS_POOLS"
    # Problems about the whole setting already start with its name.
    text = problem.message if problem.message.startswith(where) else f"{where}: {problem.message}"
    cls = checks.Warning if problem.level == "warning" else checks.Error
    return cls(text, hint=problem.hint, id=_id(problem.code))


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
    if isinstance(raw, Mapping) and not raw:
        return [
            checks.Warning(
                "REDIS_POOLS is empty: no pool is configured, every get_redis() will raise.",
                hint="Add an alias: REDIS_POOLS = {'default': {'URL': "
                "'redis://127.0.0.1:6379/0'}}, or remove the app from INSTALLED_APPS.",
                id=_id("W020"),
            )
        ]
    return [_message(p) for p in parse(raw, upper=True, setting=conf.SETTING).problems]


def _database(pool: PoolSettings) -> tuple[Any, ...]:
    """Where an alias's keys live: (host, port, or socket path) and database number."""
    where = _parse_url(pool.url)
    db = pool.options.get("db", where.get("db", 0))
    return (where.get("host"), where.get("port"), where.get("path"), int(db or 0))


def _pool_caches(caches: Any) -> list[tuple[str, Mapping[Any, Any]]]:
    """(name, params) of every RedisPoolCache in ``CACHES``, whatever CACHES holds."""
    if not isinstance(caches, Mapping):
        return []  # Django's own checks report a CACHES that is not a dict
    return [
        (str(name), params)
        for name, params in caches.items()
        if isinstance(params, Mapping) and params.get("BACKEND") == CACHE_BACKEND
    ]


def check_caches(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Check every ``RedisPoolCache``: its alias, its OPTIONS and the database it shares.

    Never raises, whatever ``CACHES`` and ``REDIS_POOLS`` hold.
    """
    raw = conf.raw_setting()
    aliases = list(raw) if isinstance(raw, Mapping) else []
    pools = parse(raw, upper=True).settings if isinstance(raw, Mapping) else {}
    caches = _pool_caches(getattr(settings, "CACHES", {}))
    errors: list[checks.CheckMessage] = []
    for name, params in caches:
        location = params.get("LOCATION") or DEFAULT_ALIAS
        problem = location_problem(location, aliases)
        if problem is not None:
            hint = (
                "LOCATION names an alias; the server's URL goes in REDIS_POOLS."
                if "not a URL" in problem
                else "Set LOCATION to an alias of REDIS_POOLS, or add that alias there."
            )
            errors.append(checks.Error(f"CACHES[{name!r}]: {problem}", hint=hint, id=_id("E022")))
            location = None
        alias = location if isinstance(location, str) else DEFAULT_ALIAS
        options = params.get("OPTIONS")
        if options is not None and not isinstance(options, Mapping):
            errors.append(
                checks.Error(
                    f"CACHES[{name!r}]: OPTIONS must be a dict, got {type(options).__name__}.",
                    hint="Set it to {'serializer': ...} or leave it out.",
                    id=_id("E023"),
                )
            )
            options = None
        for key in options or {}:
            problem = option_problem(key, alias)
            if problem is not None:
                errors.append(
                    checks.Error(
                        f"CACHES[{name!r}]: {problem}",
                        hint=f"Pool and connection options go in REDIS_POOLS[{alias!r}]"
                        "['OPTIONS']; RedisPoolCache only takes OPTIONS['serializer'] and "
                        "OPTIONS['IGNORE_EXCEPTIONS'].",
                        id=_id("E023"),
                    )
                )
        problem = ignore_exceptions_problem(options or {})
        if problem is not None:
            errors.append(
                checks.Error(
                    f"CACHES[{name!r}]: {problem}",
                    hint="Write True or False (a bool, not a string).",
                    id=_id("E025"),
                )
            )
        pool = pools.get(location) if isinstance(location, str) else None
        if pool is None:
            continue  # not a valid alias: reported above or by check_settings
        if pool.options.get("decode_responses"):
            errors.append(
                checks.Error(
                    f"CACHES[{name!r}]: {decode_problem(location)}",
                    hint=f"Add an alias for the cache, without decode_responses, and set "
                    f"CACHES[{name!r}]['LOCATION'] to it.",
                    id=_id("E024"),
                )
            )
        if pool.kind == "sentinel" and pool.role == "replica":
            errors.append(
                checks.Error(
                    f"CACHES[{name!r}] uses REDIS_POOLS[{location!r}], a sentinel alias with "
                    "ROLE 'replica': its replicas are read-only, so every cache write would fail.",
                    hint=f"Point CACHES[{name!r}]['LOCATION'] at an alias with ROLE 'master' "
                    "(the default).",
                    id=_id("E240"),
                )
            )
        errors.extend(_shared_database(name, location, pools, caches))
    return errors


def _shared_database(
    name: str,
    alias: str,
    pools: Mapping[str, PoolSettings],
    caches: list[tuple[str, Mapping[Any, Any]]],
) -> list[checks.CheckMessage]:
    """W024: ``cache.clear()`` is FLUSHDB, so the cache's database must hold nothing else.

    What the check can see of "something else": the default alias (what
    ``get_redis()`` uses when no alias is named, so app data most likely lives
    there), another alias on the same server and database, or another cache
    on the same alias. Code calling ``get_redis('cache')`` is invisible to it.
    """
    mine = _database(pools[alias])
    others = [f"alias {a!r}" for a, p in pools.items() if a != alias and _database(p) == mine]
    others += [
        f"cache {other!r}"
        for other, params in caches
        if other != name and (params.get("LOCATION") or DEFAULT_ALIAS) == alias
    ]
    if alias == DEFAULT_ALIAS:
        others.insert(0, "get_redis() without an alias")
    if not others:
        return []
    return [
        checks.Warning(
            f"CACHES[{name!r}] uses REDIS_POOLS[{alias!r}], shared with "
            f"{', '.join(others)}: cache.clear() is FLUSHDB and would wipe their data too.",
            hint=f"Give the cache an alias of its own on its own database, e.g. "
            f"REDIS_POOLS['cache'] = {{'URL': 'redis://127.0.0.1:6379/1'}} and "
            f"CACHES[{name!r}]['LOCATION'] = 'cache'.",
            id=_id("W024"),
        )
    ]


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


def check_timeouts(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """``check --deploy`` only: W300 for each alias without ``socket_timeout``."""
    raw = conf.raw_setting()
    if raw is conf.MISSING or not isinstance(raw, Mapping):
        return []
    parsed = parse(raw, upper=True, setting=conf.SETTING)
    return [_message(p) for p in timeout_warnings(parsed.settings, upper=True)]


def register() -> None:
    """Register the checks; called from ``AppConfig.ready()``."""
    checks.register(check_settings, TAG)
    checks.register(check_caches, TAG, checks.Tags.caches)
    checks.register(check_reachable, TAG, deploy=True)
    checks.register(check_timeouts, TAG, deploy=True)
