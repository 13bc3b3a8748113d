"""The settings table: one entry per key and per redis-py option, and the one parse.

Each pool key (:data:`KEY_TABLE`) and each redis-py connection or pool option
(:data:`~redis_pool_integrations.options.OPTION_RULES`) has one declarative
entry: its name, default, what it accepts and how a value is converted (a
number written as a string, as settings read from the environment are,
becomes a number). :func:`parse` walks
the raw mapping once and returns the settings and every problem together;
:func:`~redis_pool_integrations.config.parse_config` and
:func:`~redis_pool_integrations.config.validate` are thin wrappers over it.

Problem codes are numbered by concern, so each has room to grow:

========== ===========================================================
E001-E019  the shape of the settings and the pool keys (W001-W019)
E020-E039  Django-only checks (in ``django/checks.py``)
E040-E059  Flask-only problems (W040-W059; ``FLASK_CODES`` in ``flask/extension.py``)
E100-E149  values of redis-py options, in OPTIONS or the URL (W100-W149)
E150-E199  the URL: host, port, db, query parameters, contradictions
E200-E299  pool kinds: sentinel (E200-E249), cluster (E250-E299)
E300-E349  circuit breaker and timeouts (W300-W349)
========== ===========================================================

Nothing here imports Django or Flask or touches the network.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

import redis.connection

from .breaker import BreakerSettings
from .errors import PoolConfigError
from .options import (
    CACHE_NEEDS_RESP3,
    DEPRECATED_OPTIONS,
    OPTION_RULES,
    POOL_OPTIONS,
    REDIS_DEFAULT_SOCKET_TIMEOUT,
    SCHEME_CLASSES,
    SCHEMES,
    TIMEOUT_MAX,
    URL_OPTIONS,
    Refused,
    Rule,
    accepted_options,
    boolean,
    number,
    to_number,
)
from .redact import fields_are_reliable, is_secret_name, mask_secrets, redact_url, secrets_of

__all__ = [
    "CODES",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_TIMEOUT",
    "KEYS",
    "KEY_TABLE",
    "MAX_CONNECTIONS_LIMIT",
    "Key",
    "Parsed",
    "PoolSettings",
    "Problem",
    "parse",
    "timeout_warnings",
]

DEFAULT_MAX_CONNECTIONS = 50
DEFAULT_TIMEOUT = 5.0
#: Hard cap of MAX_CONNECTIONS: one process cannot hold more TCP connections
#: to one server from one local address than there are ports.
MAX_CONNECTIONS_LIMIT = 65_535
#: Above this a per-process cap is almost certainly a total mistaken for it
#: (it is also the Redis server's default ``maxclients``): W001.
HUGE_MAX_CONNECTIONS = 10_000
KIND_STANDALONE = "standalone"
KIND_SENTINEL = "sentinel"
KIND_CLUSTER = "cluster"
#: Every pool kind the settings model knows.
KINDS = (KIND_STANDALONE, KIND_SENTINEL, KIND_CLUSTER)
#: Kinds reserved but not built yet (none today).
PLANNED_KINDS: tuple[str, ...] = ()
#: ROLE of a sentinel alias: the primary, or a read-only pool over the replicas.
ROLES = ("master", "replica")

#: Every problem code, what it means. Framework adapters prefix them
#: (Django: ``redis_pool_integrations.E003``); a test asserts they are unique.
CODES: dict[str, str] = {
    "E001": "the pool settings are not a mapping of alias to settings",
    "E002": "an alias is not a non-empty string, or its settings are not a mapping",
    "E003": "URL is missing",
    "E004": "URL is not a valid redis://, rediss:// or unix:// URL",
    "E005": "MAX_CONNECTIONS is not an integer >= 1",
    "E006": "TIMEOUT is not a number of seconds >= 0",
    "E007": "an unknown settings key (a typo)",
    "E008": "OPTIONS is not a mapping",
    "E009": "an option redis-py's connection does not accept",
    "E010": "an option that belongs in the URL (host, port, path)",
    "E011": "KIND names a pool kind that is not supported",
    "E012": "TIMEOUT is longer than the platform can wait (threading.TIMEOUT_MAX)",
    "E013": "MAX_CONNECTIONS is above 65535 (the TCP port space)",
    "E014": "LEAK_WARNING_SECONDS is not a number of seconds > 0 (or None: off)",
    "W001": "MAX_CONNECTIONS is very large for a single process",
    "W101": "an option the installed redis-py deprecates",
    "E101": "an option's value has the wrong type",
    "E102": "an option's number is out of range",
    "E103": "an option's value is not one of the values redis-py knows",
    "E104": "an option that has its own key or is set by this library",
    "E105": "an option that needs another option (client-side caching needs protocol 3)",
    "E150": "URL has no host",
    "E151": "URL port is not in 1-65535",
    "E152": "URL database (path or ?db=) is not an integer >= 0",
    "E153": "URL query parameter redis-py does not accept or would not convert",
    "E154": "URL query parameter overrides MAX_CONNECTIONS or TIMEOUT",
    "E155": "URL and OPTIONS (or two parts of the URL) set one option to different values",
    "E156": "URL has no scheme (host:port written without redis://)",
    "E200": "a sentinel alias without SENTINELS",
    "E201": "SENTINELS is not a non-empty list of 'host:port' strings",
    "E202": "a SENTINELS entry is not a valid 'host:port' (or (host, port))",
    "E203": "a sentinel is listed twice in SENTINELS",
    "E204": "SENTINEL_OPTIONS is not a mapping",
    "E205": "a SENTINEL_OPTIONS option redis-py's sentinel connections do not accept",
    "E206": "a SENTINEL_OPTIONS option's value is wrong",
    "E207": "ROLE is not 'master' or 'replica'",
    "E208": "SENTINELS, SENTINEL_OPTIONS or ROLE on an alias that is not KIND 'sentinel'",
    "E209": "a sentinel alias's URL: unix://, a port, or no service name",
    "E210": "an OPTIONS entry a sentinel alias cannot take (connection_class)",
    "E300": "BREAKER is not a mapping (or None: off)",
    "E301": "BREAKER has an unknown key (a typo)",
    "E302": "BREAKER's FAILURES is not an integer >= 1",
    "E303": "BREAKER's COOLDOWN is not a number of seconds > 0",
    "E304": "BREAKER is set but socket_timeout is not (a stalled server would never fail)",
    "E305": "BREAKER on a KIND 'cluster' alias (not built yet)",
    "W300": "socket_timeout is not set: a stalled server blocks a caller for ever (deploy)",
    "E250": "a cluster alias's URL is not redis:// or rediss:// (no unix sockets in a cluster)",
    "E251": "a cluster alias selects a database other than 0 (URL path, ?db= or OPTIONS)",
    "E252": "STARTUP_NODES is not a list of 'host:port' strings",
    "E253": "a key that only a cluster alias takes (STARTUP_NODES) on an alias of another kind",
    "E254": "an option RedisCluster does not accept or would not pass to its nodes",
    "E255": "an option RedisCluster takes itself has a wrong value",
    "W250": "an option the installed redis-py's RedisCluster deprecates",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the settings: which alias, which key, and the fix."""

    code: str
    alias: str | None
    key: str | None
    message: str
    hint: str
    level: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        prefix = f"pool {self.alias!r}: " if self.alias is not None else ""
        return f"{prefix}{self.message} {self.hint}"


@dataclass(frozen=True)
class PoolSettings:
    """The validated settings of one alias (core spelling, lower-case keys).

    Immutable: ``options`` is a read-only mapping (``dict(settings.options)``
    and ``**settings.options`` work). Compared and hashed by value, so the
    registry can tell which aliases changed. Make them with
    :func:`~redis_pool_integrations.parse_config`, which validates.
    """

    alias: str
    url: str = field(repr=False)
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    timeout: float = DEFAULT_TIMEOUT
    # Options may carry a password or a credential provider: kept out of repr().
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)
    kind: str = KIND_STANDALONE
    #: Warn while a connection stays checked out longer than this; None: off.
    leak_warning_seconds: float | None = None
    #: The circuit breaker (:mod:`~redis_pool_integrations.breaker`); None: off.
    breaker: BreakerSettings | None = None
    #: KIND "sentinel": the sentinels' ``(host, port)`` addresses, in order.
    sentinels: tuple[tuple[str, int], ...] = ()
    #: KIND "sentinel": connection options for the sentinels (may hold a password).
    sentinel_options: Mapping[str, Any] = field(default_factory=dict, repr=False)
    #: KIND "sentinel": "master" (the primary) or "replica" (read-only, over the replicas).
    role: str = "master"
    #: More startup nodes of a cluster alias, ``((host, port), ...)``; the URL's comes first.
    startup_nodes: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        # A private copy behind a read-only view: the caller's dict can change
        # later without changing settings the registry compares.
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))
        object.__setattr__(self, "sentinel_options", MappingProxyType(dict(self.sentinel_options)))
        object.__setattr__(self, "sentinels", tuple(tuple(s) for s in self.sentinels))

    def __hash__(self) -> int:
        # Option values may be unhashable (lists, dicts); equal settings still
        # hash equal because equal options have equal names.
        fields = (self.alias, self.url, self.max_connections, self.timeout, self.kind, self.breaker)
        sentinel = (self.sentinels, self.role, *sorted(self.sentinel_options))
        return hash((*fields, *sorted(self.options), *sentinel, self.startup_nodes))

    def __reduce__(self) -> tuple[Any, ...]:
        # mappingproxy cannot be pickled; rebuild from a plain dict.
        return (
            type(self),
            (
                self.alias,
                self.url,
                self.max_connections,
                self.timeout,
                dict(self.options),
                self.kind,
                self.leak_warning_seconds,
                self.breaker,
                self.sentinels,
                dict(self.sentinel_options),
                self.role,
                self.startup_nodes,
            ),
        )

    @property
    def redacted_url(self) -> str:
        """The URL with its password, if any, replaced by ``***``."""
        return redact_url(self.url)

    def __repr__(self) -> str:
        return (
            f"PoolSettings(alias={self.alias!r}, url={self.redacted_url!r}, "
            f"max_connections={self.max_connections}, timeout={self.timeout:g}, "
            f"options={sorted(self.options)!r}, kind={self.kind!r}, "
            f"leak_warning_seconds={self.leak_warning_seconds!r}, breaker={self.breaker!r}"
            + (
                f", sentinels={list(map(format_address, self.sentinels))!r}, "
                f"sentinel_options={sorted(self.sentinel_options)!r}, role={self.role!r}"
                if self.kind == KIND_SENTINEL
                else ""
            )
            + (f", startup_nodes={self.startup_nodes!r}" if self.kind == KIND_CLUSTER else "")
            + ")"
        )


# -- the pool keys --------------------------------------------------------------

KeyLabel = Callable[[str, str], str]
# redis-py's own URL parser, so we reject exactly what it would reject.
_parse_url: Callable[[str], dict[str, Any]] = redis.connection.parse_url
_MISSING: Any = object()


@dataclass(frozen=True)
class Key:
    """One pool key: its core name, default, type for the docs, and its check."""

    name: str
    default: Any
    type: str
    check: Callable[[_Alias, Any], Any]


class _Alias:
    """The problems and derived facts of one alias while it is parsed."""

    def __init__(self, parser: _Parser, alias: str, raw: Mapping[Any, Any]) -> None:
        self.parser = parser
        self.alias = alias
        self.failed = False
        self.scheme = "redis"
        self.url_options: dict[str, Any] = {}
        url, options = raw.get(parser.spell("url")), raw.get(parser.spell("options"))
        # Read before the keys are checked: which options and keys count depends on it.
        self.kind = raw.get(parser.spell("kind"), KIND_STANDALONE)
        self.secrets = secrets_of(url, options if isinstance(options, Mapping) else None)
        sentinel_options = raw.get(parser.spell("sentinel_options"))
        if isinstance(sentinel_options, Mapping):
            self.secrets = sorted(
                {*self.secrets, *secrets_of(None, sentinel_options)}, key=len, reverse=True
            )

    def label(self, key: str) -> str:
        return self.parser.label(self.alias, key)

    def add(self, code: str, key: str, message: str, hint: str) -> None:
        level: Literal["error", "warning"] = "warning" if code.startswith("W") else "error"
        self.failed = self.failed or level == "error"
        # Belt and braces: whatever a message quotes, the alias's secrets are
        # masked (URLs in it are already redacted field by field).
        message, hint = mask_secrets(message, self.secrets), mask_secrets(hint, self.secrets)
        self.parser.problems.append(Problem(code, self.alias, key, message, hint, level))


def _shown(value: Any, secret: bool = False) -> str:
    if secret:
        return f"a {type(value).__name__} (not shown)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_url(a: _Alias, url: Any) -> Any:
    label = a.label("url")
    fix = (
        f"Set {label} to a URL like 'redis://[[user]:password@]host[:port][/db]', "
        "'rediss://...' for TLS, or 'unix:///path/to/redis.sock?db=0'."
    )
    if not isinstance(url, str) or not url:
        a.add("E004", label, f"{label} must be a non-empty string.", fix)
        return _MISSING
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        a.add("E004", label, f"{label} {shown!r} is not a valid URL.", fix)
        return _MISSING
    scheme = parts.scheme.lower()
    if "://" not in url:
        # 'localhost:6379' splits as scheme 'localhost': say what was meant instead.
        a.add(
            "E156",
            label,
            f"{label} {shown!r} has no scheme.",
            f"Did you mean {'redis://' + shown!r}? Write redis:// (or rediss:// for TLS) "
            "before the host.",
        )
        return _MISSING
    if scheme not in SCHEMES or not url.startswith(f"{scheme}://"):
        a.add(
            "E004",
            label,
            f"{label} {shown!r} has scheme {parts.scheme!r}; "
            "only redis://, rediss:// and unix:// are supported.",
            fix,
        )
        return _MISSING
    a.scheme = scheme
    if "@" in url and not fields_are_reliable(url):
        a.add(
            "E004",
            label,
            f"{label} {shown!r} is ambiguous: an '@' follows a raw '/', '?' or '#' "
            "(in the password, or in a query value).",
            "Percent-encode those characters ('/' as %2F, '?' as %3F, '#' as %23, "
            f"'@' as %40), or set the password in {a.label('options')} instead.",
        )
        return _MISSING
    before = len(a.parser.problems)
    if scheme == "unix":
        if not parts.path:
            a.add("E004", label, f"{label} {shown!r} is not a valid URL: no socket path.", fix)
    else:
        _check_host_port(a, label, shown, parts)
        db_text = unquote(parts.path).strip("/")
        if db_text and not (db_text.isdigit() and db_text.isascii()):
            a.add(
                "E152",
                label,
                f"{label} {shown!r}: the path {parts.path!r} is not a database number.",
                "Write the database as a number >= 0 after the host, like "
                "'redis://host:6379/0', or leave the path out.",
            )
    _check_query(a, label, shown, parts)
    if len(a.parser.problems) > before:
        return _MISSING
    try:
        a.url_options = _parse_url(url)
    except ValueError:
        a.add("E004", label, f"{label} {shown!r} is not a valid URL.", fix)
        return _MISSING
    return url


def _check_host_port(a: _Alias, label: str, shown: str, parts: Any) -> None:
    if not parts.hostname:
        a.add(
            "E150",
            label,
            f"{label} {shown!r} has no host.",
            "Name the server after '//', like 'redis://127.0.0.1:6379/0' "
            "(redis-py would silently use localhost).",
        )
    hostport = parts.netloc.rpartition("@")[2]
    port_text = hostport.rpartition("]")[2].partition(":")[2] if ":" in hostport else ""
    if not port_text:
        return
    if not (port_text.isdigit() and port_text.isascii()):
        a.add(
            "E004",
            label,
            f"{label} {shown!r} is not a valid URL: port {port_text!r}.",
            "Write the port as a number, like 'redis://127.0.0.1:6379/0'.",
        )
    elif not 1 <= int(port_text) <= 65535:
        a.add(
            "E151",
            label,
            f"{label} {shown!r} has port {int(port_text)}.",
            "Use the server's port, 1-65535 (Redis listens on 6379 by default).",
        )


def _check_query(a: _Alias, label: str, shown: str, parts: Any) -> None:
    accepted = accepted_options(a.scheme)
    parsers: Mapping[str, Any] = redis.connection.URL_QUERY_ARGUMENT_PARSERS
    seen: dict[str, Any] = {}
    for name, raw in parse_qsl(parts.query, keep_blank_values=True):
        rule = OPTION_RULES.get(name)
        where = f"query parameter {name!r} of {label} {shown!r}"
        if name in seen:
            # redis-py silently takes the first of two; two that differ are a contradiction.
            if rule is not None and _converts_to(rule, raw) != seen[name]:
                a.add("E155", label, f"{where} is given twice, differently.", "Keep one.")
            continue
        if name in ("max_connections", "timeout"):
            key = a.label(name)
            a.add(
                "E154",
                label,
                f"{where} would override {key} without stats() knowing.",
                f"Remove it from the URL and set {key}.",
            )
            continue
        if name not in accepted or rule is None or name in POOL_OPTIONS:
            close = _suggest(name, accepted)
            a.add(
                "E153",
                label,
                f"{where} is not a connection option redis-py accepts in a URL.",
                f"Set it in {a.label('options')} instead."
                if name in accepted
                else f"Did you mean {close[0]!r}?"
                if close
                else "Remove it.",
            )
            continue
        try:
            ours = rule.convert(raw)
        except Refused as exc:
            # The database is the URL's own concern (E152), wherever it is written.
            _value_problem(a, "E152" if name == "db" else exc.code, label, where, rule, raw)
            continue
        try:
            theirs = parsers[name](raw) if name in parsers else raw
        except (TypeError, ValueError):
            theirs = _MISSING
        if ours != theirs:
            a.add(
                "E153",
                label,
                f"{where} would reach redis-py as {_shown(theirs, rule.secret)}, "
                f"not as {_shown(ours, rule.secret)}.",
                f"Set {name!r} in {a.label('options')} instead of the URL.",
            )
        seen[name] = ours


def _converts_to(rule: Rule, value: Any) -> Any:
    try:
        return rule.convert(value)
    except Refused:
        return _MISSING


def _value_problem(a: _Alias, code: str, key: str, where: str, rule: Rule, value: Any) -> None:
    a.add(
        code,
        key,
        f"{where} must be {rule.expected}, got {_shown(value, rule.secret)}.",
        "Fix the value (numbers and booleans may be written as strings), or remove it.",
    )


def _check_max_connections(a: _Alias, value: Any) -> Any:
    label = a.label("max_connections")
    try:
        n = to_number(value, integer=True)
    except Refused:
        n = 0
    if n < 1:
        a.add(
            "E005",
            label,
            f"{label} must be an integer >= 1, got {_shown(value)}.",
            f"Set it to the number of connections one worker process may open "
            f"(default {DEFAULT_MAX_CONNECTIONS}).",
        )
        return _MISSING
    if n > MAX_CONNECTIONS_LIMIT:
        a.add(
            "E013",
            label,
            f"{label} is {n}, above {MAX_CONNECTIONS_LIMIT} for one process.",
            "It caps connections per worker process, not in total: "
            "use about the number of threads of one worker.",
        )
        return _MISSING
    if n > HUGE_MAX_CONNECTIONS:
        a.add(
            "W001",
            label,
            f"{label} is {n}, for one process.",
            "It caps connections per worker process, not in total: "
            "use about the number of threads of one worker.",
        )
    return int(n)


def _check_timeout(a: _Alias, value: Any) -> Any:
    label = a.label("timeout")
    try:
        seconds = float(to_number(value, integer=False))
    except Refused:
        seconds = -1.0
    if seconds < 0:
        # None is Django's "never expire" for CACHES[...]['TIMEOUT']; here the
        # key means something else, and waiting forever for a connection would
        # hang a worker, so it is refused with the difference spelled out.
        note = (
            f" {label} is how long a caller waits for a free connection, not a cache "
            "expiry: a cache's 'never expire' (None) belongs in CACHES[...]['TIMEOUT']."
            if value is None
            else ""
        )
        a.add(
            "E006",
            label,
            f"{label} must be a number of seconds >= 0, got {_shown(value)}.{note}",
            f"Set {label} to how long a caller may wait for a free connection "
            f"when all are in use (default {DEFAULT_TIMEOUT:g}).",
        )
        return _MISSING
    if seconds > TIMEOUT_MAX:
        a.add(
            "E012",
            label,
            f"{label} is {seconds:g} s, longer than this platform can wait ({TIMEOUT_MAX:.0f} s).",
            f"Set {label} to a few seconds: it is how long a caller waits for a free connection.",
        )
        return _MISSING
    return seconds


def _check_leak_warning_seconds(a: _Alias, value: Any) -> Any:
    if value is None:
        return None
    label = a.label("leak_warning_seconds")
    try:
        seconds = float(to_number(value, integer=False))
    except Refused:
        seconds = -1.0
    if not 0 < seconds <= TIMEOUT_MAX:
        a.add(
            "E014",
            label,
            f"{label} must be a number of seconds > 0, got {_shown(value)}.",
            f"Set {label} to how long a connection may stay checked out before a warning "
            "names where it was taken (e.g. 30), or None to turn the warnings off.",
        )
        return _MISSING
    return seconds


_BREAKER_KEYS = BreakerSettings._fields


def _check_breaker(a: _Alias, value: Any) -> Any:
    if value is None:
        return None
    label = a.label("breaker")
    spell = a.parser.spell
    if not isinstance(value, Mapping):
        a.add(
            "E300",
            label,
            f"{label} must be a mapping or None, got {type(value).__name__}.",
            f"Set {label} to {{{spell('failures')!r}: 5, {spell('cooldown')!r}: 5}} to turn "
            "the circuit breaker on, or None (the default) to leave it off.",
        )
        return _MISSING
    found: dict[str, Any] = {}
    for raw_key, inner in value.items():
        key = raw_key if isinstance(raw_key, str) else repr(raw_key)
        if isinstance(raw_key, str) and key == spell(key.lower()) and key.lower() in _BREAKER_KEYS:
            found[key.lower()] = inner
            continue
        close = _suggest(key, _BREAKER_KEYS)
        a.add(
            "E301",
            label,
            f"unknown key {key!r} in {label}.",
            f"Did you mean {spell(close[0])!r}?"
            if close
            else f"Use {spell('failures')!r} and {spell('cooldown')!r}.",
        )
    defaults = BreakerSettings()
    failures: Any = found.get("failures", defaults.failures)
    cooldown: Any = found.get("cooldown", defaults.cooldown)
    try:
        failures = to_number(failures, integer=True)
    except Refused:
        failures = 0
    if failures < 1:
        where = f"{label}[{spell('failures')!r}]"
        a.add(
            "E302",
            where,
            f"{where} must be an integer >= 1, got {_shown(found.get('failures'))}.",
            "Set it to how many consecutive connection failures or timeouts open the "
            f"breaker (default {defaults.failures}).",
        )
    try:
        cooldown = float(to_number(cooldown, integer=False))
    except Refused:
        cooldown = -1.0
    if not 0 < cooldown <= TIMEOUT_MAX:
        where = f"{label}[{spell('cooldown')!r}]"
        a.add(
            "E303",
            where,
            f"{where} must be a number of seconds > 0, got {_shown(found.get('cooldown'))}.",
            "Set it to how long the alias fails fast before one probe tries the server "
            f"again (default {defaults.cooldown:g}).",
        )
    if a.failed:
        return _MISSING
    return BreakerSettings(int(failures), cooldown)


def _socket_timeout_fix(options_label: str) -> str:
    return (
        f"Add 'socket_timeout' (seconds, e.g. 5) to {options_label}, longer than your slowest "
        "command; pub/sub and blocking commands (BLPOP key 0) need an alias of their own "
        "without it."
    )


def _socket_timeout(options: Mapping[str, Any], url_options: Mapping[str, Any]) -> Any:
    """The socket_timeout connections will get: OPTIONS, else the URL, else redis-py's default."""
    if "socket_timeout" in options:
        return options["socket_timeout"]
    return url_options.get("socket_timeout", REDIS_DEFAULT_SOCKET_TIMEOUT)


def _check_breaker_timeout(a: _Alias, values: dict[str, Any]) -> None:
    # A stalled server (SIGSTOP, a hung VM, a full network path) accepts
    # connections and never answers: only socket_timeout ends the wait, so a
    # breaker without one would never see the failure it exists for.
    if values.get("breaker") is None:
        return
    if values.get("kind") == KIND_CLUSTER:
        label = a.label("breaker")
        a.add(
            "E305",
            label,
            f"{label} is set on a {KIND_CLUSTER!r} alias: a breaker per cluster node is not "
            "built yet, and the setting would be ignored.",
            f"Remove {label} from this alias (its nodes' pools still fail fast when exhausted).",
        )
        return
    if _socket_timeout(values["options"], a.url_options) is not None:
        return
    label = a.label("options")
    a.add(
        "E304",
        label,
        f"{a.label('breaker')} is set but {label} has no 'socket_timeout': a stalled "
        "server would block callers for ever and never count as a failure.",
        _socket_timeout_fix(label),
    )


def timeout_warnings(
    settings: Mapping[str, PoolSettings],
    *,
    upper: bool = False,
    key_label: KeyLabel | None = None,
) -> list[Problem]:
    """``W300`` for each alias without ``socket_timeout`` (in OPTIONS or the URL).

    Not part of :func:`parse`: the library sets no default ``socket_timeout``
    (pub/sub ``listen()`` and ``BLPOP key 0`` read with it), so this is advice
    for production, shown by ``manage.py check --deploy`` and logged by Flask's
    ``init_app``. An alias that sets none gets redis-py's default, which is 5 s
    from redis-py 8 on (no warning there) and none before (a warning).
    ``upper``/``key_label`` spell the key as :func:`parse` does.
    """
    problems = []
    for alias, pool in settings.items():
        if _socket_timeout(pool.options, _parse_url(pool.url)) is not None:
            continue
        label = key_label(alias, "options") if key_label else ("OPTIONS" if upper else "options")
        problems.append(
            Problem(
                "W300",
                alias,
                label,
                f"{label} has no 'socket_timeout': a stalled Redis server blocks a caller "
                "for ever.",
                _socket_timeout_fix(label),
                "warning",
            )
        )
    return problems


def _check_options(a: _Alias, options: Any) -> Any:
    label = a.label("options")
    if not isinstance(options, Mapping):
        a.add(
            "E008",
            label,
            f"{label} must be a mapping of redis-py connection options, "
            f"got {type(options).__name__}.",
            f"Set {label} to a dict such as {{'socket_timeout': 2}}.",
        )
        return _MISSING
    accepted = accepted_options(a.scheme)
    converted: dict[str, Any] = {}
    if a.kind == KIND_CLUSTER:
        options, converted = _check_cluster_options(a, options, accepted)
    for name, value in options.items():
        shown = name if isinstance(name, str) else repr(name)
        if isinstance(name, str) and name in URL_OPTIONS:
            a.add(
                "E010",
                label,
                f"option {name!r} in {label} conflicts with the URL.",
                f"Put the {name} in {a.label('url')} and remove it from {label}.",
            )
            continue
        if not isinstance(name, str) or name not in accepted:
            if isinstance(name, str) and name.startswith("ssl") and a.scheme != "rediss":
                fix = f"TLS options need a rediss:// {a.label('url')}."
            else:
                close = _suggest(shown, accepted)
                fix = (
                    f"Did you mean {close[0]!r}?"
                    if close
                    else "See redis-py's Connection arguments for the accepted names."
                )
            a.add(
                "E009",
                label,
                f"option {shown!r} in {label} is not accepted by redis-py's "
                f"{a.scheme}:// connection.",
                fix,
            )
            continue
        rule = OPTION_RULES.get(name)
        if rule is None:
            converted[name] = value  # a newer redis-py's option: passed through
            continue
        if name in DEPRECATED_OPTIONS and DEPRECATED_OPTIONS[name] in accepted:
            a.add(
                "W101",
                label,
                f"option {name!r} in {label} is deprecated by the installed redis-py "
                "(a DeprecationWarning on every new connection).",
                f"Use {DEPRECATED_OPTIONS[name]!r} instead.",
            )
        try:
            converted[name] = rule.convert(value)
        except Refused as exc:
            if exc.code == "E104":
                a.add(
                    "E104",
                    label,
                    f"option {name!r} in {label} is not a connection option here.",
                    f"Set {a.label(name)} instead."
                    if name in ("max_connections", "timeout")
                    else f"Remove it: it is {rule.expected}.",
                )
            else:
                _value_problem(a, exc.code, label, f"option {name!r} in {label}", rule, value)
            continue
        if name == "connection_class" and not issubclass(value, SCHEME_CLASSES[a.scheme]):
            a.add(
                "E101",
                label,
                f"option 'connection_class' in {label} must derive from "
                f"{SCHEME_CLASSES[a.scheme].__name__} for a {a.scheme}:// URL, "
                f"got {value.__name__}.",
                "Derive your class from the one redis-py uses for that scheme.",
            )
    return converted


def _check_kind(a: _Alias, kind: Any) -> Any:
    label = a.label("kind")
    if not isinstance(kind, str) or kind not in KINDS or kind in PLANNED_KINDS:
        planned = isinstance(kind, str) and kind in PLANNED_KINDS
        built = ", ".join(repr(k) for k in KINDS if k not in PLANNED_KINDS)
        a.add(
            "E011",
            label,
            f"{label} {_shown(kind)} is "
            + ("not supported yet." if planned else "not a known pool kind."),
            f"Remove {label} or set it to one of {built}.",
        )
        return _MISSING
    return kind


# -- KIND "sentinel" ------------------------------------------------------------

#: Keys only a KIND "sentinel" alias takes.
SENTINEL_KEYS = ("sentinels", "sentinel_options", "role")
# Redis() arguments that make no sense for a sentinel connection (Sentinel
# passes host and port itself; the rest would bypass or replace its pool).
_NOT_SENTINEL_OPTIONS = frozenset(
    {"host", "port", "connection_pool", "unix_socket_path", "single_connection_client", "db"}
)


def format_address(address: tuple[str, int]) -> str:
    """``host:port``, with an IPv6 host in brackets (``[::1]:26379``)."""
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_address(entry: object) -> tuple[str, int] | None:
    """``(host, port)`` from ``"host:port"``, ``"[::1]:26379"`` or a pair; None if invalid."""
    if isinstance(entry, str):
        host, sep, port_text = entry.rpartition(":")
        if not sep:
            return None
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        elif ":" in host:
            return None  # an IPv6 address must be written in brackets
        port: object = port_text
    elif isinstance(entry, (tuple, list)) and len(entry) == 2:
        host, port = entry
    else:
        return None
    if not isinstance(host, str) or not host or any(c in host for c in "/@[] "):
        return None
    if isinstance(port, str) and port.isascii() and port.isdigit():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        return None
    return host, port


def _check_sentinels(a: _Alias, value: Any) -> Any:
    label = a.label("sentinels")
    example = "['10.0.0.1:26379', '10.0.0.2:26379', '[::1]:26379']"
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or not value:
        a.add(
            "E201",
            label,
            f"{label} must be a non-empty list of 'host:port' strings, got {_shown(value)}.",
            f"List every sentinel, e.g. {example}.",
        )
        return _MISSING
    seen: dict[tuple[str, int], int] = {}
    addresses: list[tuple[str, int]] = []
    for i, entry in enumerate(value):
        address = parse_address(entry)
        if address is None:
            a.add(
                "E202",
                label,
                f"{label}[{i}] {_shown(entry)} is not a sentinel address.",
                "Write 'host:port' with a port in 1-65535 (an IPv6 host in brackets: "
                "'[::1]:26379'), or a (host, port) pair.",
            )
            continue
        key = (address[0].lower(), address[1])
        if key in seen:
            a.add(
                "E203",
                label,
                f"{label}[{i}] {format_address(address)!r} repeats {label}[{seen[key]}].",
                "List each sentinel once.",
            )
            continue
        seen[key] = i
        addresses.append(address)
    if len(addresses) != len(value):
        return _MISSING
    return tuple(addresses)


def sentinel_accepted_options() -> frozenset[str]:
    """Options redis-py's ``Sentinel`` passes to each sentinel's ``Redis()`` (sentinel_kwargs)."""
    names = {
        p.name
        for p in inspect.signature(redis.Redis.__init__).parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    return frozenset(names - _NOT_SENTINEL_OPTIONS - {"self"})


def _check_sentinel_options(a: _Alias, options: Any) -> Any:
    label = a.label("sentinel_options")
    if not isinstance(options, Mapping):
        a.add(
            "E204",
            label,
            f"{label} must be a mapping of connection options for the sentinels, "
            f"got {type(options).__name__}.",
            f"Set {label} to a dict such as {{'socket_timeout': 0.5, 'password': ...}}.",
        )
        return _MISSING
    accepted = sentinel_accepted_options()
    converted: dict[str, Any] = {}
    for name, value in options.items():
        shown = name if isinstance(name, str) else repr(name)
        if not isinstance(name, str) or name not in accepted:
            close = _suggest(shown, accepted)
            a.add(
                "E205",
                label,
                f"option {shown!r} in {label} is not accepted by redis-py's sentinel connections.",
                f"Did you mean {close[0]!r}?"
                if close
                else "See the arguments of redis.Redis() for the accepted names "
                "(host and port come from the SENTINELS key).",
            )
            continue
        rule = OPTION_RULES.get(name)
        if rule is None or name in ("max_connections", "timeout"):
            converted[name] = value
            continue
        try:
            converted[name] = rule.convert(value)
        except Refused:
            _value_problem(a, "E206", label, f"option {name!r} in {label}", rule, value)
    return converted


def _check_role(a: _Alias, value: Any) -> Any:
    label = a.label("role")
    if value not in ROLES:
        close = _suggest(value, ROLES) if isinstance(value, str) else []
        a.add(
            "E207",
            label,
            f"{label} must be 'master' or 'replica', got {_shown(value)}.",
            f"Did you mean {close[0]!r}?"
            if close
            else "Use 'master' (the primary, the default) or 'replica' (reads only).",
        )
        return _MISSING
    return value


def _check_kind_keys(a: _Alias, values: dict[str, Any], given: Mapping[str, Any]) -> None:
    """Keys of one kind on an alias of another, and what a sentinel alias must have."""
    kind = values.get("kind")
    if kind is _MISSING:
        return  # E011 already
    if kind != KIND_SENTINEL:
        for name in SENTINEL_KEYS:
            if name in given:
                label = a.label(name)
                a.add(
                    "E208",
                    label,
                    f"{label} is set, but {a.label('kind')} is {kind!r}; only {a.label('kind')} "
                    f"{KIND_SENTINEL!r} takes it.",
                    f"Set {a.label('kind')} to {KIND_SENTINEL!r}, or remove {label}.",
                )
        return
    if "sentinels" not in given:
        label = a.label("sentinels")
        a.add(
            "E200",
            label,
            f"{label} is missing: a {KIND_SENTINEL!r} alias asks the sentinels where "
            "the primary is.",
            f"Set {label} to the sentinels' addresses, e.g. ['10.0.0.1:26379', "
            "'10.0.0.2:26379', '10.0.0.3:26379'].",
        )
    url = values.get("url")
    url_label = a.label("url")
    if isinstance(url, str) and url is not _MISSING:
        parts = urlsplit(url)
        problem = (
            "is a unix:// URL; the sentinels give a host and port"
            if a.scheme == "unix"
            else "has a port; the sentinels give the primary's port"
            if parts.port is not None
            else None
        )
        if problem is not None:
            a.add(
                "E209",
                url_label,
                f"{url_label} {redact_url(url)!r} {problem}.",
                "Write the service name the sentinels monitor as the host, like "
                "'redis://:password@mymaster/0' (rediss:// for TLS).",
            )
    options = values.get("options")
    if isinstance(options, Mapping) and "connection_class" in options:
        label = a.label("options")
        a.add(
            "E210",
            label,
            f"option 'connection_class' in {label} cannot be used on a {KIND_SENTINEL!r} alias.",
            "Remove it: the pool uses redis-py's SentinelManagedConnection (SSL with rediss://).",
        )


# -- cluster (E250-E299) --------------------------------------------------------

#: Names RedisCluster's own constructor takes that this library sets (from URL and
#: STARTUP_NODES) or that are not settings at all.
_CLUSTER_OURS = frozenset({"self", "kwargs", "host", "port", "startup_nodes", "url"})
#: Connection keywords RedisCluster would take from us, not from OPTIONS.
_CLUSTER_NODE_OURS = frozenset(
    {
        "connection_pool",
        "connection_pool_class",
        "host",
        "port",
        "db",
        "max_connections",
        "timeout",
        "redis_connect_func",
        "nodes_flag",
        "retry",
    }
)
#: Deprecated RedisCluster arguments and what replaces them (redis-py 6.0 .. 8.1).
_CLUSTER_DEPRECATED = {
    "read_from_replicas": "load_balancing_strategy",
    "cluster_error_retry_attempts": "retry",
}


def cluster_level_options() -> frozenset[str]:
    """Arguments the installed ``RedisCluster`` takes itself (not passed to the nodes)."""
    import redis.cluster

    params = inspect.signature(redis.cluster.RedisCluster.__init__).parameters
    return frozenset(params) - _CLUSTER_OURS


def cluster_node_options() -> frozenset[str]:
    """Connection options the installed ``RedisCluster`` passes on to each node's pool.

    ``RedisCluster`` silently drops every other keyword (its ``cleanup_kwargs``),
    so an option outside this set would be ignored without a word.
    """
    import redis.cluster

    allowed = set(redis.cluster.REDIS_ALLOWED_KEYS) - set(redis.cluster.KWARGS_DISABLED_KEYS)
    return frozenset(allowed - _CLUSTER_NODE_OURS)


def _strategy(value: Any) -> Any:
    import redis.cluster

    enum = redis.cluster.LoadBalancingStrategy
    if value is None or isinstance(value, enum):
        return value
    if isinstance(value, str):
        try:
            return enum(value.strip().lower())
        except ValueError:
            raise Refused("E103") from None
    raise Refused("E101")


def _callable_or_none(value: Any) -> Any:
    if value is not None and not callable(value):
        raise Refused("E101")
    return value


def _strategies() -> str:
    import redis.cluster

    return ", ".join(repr(s.value) for s in redis.cluster.LoadBalancingStrategy)


_CLUSTER_RULES: dict[str, Rule] = {
    "require_full_coverage": boolean(),
    "reinitialize_steps": number(0, integer=True, none=False),
    "read_from_replicas": boolean(),
    "load_balancing_strategy": Rule(
        "a redis.cluster.LoadBalancingStrategy or its value ("
        "'round_robin', 'round_robin_replicas', 'random_replica'...), or None",
        _strategy,
    ),
    "dynamic_startup_nodes": boolean(),
    "cluster_error_retry_attempts": number(0, integer=True, none=False),
    "address_remap": Rule("a callable (host, port) -> (host, port), or None", _callable_or_none),
}


def _check_cluster_options(
    a: _Alias, options: Mapping[Any, Any], accepted: frozenset[str]
) -> tuple[dict[Any, Any], dict[str, Any]]:
    """Split a cluster alias's OPTIONS: RedisCluster's own are checked here.

    Returns the connection options left for the common checks, and the
    RedisCluster options converted. Connection options RedisCluster would drop
    are refused (E254), so nothing configured is silently ignored.
    """
    label = a.label("options")
    own, nodes = cluster_level_options(), cluster_node_options()
    rest: dict[Any, Any] = {}
    converted: dict[str, Any] = {}
    for name, value in options.items():
        if not isinstance(name, str):
            rest[name] = value  # the common check reports it
        elif name == "db":
            a.add(
                "E251",
                label,
                f"option 'db' in {label}: a cluster has only database 0.",
                f"Remove 'db' from {label} (RedisCluster refuses it, even 0).",
            )
        elif name in own:
            rule = _CLUSTER_RULES.get(name) or OPTION_RULES.get(name)
            if name in _CLUSTER_DEPRECATED:
                a.add(
                    "W250",
                    label,
                    f"option {name!r} in {label} is deprecated by redis-py's RedisCluster.",
                    f"Use {_CLUSTER_DEPRECATED[name]!r} instead"
                    + (f" (one of {_strategies()})." if name == "read_from_replicas" else "."),
                )
            if rule is None:
                converted[name] = value  # passed through, as the common check does
                continue
            try:
                converted[name] = rule.convert(value)
            except Refused:
                a.add(
                    "E255",
                    label,
                    f"option {name!r} in {label} must be {rule.expected}, "
                    f"got {_shown(value, rule.secret)}.",
                    "Fix the value (numbers and booleans may be written as strings), or remove it.",
                )
        elif name in accepted and name not in nodes and name not in URL_OPTIONS:
            a.add(
                "E254",
                label,
                f"option {name!r} in {label} is a connection option redis-py's RedisCluster "
                "does not pass on to its nodes: it would be ignored silently.",
                f"Remove it from {label}"
                + (
                    f", and set {a.label(name)} instead."
                    if name in ("max_connections", "timeout")
                    else "."
                ),
            )
        elif name not in accepted and name not in URL_OPTIONS:
            close = _suggest(name, accepted | own)
            a.add(
                "E254",
                label,
                f"option {name!r} in {label} is not accepted by redis-py's RedisCluster "
                "nor by its nodes' connections.",
                f"Did you mean {close[0]!r}?"
                if close
                else "See redis-py's RedisCluster and Connection arguments.",
            )
        else:
            rest[name] = value
    return rest, converted


def _check_cluster_url(a: _Alias, url: str) -> None:
    """A cluster alias's URL: one TCP startup node, database 0."""
    label = a.label("url")
    if a.scheme == "unix":
        a.add(
            "E250",
            label,
            f"{label} {redact_url(url)!r}: a cluster is reached over TCP, not a unix socket.",
            f"Set {label} to one node of the cluster, like 'redis://10.0.0.5:7000' "
            "(or rediss:// for TLS).",
        )
        return
    db = a.url_options.get("db", 0)
    if db not in (0, None):
        a.add(
            "E251",
            label,
            f"{label} {redact_url(url)!r} selects database {db}: a cluster has only database 0.",
            f"Remove the database from {label} (write 'redis://host:port' or '.../0').",
        )


def _check_startup_nodes(a: _Alias, value: Any) -> Any:
    label = a.label("startup_nodes")
    if a.kind != KIND_CLUSTER:
        a.add(
            "E253",
            label,
            f"{label} is only for an alias with {a.label('kind')} 'cluster' "
            f"(this one is {_shown(a.kind)}).",
            f"Set {a.label('kind')} to 'cluster', or remove {label}.",
        )
        return _MISSING
    fix = (
        f"Set {label} to a list of more nodes of the cluster, like "
        "['10.0.0.6:7000', '[fd00::7]:7000'] (IPv6 in brackets), or remove it."
    )
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        a.add("E252", label, f"{label} must be a list of 'host:port', got {_shown(value)}.", fix)
        return _MISSING
    nodes: list[tuple[str, int]] = []
    for item in value:
        # Strings only: the docs promise 'host:port' (the sentinels' pairs are not taken here).
        node = parse_address(item.strip()) if isinstance(item, str) else None
        if node is None:
            a.add("E252", label, f"{label} holds {_shown(item)}, not 'host:port'.", fix)
            continue
        nodes.append(node)
    return tuple(nodes) if len(nodes) == len(value) else _MISSING


#: The pool keys, in the order they are checked (the URL first: the options
#: accepted depend on its scheme).
KEY_TABLE: tuple[Key, ...] = (
    Key("url", _MISSING, "str", _check_url),
    Key("max_connections", DEFAULT_MAX_CONNECTIONS, "int", _check_max_connections),
    Key("timeout", DEFAULT_TIMEOUT, "float", _check_timeout),
    Key("options", MappingProxyType({}), "mapping", _check_options),
    Key("kind", KIND_STANDALONE, "str", _check_kind),
    Key("leak_warning_seconds", None, "float | None", _check_leak_warning_seconds),
    Key("breaker", None, "mapping | None", _check_breaker),
    Key("sentinels", (), "list[str]", _check_sentinels),
    Key("sentinel_options", MappingProxyType({}), "mapping", _check_sentinel_options),
    Key("role", "master", "str", _check_role),
    Key("startup_nodes", (), "list[str]", _check_startup_nodes),
)
KEYS = tuple(k.name for k in KEY_TABLE)


def _check_together(a: _Alias, values: dict[str, Any]) -> None:
    """What no single key shows: the URL against OPTIONS, options against each other."""
    options: dict[str, Any] = values["options"]
    label, url_label = a.label("options"), a.label("url")
    url = values["url"]
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    # Inside the URL: redis-py lets ?db= beat the path and the userinfo beat ?password=.
    path_db = parts.path.strip("/") if a.scheme != "unix" else ""
    if path_db and "db" in query and int(path_db) != int(query["db"]):
        a.add(
            "E155",
            url_label,
            f"{url_label} {redact_url(url)!r} names database "
            f"{parts.path.strip('/')} in its path and {query['db']} in ?db=.",
            "Keep one of them.",
        )
    for name, field_value in (("password", parts.password), ("username", parts.username)):
        if field_value and name in query and unquote(field_value) != query[name]:
            a.add(
                "E155",
                url_label,
                f"{url_label} {redact_url(url)!r} sets the {name} twice, differently "
                f"(before '@' and ?{name}=).",
                "Keep one of them.",
            )
    for name, value in options.items():
        if name in a.url_options and a.url_options[name] != value:
            secret = is_secret_name(name)
            a.add(
                "E155",
                label,
                f"option {name!r} in {label} is {_shown(value, secret)}, but {url_label} "
                f"sets it to {_shown(a.url_options[name], secret)}; redis-py would use "
                "the URL's silently.",
                f"Set {name!r} in one place only.",
            )
    _check_breaker_timeout(a, values)
    if values["kind"] == KIND_CLUSTER:
        _check_cluster_url(a, url)
    protocol = options.get("protocol", a.url_options.get("protocol"))
    for name in CACHE_NEEDS_RESP3:
        if options.get(name) is not None and protocol != 3:
            a.add(
                "E105",
                label,
                f"option {name!r} in {label} needs protocol 3 (client-side caching).",
                f"Add 'protocol': 3 to {label}, or remove {name!r}.",
            )


# -- the parse ------------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    """What :func:`parse` found: the settings of every valid alias, and every problem."""

    settings: Mapping[str, PoolSettings]
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that make the settings unusable."""
        return tuple(p for p in self.problems if p.level == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems worth a log line that do not stop anything."""
        return tuple(p for p in self.problems if p.level == "warning")

    def raise_for_errors(self) -> dict[str, PoolSettings]:
        """The settings per alias; raises PoolConfigError listing every error."""
        if self.errors:
            raise PoolConfigError(self.errors)
        return dict(self.settings)


def _suggest(name: str, choices: tuple[str, ...] | frozenset[str]) -> list[str]:
    return difflib.get_close_matches(name.lower(), sorted(choices), n=1, cutoff=0.6)


class _Parser:
    def __init__(self, upper: bool, key_label: KeyLabel | None, setting: str | None) -> None:
        self.upper = upper
        self.key_label = key_label
        self.setting = setting
        self.problems: list[Problem] = []

    def spell(self, key: str) -> str:
        return key.upper() if self.upper else key

    def label(self, alias: str, key: str) -> str:
        if self.key_label is not None:
            return self.key_label(alias, key)
        return self.spell(key)

    def top(self, code: str, alias: str | None, message: str, hint: str) -> None:
        self.problems.append(Problem(code, alias, self.setting, message, hint))

    def alias(self, alias: str, raw: Mapping[Any, Any]) -> PoolSettings | None:
        a = _Alias(self, alias, raw)
        known: dict[str, Any] = {}
        for raw_key, value in raw.items():
            key = raw_key if isinstance(raw_key, str) else repr(raw_key)
            if isinstance(raw_key, str) and key == self.spell(key.lower()) and key.lower() in KEYS:
                known[key.lower()] = value
                continue
            close = _suggest(key, KEYS)
            fix = (
                f"Did you mean {self.label(alias, close[0])!r}?"
                if close
                else "Remove it or use one of "
                + ", ".join(repr(self.label(alias, k)) for k in KEYS)
                + "."
            )
            a.add("E007", key, f"unknown key {key!r}.", fix)
        values: dict[str, Any] = {}
        for entry in KEY_TABLE:
            if entry.name in known:
                values[entry.name] = entry.check(a, known[entry.name])
            elif entry.default is _MISSING:
                label = a.label(entry.name)
                a.add(
                    "E003",
                    label,
                    f"{label} is missing.",
                    f"Set {label} to the server's address, e.g. 'redis://127.0.0.1:6379/0'.",
                )
                values[entry.name] = _MISSING
            else:
                values[entry.name] = entry.default
        _check_kind_keys(a, values, known)
        if a.failed or any(v is _MISSING for v in values.values()):
            return None
        _check_together(a, values)
        if a.failed:
            return None
        return PoolSettings(alias=alias, **values)


def _alias_level_missing(parser: _Parser, raw: Mapping[Any, Any]) -> bool:
    """True when ``raw`` looks like one pool's settings written without its alias."""
    return any(
        isinstance(key, str)
        and key == parser.spell(key.lower())
        and key.lower() in KEYS
        and not isinstance(value, Mapping)
        for key, value in raw.items()
    )


def parse(
    raw: object,
    *,
    upper: bool = False,
    key_label: KeyLabel | None = None,
    setting: str | None = None,
) -> Parsed:
    """Check ``raw``, a mapping of alias to settings, once: settings and problems together.

    Pure: no network I/O, no framework import, never raises for any input.
    ``upper=True`` expects Django/Flask's upper-case keys (``URL``);
    ``key_label`` maps ``(alias, core_key)`` to the name a message should show
    (Flask's ``REDIS_URL``); ``setting`` names the whole mapping in messages
    (``REDIS_POOLS``). Values are converted where the table says so (``"5"``
    for a number becomes ``5``).
    """
    parser = _Parser(upper, key_label, setting)
    whole = setting or "the pool settings"
    if not isinstance(raw, Mapping):
        parser.top(
            "E001",
            None,
            f"{whole} must be a mapping of alias to settings, got {type(raw).__name__}.",
            f"Use a dict such as {{'default': {{{parser.spell('url')!r}: "
            "'redis://127.0.0.1:6379/0'}}.",
        )
        return Parsed(MappingProxyType({}), tuple(parser.problems))
    if _alias_level_missing(parser, raw):
        # {"URL": ..., "MAX_CONNECTIONS": 20}: one pool's keys at the top. One
        # problem with the fix, instead of one unrelated error per key.
        parser.top(
            "E001",
            None,
            f"{whole} holds the keys of one pool ({', '.join(sorted(map(str, raw)))}) "
            "instead of a mapping of alias to settings.",
            "Wrap them in {'default': {...}}, the alias get_redis() uses by default.",
        )
        return Parsed(MappingProxyType({}), tuple(parser.problems))
    settings: dict[str, PoolSettings] = {}
    for alias, config in raw.items():
        if not isinstance(alias, str) or not alias:
            parser.top(
                "E002",
                None,
                f"alias {_shown(alias)} must be a non-empty string.",
                "Name each pool with a string such as 'default' or 'cache'.",
            )
        elif not isinstance(config, Mapping):
            parser.top(
                "E002",
                alias,
                f"settings must be a mapping, got {type(config).__name__}.",
                f"Use a dict such as {{{parser.label(alias, 'url')!r}: "
                "'redis://127.0.0.1:6379/0'}.",
            )
        else:
            parsed = parser.alias(alias, config)
            if parsed is not None:
                settings[alias] = parsed
    return Parsed(MappingProxyType(settings), tuple(parser.problems))
