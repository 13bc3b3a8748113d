"""``flask redis-pools``: inspect and check the current app's pools."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from .._report import stats_table
from .extension import RedisPools

__all__ = ["redis_pools_cli"]

# Stateless: every call looks up the current app's pools.
_pools = RedisPools()


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
    click.echo(stats_table(stats))


@redis_pools_cli.command("ping")
@click.option("--timeout", default=2.0, show_default=True, help="Seconds to wait for each PING.")
def ping_command(timeout: float) -> None:
    """PING every alias on a one-off connection; exit with status 1 when any fails.

    Like ``manage.py redis_pools --ping``: no retries, at most ``--timeout``
    seconds per alias, and this process's pools are not built.
    """
    results = _pools.get_registry().ping(timeout=timeout)
    for alias, error in results.items():
        if error is None:
            click.echo(f"{alias}: ok")
        else:
            click.echo(f"{alias}: FAILED ({error})", err=True)
    failed = [alias for alias, error in results.items() if error is not None]
    if failed:
        raise click.exceptions.Exit(1)
