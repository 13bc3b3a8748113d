"""``manage.py redis_pools [ALIAS ...] [--ping] [--json] [--timeout S]``: the core report."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...._report import EXIT_PING_FAILED, EXIT_USAGE, ping_timeout, pool_report
from ....constants import PING_TIMEOUT
from ....errors import PoolConfigError, PoolNotFoundError
from ....registry import default_registry
from ... import conf


def _timeout(value: str) -> float:
    # argparse turns ArgumentTypeError into a usage error (exit status 2).
    try:
        return ping_timeout(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class Command(BaseCommand):
    """Print this process's pools (the same report as ``flask redis-pools stats``).

    Exit status: 0 when every alias is fine, 1 when one fails ``--ping`` (or
    the settings are invalid), 2 for an unknown alias or a bad ``--timeout``.
    """

    help = (
        "Show each REDIS_POOLS alias of this process (redacted URL, max, built, created, "
        "in use, idle, exhausted, pid). --ping pings every alias and exits with status 1 "
        "when one fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("aliases", nargs="*", metavar="ALIAS", help="Only these aliases.")
        parser.add_argument("--ping", action="store_true", help="PING every alias.")
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
        parser.add_argument(
            "--timeout",
            type=_timeout,
            default=PING_TIMEOUT,
            help=f"Seconds to wait for each PING, > 0 (default {PING_TIMEOUT:g}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            conf.pool_settings()
        except PoolConfigError as exc:
            raise CommandError(
                f"{exc}\nRun `manage.py check` for every problem.", returncode=EXIT_PING_FAILED
            ) from None
        try:
            # Checked again here: call_command(timeout=...) does not go through argparse.
            timeout = ping_timeout(options["timeout"])
            report = pool_report(
                default_registry, options["aliases"], ping=options["ping"], timeout=timeout
            )
        except (PoolNotFoundError, ValueError) as exc:
            # A wrong alias is a wrong command line, like a bad --timeout. (A
            # PoolConfigError is a ValueError too, but pool_settings() above
            # has already turned invalid settings into status 1.)
            raise CommandError(str(exc), returncode=EXIT_USAGE) from None
        self.stdout.write(report.json() if options["json"] else report.table())
        if report.failure is not None:
            raise CommandError(report.failure, returncode=report.exit_code)
