"""Pool settings: the public names of the settings model, and the two entry points.

The table of keys and options and the one parse live in
:mod:`redis_pool_integrations.settings`, redaction in
:mod:`redis_pool_integrations.redact`; this module keeps the names users and
adapters import (``PoolSettings``, ``Problem``, ``parse_config``,
``validate``, ``CODES``...) and stays free of Django, Flask and the network.
"""

from __future__ import annotations

from .options import SCHEMES, TIMEOUT_MAX, URL_OPTIONS
from .redact import redact_error as _redact_error
from .redact import redact_url
from .settings import (
    CODES,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_TIMEOUT,
    HUGE_MAX_CONNECTIONS,
    KEYS,
    KIND_STANDALONE,
    MAX_CONNECTIONS_LIMIT,
    PLANNED_KINDS,
    KeyLabel,
    Parsed,
    PoolSettings,
    Problem,
    parse,
)

__all__ = [
    "CODES",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_TIMEOUT",
    "HUGE_MAX_CONNECTIONS",
    "KEYS",
    "KIND_STANDALONE",
    "MAX_CONNECTIONS_LIMIT",
    "PLANNED_KINDS",
    "SCHEMES",
    "TIMEOUT_MAX",
    "URL_OPTIONS",
    "KeyLabel",
    "Parsed",
    "PoolSettings",
    "Problem",
    "parse",
    "parse_config",
    "redact_error",
    "redact_url",
    "validate",
]


def validate(
    config: object,
    *,
    upper: bool = False,
    key_label: KeyLabel | None = None,
    setting: str | None = None,
) -> list[Problem]:
    """Return every problem of ``config``, a mapping of alias to settings.

    Pure: no network I/O, no framework import, never raises for any input.
    ``upper=True`` expects Django/Flask's upper-case keys (``URL``); ``key_label``
    maps ``(alias, core_key)`` to the name a message should show, for adapters
    whose settings are spelled differently (Flask's ``REDIS_URL``); ``setting``
    names the whole mapping in messages (``REDIS_POOLS``).
    """
    return list(parse(config, upper=upper, key_label=key_label, setting=setting).problems)


def parse_config(
    config: object,
    *,
    upper: bool = False,
    key_label: KeyLabel | None = None,
    setting: str | None = None,
) -> dict[str, PoolSettings]:
    """Validate ``config`` and return a :class:`PoolSettings` per alias.

    Raises :class:`~redis_pool_integrations.PoolConfigError` listing every
    error (warnings do not raise).
    """
    return parse(config, upper=upper, key_label=key_label, setting=setting).raise_for_errors()


def redact_error(exc: BaseException, settings: PoolSettings) -> str:
    """``"TypeName: message"`` of ``exc`` with the alias's password masked, for output."""
    return _redact_error(exc, settings.url, settings.options)
