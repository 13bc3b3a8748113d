"""``flask redis-pools``: inspect and check the current app's pools."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from .extension import RedisPools

__all__ = ["redis_pools_cli"]

# Stateless: every call looks up the current app's pools.
_pools = RedisPools()

_COLUMNS = (
    ("ALIAS", "alias"),
    ("URL", "url"),
    ("MAX", "max_connections"),
    ("BUILT", "built"),
    ("CREATED", "created_connections"),
    ("IN_USE", "in_use_connections"),
    ("IDLE", "idle_connections"),
    ("EXHAUSTED", "exhausted"),
)


@click.group("redis-pools", cls=AppGroup)
def redis_pools_cli() -> None:
    """Inspect the Redis pools of this app (RedisPools extension)."""


@redis_pools_cli.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def stats_command(as_json: bool) -> None:
    """Show each alias's pool numbers in this process (URLs without passwords)."""
    stats = _pools.stats()
    if as_json:
        click.echo(json.dumps(stats, indent=2, sort_keys=True))
        return
    rows = [[title for title, _ in _COLUMNS]]
    for alias, numbers in stats.items():
        values = {"alias": alias, **numbers}
        rows.append([str(values[key]) for _, key in _COLUMNS])
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


@redis_pools_cli.command("ping")
def ping_command() -> None:
    """PING every alias; exit with status 1 when any fails."""
    results = _pools.ping()
    for alias, error in results.items():
        if error is None:
            click.echo(f"{alias}: ok")
        else:
            click.echo(f"{alias}: FAILED ({error})", err=True)
    failed = [alias for alias, error in results.items() if error is not None]
    if failed:
        raise click.exceptions.Exit(1)
