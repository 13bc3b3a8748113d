"""The one report behind ``manage.py redis_pools`` and ``flask redis-pools``.

Both commands are thin: they parse their options with :func:`ping_timeout`,
call :func:`pool_report` on their registry and print :meth:`PoolReport.table`
or :meth:`PoolReport.json`, then exit with :attr:`PoolReport.exit_code`
(printing :attr:`PoolReport.failure` on standard error first). So the two
tools print the same bytes and exit with the same status for the same pools.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .constants import PING_TIMEOUT

if TYPE_CHECKING:
    from .registry import PoolRegistry

__all__ = [
    "EXIT_OK",
    "EXIT_PING_FAILED",
    "EXIT_USAGE",
    "PING_COLUMN",
    "SENTINEL_COLUMNS",
    "STATS_COLUMNS",
    "PoolReport",
    "ping_timeout",
    "pool_report",
    "stats_table",
]

#: Every alias asked for is configured and, with ``--ping``, answered.
EXIT_OK = 0
#: At least one alias did not answer PING (or, in Django, the settings are invalid).
EXIT_PING_FAILED = 1
#: The command line itself is wrong: an unknown alias or a bad ``--timeout``
#: (the status argparse and click use for usage errors).
EXIT_USAGE = 2

#: (title, key of a stats() row); "alias" is the row's alias.
STATS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("alias", "alias"),
    ("url", "url"),
    ("max", "max_connections"),
    ("built", "built"),
    ("created", "created_connections"),
    ("in_use", "in_use_connections"),
    ("idle", "idle_connections"),
    ("exhausted", "exhausted"),
    ("breaker", "breaker_state"),
    ("pid", "pid"),
)
#: The column a pinged report adds: ``ok`` or ``failed: <error without password>``.
PING_COLUMN = ("ping", "ping")
#: The columns a report adds when an alias is KIND "sentinel" (from its ``sentinel`` stats).
SENTINEL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("primary", "sentinel.primary"),
    ("failovers", "sentinel.failovers"),
    ("subscriber", "sentinel.subscriber"),
)


def ping_timeout(value: object) -> float:
    """``value`` as a PING timeout in seconds: a finite number > 0.

    Accepts numbers and numeric strings (a command-line value). Raises
    :class:`ValueError` with the fix for 0, negative, NaN, infinite and
    non-numeric values: a socket cannot wait for those, and 0 would make it
    non-blocking and report a healthy server as failed.
    """
    if isinstance(value, bool):
        seconds = math.nan  # True would pass as 1 second: refuse it as a non-number
    else:
        try:
            seconds = float(value)  # type: ignore[arg-type]  # checked by the except
        except (TypeError, ValueError):
            seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(
            f"the PING timeout must be a number of seconds greater than 0, got {value!r}. "
            f"Pass e.g. --timeout {PING_TIMEOUT:g} (timeout={PING_TIMEOUT:g})."
        )
    return seconds


def stats_table(
    stats: Mapping[str, Mapping[str, Any]], extra: Sequence[tuple[str, str]] = ()
) -> str:
    """Render ``PoolRegistry.stats()`` (URLs already redacted) as aligned columns.

    ``extra`` appends columns, e.g. ``[PING_COLUMN]`` for rows that carry it.
    """
    sentinel = any(row.get("kind") == "sentinel" for row in stats.values())
    columns = [*STATS_COLUMNS, *(SENTINEL_COLUMNS if sentinel else ()), *extra]
    lines = [[title for title, _ in columns]]
    for alias, row in stats.items():
        nested = row.get("sentinel") or {}
        values = {"alias": alias, **row, **{f"sentinel.{k}": v for k, v in nested.items()}}
        lines.append([str(values.get(key, "")) for _, key in columns])
        # A cluster alias: one line per node under its own, "alias host:port".
        for node in row.get("nodes") or ():
            values = {**node, "alias": f"{alias} {node['node']}"}
            lines.append([str(values.get(key, "")) for _, key in columns])
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


@dataclass(frozen=True)
class PoolReport:
    """What a pools command prints and how it exits, decided once for both CLIs."""

    #: alias -> the :meth:`PoolRegistry.stats` row, plus ``ping`` when pinged.
    rows: dict[str, dict[str, Any]]
    #: Whether the aliases were pinged (the table then has a ``ping`` column).
    pinged: bool
    #: The aliases that did not answer PING, in report order.
    failed: tuple[str, ...]

    def table(self) -> str:
        """The aligned table, one row per alias (no trailing newline)."""
        return stats_table(self.rows, [PING_COLUMN] if self.pinged else ())

    def json(self) -> str:
        """The rows as indented JSON with sorted keys (no trailing newline)."""
        return json.dumps(self.rows, indent=2, sort_keys=True)

    @property
    def exit_code(self) -> int:
        """:data:`EXIT_PING_FAILED` when an alias failed PING, else :data:`EXIT_OK`."""
        return EXIT_PING_FAILED if self.failed else EXIT_OK

    @property
    def failure(self) -> str | None:
        """The one-line summary for standard error when an alias failed, else ``None``."""
        if not self.failed:
            return None
        return (
            f"{len(self.failed)} of {len(self.rows)} alias(es) did not answer PING: "
            + ", ".join(repr(alias) for alias in self.failed)
        )


def pool_report(
    registry: PoolRegistry,
    aliases: Iterable[str] = (),
    *,
    ping: bool = False,
    timeout: float = PING_TIMEOUT,
) -> PoolReport:
    """This process's numbers for ``aliases`` (every configured one when empty).

    With ``ping=True`` each alias is pinged on a one-off connection without
    retries that waits at most ``timeout`` seconds, so the report builds no
    pool and never hangs on a dead server (:meth:`PoolRegistry.ping`). Raises
    :class:`~redis_pool_integrations.PoolNotFoundError` for an unknown alias
    (a usage error: :data:`EXIT_USAGE`) and :class:`ValueError` for a bad
    ``timeout`` (see :func:`ping_timeout`), both before any network I/O.
    """
    wanted = list(dict.fromkeys(aliases)) or list(registry.aliases)
    for alias in wanted:
        registry.settings(alias)  # raises PoolNotFoundError naming the configured ones
    if ping:
        timeout = ping_timeout(timeout)
    stats = registry.stats()
    rows = {alias: dict(stats[alias]) for alias in wanted}
    failed: list[str] = []
    if ping:
        for alias, error in registry.ping(wanted, timeout=timeout).items():
            rows[alias]["ping"] = "ok" if error is None else f"failed: {error}"
            if error is not None:
                failed.append(alias)
    return PoolReport(rows=rows, pinged=ping, failed=tuple(failed))
