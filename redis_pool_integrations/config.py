"""Pool settings: a frozen dataclass per alias and a pure validation.

Nothing here imports Django or Flask or touches the network: the Django system
checks, the Flask extension and :class:`~redis_pool_integrations.PoolRegistry`
all call :func:`validate` / :func:`parse_config` and only differ in how they
spell the keys (``url`` in the core, ``URL`` in Django and Flask settings).
"""

from __future__ import annotations

import difflib
import functools
import inspect
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import redis.connection

from .errors import PoolConfigError

__all__ = [
    "CODES",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_TIMEOUT",
    "KEYS",
    "PoolSettings",
    "Problem",
    "parse_config",
    "redact_error",
    "redact_url",
    "validate",
]

DEFAULT_MAX_CONNECTIONS = 50
DEFAULT_TIMEOUT = 5.0
KEYS = ("url", "max_connections", "timeout", "options", "kind")
SCHEMES = ("redis", "rediss", "unix")
KIND_STANDALONE = "standalone"
#: Pool kinds the settings model reserves; only ``standalone`` is built today.
PLANNED_KINDS = ("sentinel", "cluster")
#: Options that come from the URL; accepting them twice would make one silently win.
URL_OPTIONS = ("host", "port", "path")
#: A per-process cap above this is almost certainly a unit mistake.
HUGE_MAX_CONNECTIONS = 10_000

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
    "W001": "MAX_CONNECTIONS is very large for a single process",
}

_PASSWORD_IN_URL = re.compile(r"(?P<head>//[^:/?#@]*:)(?P<secret>[^@/?#]*)@")


def redact_url(url: object) -> str:
    """Return ``url`` with any password replaced by ``***``.

    Works on malformed URLs too (it never raises), so it is safe to call on
    whatever a user put in their settings before putting it in a message.
    """
    if not isinstance(url, str):
        return f"<{type(url).__name__}>"
    return _PASSWORD_IN_URL.sub(r"\g<head>***@", url)


def redact_error(exc: BaseException, settings: PoolSettings) -> str:
    """``"TypeName: message"`` of ``exc`` with the alias's password masked, for output."""
    text = redact_url(f"{type(exc).__name__}: {exc}")
    secrets = [urlsplit(settings.url).password, settings.options.get("password")]
    for secret in secrets:
        if isinstance(secret, str) and secret:
            text = text.replace(secret, "***")
    return text


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
    """The validated settings of one alias (core spelling, lower-case keys)."""

    alias: str
    url: str = field(repr=False)
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    timeout: float = DEFAULT_TIMEOUT
    # Options may carry a password or a credential provider: kept out of repr().
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)
    kind: str = KIND_STANDALONE

    @property
    def redacted_url(self) -> str:
        """The URL with its password, if any, replaced by ``***``."""
        return redact_url(self.url)

    def __repr__(self) -> str:
        return (
            f"PoolSettings(alias={self.alias!r}, url={self.redacted_url!r}, "
            f"max_connections={self.max_connections}, timeout={self.timeout:g}, "
            f"options={sorted(self.options)!r}, kind={self.kind!r})"
        )


KeyLabel = Callable[[str, str], str]

# redis-py's own URL parser, so we reject exactly what it would reject.
_parse_url: Callable[[str], dict[str, Any]] = redis.connection.parse_url


@functools.cache
def _accepted_options(scheme: str) -> frozenset[str]:
    """Keyword arguments redis-py's connection class for ``scheme`` accepts.

    Read from redis-py's own signatures, so the list follows the installed
    version instead of a copy that goes stale.
    """
    classes: list[type[Any]] = [redis.connection.AbstractConnection]
    if scheme == "unix":
        classes.append(redis.connection.UnixDomainSocketConnection)
    else:
        classes.append(redis.connection.Connection)
        if scheme == "rediss":
            classes.append(redis.connection.SSLConnection)
    names: set[str] = set()
    for cls in classes:
        for param in inspect.signature(cls.__init__).parameters.values():
            if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
                names.add(param.name)
    names.discard("self")
    return frozenset(names - set(URL_OPTIONS))


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _suggest(name: str, choices: tuple[str, ...] | frozenset[str]) -> list[str]:
    return difflib.get_close_matches(name.lower(), sorted(choices), n=1, cutoff=0.6)


class _Checker:
    """Collects the problems of one configuration mapping."""

    def __init__(self, upper: bool, key_label: KeyLabel | None) -> None:
        self.upper = upper
        self.key_label = key_label
        self.problems: list[Problem] = []

    def label(self, alias: str, key: str) -> str:
        if self.key_label is not None:
            return self.key_label(alias, key)
        return key.upper() if self.upper else key

    def add(self, code: str, alias: str | None, key: str | None, message: str, hint: str) -> None:
        level: Literal["error", "warning"] = "warning" if code.startswith("W") else "error"
        self.problems.append(Problem(code, alias, key, message, hint, level))

    def check_alias(self, alias: str, settings: Mapping[Any, Any]) -> None:
        canonical: dict[str, Any] = {}
        for raw_key, value in settings.items():
            key = raw_key if isinstance(raw_key, str) else repr(raw_key)
            wanted = key.upper() if self.upper else key.lower()
            if isinstance(raw_key, str) and key == wanted and key.lower() in KEYS:
                canonical[key.lower()] = value
                continue
            close = _suggest(key, KEYS)
            fix = (
                f"Did you mean {self.label(alias, close[0])!r}?"
                if close
                else "Remove it or use one of "
                + ", ".join(repr(self.label(alias, k)) for k in KEYS)
                + "."
            )
            self.add("E007", alias, key, f"unknown key {key!r}.", fix)

        url = canonical.get("url")
        url_label = self.label(alias, "url")
        scheme = "redis"
        if "url" not in canonical:
            self.add(
                "E003",
                alias,
                url_label,
                f"{url_label} is missing.",
                f"Set {url_label} to the server's address, e.g. 'redis://127.0.0.1:6379/0'.",
            )
        else:
            scheme = self.check_url(alias, url_label, url) or scheme

        if "max_connections" in canonical:
            self.check_max_connections(alias, canonical["max_connections"])
        if "timeout" in canonical:
            value = canonical["timeout"]
            label = self.label(alias, "timeout")
            if not _is_number(value) or not math.isfinite(value) or value < 0:
                self.add(
                    "E006",
                    alias,
                    label,
                    f"{label} must be a number of seconds >= 0, got {value!r}.",
                    f"Set {label} to how long a caller may wait for a free connection "
                    f"when all are in use (default {DEFAULT_TIMEOUT:g}).",
                )
        if "options" in canonical:
            self.check_options(alias, scheme, canonical["options"])
        if "kind" in canonical:
            kind = canonical["kind"]
            label = self.label(alias, "kind")
            if kind != KIND_STANDALONE:
                planned = isinstance(kind, str) and kind in PLANNED_KINDS
                self.add(
                    "E011",
                    alias,
                    label,
                    f"{label} {kind!r} is "
                    + ("not supported yet." if planned else "not a known pool kind."),
                    f"Remove {label} or set it to {KIND_STANDALONE!r} "
                    "(sentinel and cluster pools are planned, not built).",
                )

    def check_url(self, alias: str, label: str, url: object) -> str | None:
        fix = (
            f"Set {label} to a URL like 'redis://[[user]:password@]host[:port][/db]', "
            "'rediss://...' for TLS, or 'unix:///path/to/redis.sock'."
        )
        if not isinstance(url, str) or not url:
            self.add("E004", alias, label, f"{label} must be a non-empty string.", fix)
            return None
        shown = redact_url(url)
        try:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme not in SCHEMES:
                self.add(
                    "E004",
                    alias,
                    label,
                    f"{label} {shown!r} has scheme {parts.scheme!r}; "
                    "only redis://, rediss:// and unix:// are supported.",
                    fix,
                )
                return None
            if scheme == "unix" and not parts.path:
                raise ValueError("no socket path")
            parts.port  # noqa: B018 - raises ValueError for a port like ':abc'
            _parse_url(url)
        except ValueError:
            self.add("E004", alias, label, f"{label} {shown!r} is not a valid URL.", fix)
            return None
        return scheme

    def check_max_connections(self, alias: str, value: object) -> None:
        label = self.label(alias, "max_connections")
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            self.add(
                "E005",
                alias,
                label,
                f"{label} must be an integer >= 1, got {value!r}.",
                f"Set it to the number of connections one worker process may open "
                f"(default {DEFAULT_MAX_CONNECTIONS}).",
            )
        elif value > HUGE_MAX_CONNECTIONS:
            self.add(
                "W001",
                alias,
                label,
                f"{label} is {value}, for one process.",
                "It caps connections per worker process, not in total: "
                "use about the number of threads of one worker.",
            )

    def check_options(self, alias: str, scheme: str, options: object) -> None:
        label = self.label(alias, "options")
        if not isinstance(options, Mapping):
            self.add(
                "E008",
                alias,
                label,
                f"{label} must be a mapping of redis-py connection options, "
                f"got {type(options).__name__}.",
                f"Set {label} to a dict such as {{'socket_timeout': 2}}.",
            )
            return
        accepted = _accepted_options(scheme)
        for name in options:
            if isinstance(name, str) and name in URL_OPTIONS:
                self.add(
                    "E010",
                    alias,
                    label,
                    f"option {name!r} in {label} conflicts with the URL.",
                    f"Put the {name} in {self.label(alias, 'url')} and remove it from {label}.",
                )
            elif not isinstance(name, str) or name not in accepted:
                shown = name if isinstance(name, str) else repr(name)
                if isinstance(name, str) and name.startswith("ssl") and scheme != "rediss":
                    fix = f"TLS options need a rediss:// {self.label(alias, 'url')}."
                else:
                    close = _suggest(shown, accepted)
                    fix = (
                        f"Did you mean {close[0]!r}?"
                        if close
                        else "See redis-py's Connection arguments for the accepted names."
                    )
                self.add(
                    "E009",
                    alias,
                    label,
                    f"option {shown!r} in {label} is not accepted by redis-py's "
                    f"{scheme}:// connection.",
                    fix,
                )


def validate(
    config: object, *, upper: bool = False, key_label: KeyLabel | None = None
) -> list[Problem]:
    """Return every problem of ``config``, a mapping of alias to settings.

    Pure: no network I/O, no framework import, never raises for any input.
    ``upper=True`` expects Django/Flask's upper-case keys (``URL``); ``key_label``
    maps ``(alias, core_key)`` to the name a message should show, for adapters
    whose settings are spelled differently (Flask's ``REDIS_URL``).
    """
    checker = _Checker(upper, key_label)
    if not isinstance(config, Mapping):
        checker.add(
            "E001",
            None,
            None,
            f"the pool settings must be a mapping of alias to settings, "
            f"got {type(config).__name__}.",
            "Use a dict such as {'default': {'URL': 'redis://127.0.0.1:6379/0'}}.",
        )
        return checker.problems
    for alias, settings in config.items():
        if not isinstance(alias, str) or not alias:
            checker.add(
                "E002",
                None,
                None,
                f"alias {alias!r} must be a non-empty string.",
                "Name each pool with a string such as 'default' or 'cache'.",
            )
        elif not isinstance(settings, Mapping):
            checker.add(
                "E002",
                alias,
                None,
                f"settings must be a mapping, got {type(settings).__name__}.",
                f"Use a dict such as {{{checker.label(alias, 'url')!r}: "
                "'redis://127.0.0.1:6379/0'}.",
            )
        else:
            checker.check_alias(alias, settings)
    return checker.problems


def parse_config(
    config: object, *, upper: bool = False, key_label: KeyLabel | None = None
) -> dict[str, PoolSettings]:
    """Validate ``config`` and return a :class:`PoolSettings` per alias.

    Raises :class:`~redis_pool_integrations.PoolConfigError` listing every
    error (warnings do not raise).
    """
    errors = [p for p in validate(config, upper=upper, key_label=key_label) if p.level == "error"]
    if errors:
        raise PoolConfigError(errors)
    assert isinstance(config, Mapping)  # validate() reported E001 otherwise
    parsed: dict[str, PoolSettings] = {}
    for alias, settings in config.items():
        get = {(k.lower() if isinstance(k, str) else k): v for k, v in settings.items()}.get
        parsed[alias] = PoolSettings(
            alias=alias,
            url=str(get("url")),
            max_connections=get("max_connections", DEFAULT_MAX_CONNECTIONS),
            timeout=float(get("timeout", DEFAULT_TIMEOUT)),
            options=dict(get("options", {})),
            kind=get("kind", KIND_STANDALONE),
        )
    return parsed
