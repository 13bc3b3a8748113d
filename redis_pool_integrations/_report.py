"""The stats table both command-line tools print (manage.py and flask)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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
    ("pid", "pid"),
)


def stats_table(
    stats: Mapping[str, Mapping[str, Any]], extra: Sequence[tuple[str, str]] = ()
) -> str:
    """Render ``PoolRegistry.stats()`` (URLs already redacted) as aligned columns.

    ``extra`` appends columns, e.g. ``[("ping", "ping")]`` for rows that carry it.
    """
    columns = [*STATS_COLUMNS, *extra]
    lines = [[title for title, _ in columns]]
    for alias, row in stats.items():
        values = {"alias": alias, **row}
        lines.append([str(values.get(key, "")) for _, key in columns])
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
