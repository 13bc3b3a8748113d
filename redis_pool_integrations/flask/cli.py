"""``flask redis-pools stats|ping``: the core report for the current app's pools."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import AppGroup

from .._report import EXIT_PING_FAILED, EXIT_USAGE, ping_timeout, pool_report
from ..constants import PING_TIMEOUT
from ..errors import PoolNotFoundError
from .extension import RedisPools

__all__ = ["redis_pools_cli"]

# Stateless: every call looks up the current app's pools.
_pools = RedisPools()


def _timeout(ctx: click.Context, param: click.Parameter, value: float) -> float:
    # BadParameter is a usage error: exit status 2, as argparse gives Django's command.
    try:
        return ping_timeout(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _report_options(func: Callable[..., None]) -> Callable[..., None]:
    # The options of `manage.py redis_pools`, spelled the same.
    func = click.option(
        "--timeout",
        type=float,
        callback=_timeout,
        default=PING_TIMEOUT,
        show_default=True,
        help="Seconds to wait for each PING, > 0.",
    )(func)
    func = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        func
    )
    return click.argument("aliases", nargs=-1, metavar="[ALIAS]...")(func)


@click.group("redis-pools", cls=AppGroup)
def redis_pools_cli() -> None:
    """Inspect the Redis pools of this app (RedisPools extension)."""


class _PingFailed(click.ClickException):
    """Printed as ``Error: <message>`` on standard error, like Django's CommandError."""

    exit_code = EXIT_PING_FAILED


class _UnknownAlias(click.ClickException):
    """A wrong alias is a wrong command line: the status of a usage error."""

    exit_code = EXIT_USAGE


def _run(aliases: tuple[str, ...], ping: bool, as_json: bool, timeout: float) -> None:
    try:
        report = pool_report(_pools.get_registry(), aliases, ping=ping, timeout=timeout)
    except PoolNotFoundError as exc:
        raise _UnknownAlias(str(exc)) from None
    click.echo(report.json() if as_json else report.table())
    if report.failure is not None:
        raise _PingFailed(report.failure)


@redis_pools_cli.command("stats")
@click.option("--ping", is_flag=True, help="PING every alias.")
@_report_options
def stats_command(aliases: tuple[str, ...], ping: bool, as_json: bool, timeout: float) -> None:
    """Show each alias's pool numbers in this process (URLs without passwords).

    The same report as ``manage.py redis_pools``: with ``--ping`` every alias
    is pinged on a one-off connection without retries (at most ``--timeout``
    seconds each, no pool built). Exit status 1 when an alias fails PING,
    2 for an unknown alias or a bad ``--timeout``.
    """
    _run(aliases, ping, as_json, timeout)


@redis_pools_cli.command("ping")
@_report_options
def ping_command(aliases: tuple[str, ...], as_json: bool, timeout: float) -> None:
    """PING every alias: the same as ``stats --ping``.

    Exit status 1 when an alias does not answer, 2 for an unknown alias or a
    bad ``--timeout``.
    """
    _run(aliases, True, as_json, timeout)
