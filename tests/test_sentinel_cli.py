"""``manage.py redis_pools`` and ``flask redis-pools stats`` on a KIND "sentinel" alias.

Both run as real processes on the same settings (the fixture of
tests/test_cli_parity.py): the same table with the sentinel columns, the
same JSON, a PING through the sentinels, status 0.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from harness import SentinelSet
from redis_pool_integrations._report import EXIT_OK, SENTINEL_COLUMNS

from .test_cli_parity import CliPair, _without_pid, _without_pid_column, clis  # noqa: F401


def test_both_clis_report_and_ping_a_sentinel_alias_alike(
    clis: Callable[[dict[str, Any]], CliPair],  # noqa: F811
    sentinel_set: SentinelSet,
) -> None:
    both = clis(
        {
            "default": {
                "KIND": "sentinel",
                "URL": f"redis://{sentinel_set.service_name}/0",
                "SENTINELS": sentinel_set.sentinel_urls(),
            }
        }
    )
    django, flask = both("--ping")
    assert (django.code, flask.code) == (EXIT_OK, EXIT_OK), (django, flask)
    assert _without_pid_column(django.out) == _without_pid_column(flask.out)
    header = django.out.splitlines()[0]
    assert all(title in header for title, _ in SENTINEL_COLUMNS)
    assert django.out.splitlines()[1].endswith("ok")

    django, flask = both("--json")
    assert (django.code, flask.code) == (EXIT_OK, EXIT_OK)
    d, f = json.loads(django.out), json.loads(flask.out)
    assert _without_pid(d) == _without_pid(f)
    assert d["default"]["kind"] == "sentinel"
    assert d["default"]["sentinel"]["service"] == sentinel_set.service_name
    assert d["default"]["sentinel"]["sentinels"] == 3
