"""``manage.py redis_pools [--ping] [--json]``: this process's pools, one row per alias."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...._report import stats_table
from ....errors import PoolConfigError
from ....registry import registry
from ... import conf


class Command(BaseCommand):
    """List this process's pools; with ``--ping``, raise CommandError when an alias fails."""

    help = (
        "Show each REDIS_POOLS alias of this process (redacted URL, max, built, created, "
        "in use, idle, exhausted, pid). --ping pings every alias and exits non-zero when "
        "one fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ping", action="store_true", help="PING every alias.")
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
        parser.add_argument(
            "--timeout",
            type=float,
            default=2.0,
            help="Seconds to wait for each PING (default 2).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            conf.pool_settings()
        except PoolConfigError as exc:
            raise CommandError(f"{exc}\nRun `manage.py check` for every problem.") from None
        rows: dict[str, dict[str, Any]] = {a: dict(r) for a, r in registry.stats().items()}
        failed: list[str] = []
        if options["ping"]:
            for alias, row in rows.items():
                error = conf.ping(alias, timeout=options["timeout"])
                row["ping"] = "ok" if error is None else f"failed: {error}"
                if error is not None:
                    failed.append(alias)
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2, sort_keys=True))
        else:
            self.stdout.write(stats_table(rows, [("ping", "ping")] if options["ping"] else ()))
        if failed:
            raise CommandError(
                f"{len(failed)} of {len(rows)} alias(es) did not answer PING: "
                + ", ".join(repr(a) for a in failed)
            )
