"""The reference pages list every settings key, statistic and metric the code has.

Like the problem-code table (tests/test_docs_examples.py), the option table
(tests/test_config.py) and the Django check-id table (tests/test_django/test_checks.py):
each table is read from the docs and compared with the one name list the code keeps, so a
key added to the code without its row (or a row left for a removed key) fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

from redis_pool_integrations import PoolStats
from redis_pool_integrations.aio import AsyncPoolStats
from redis_pool_integrations.settings import KEY_TABLE

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _section(page: str, label: str) -> str:
    """The text of ``page`` from the ``.. _label:`` target to the next target."""
    text = (DOCS / page).read_text()
    return text.split(f".. _{label}:", 1)[1].split("\n.. _", 1)[0]


def _first_cells(section: str) -> list[str]:
    """The ``code`` literals of each list-table row's first cell, in order."""
    cells = re.findall(r"^\s*\* - (.+)$", section, re.M)
    return [name for cell in cells for name in re.findall(r"``([\w.]+)", cell)]


def test_configuration_reference_lists_every_pool_key_with_its_section() -> None:
    text = (DOCS / "configuration.rst").read_text()
    table = text.split(".. list-table:: All keys", 1)[1].split("\n\n\n", 1)[0]
    rows = re.findall(r"^   \* - :ref:`(\w+) <config-([\w-]+)>`$", table, re.M)
    assert [name for name, _ in rows] == [key.name for key in KEY_TABLE]
    for name, label in rows:
        assert label == name.replace("_", "-")
        # Each key has its own section under that label, headed by the key's name.
        assert re.search(rf"^\.\. _config-{label}:\n\n``{name}``\n-+$", text, re.M), name


def test_stats_table_lists_every_pool_stats_key() -> None:
    section = _section("operations.rst", "stats")
    listed = [name for name in _first_cells(section) if name != "Key"]
    assert sorted(listed) == sorted(PoolStats.__annotations__)
    assert len(listed) == len(set(listed))


def test_async_stats_table_lists_every_async_pool_stats_key() -> None:
    section = _section("operations.rst", "stats-async")
    listed = _first_cells(section)
    assert sorted(listed) == sorted(AsyncPoolStats.__annotations__)
    assert len(listed) == len(set(listed))


def test_metrics_table_lists_every_exported_metric_once() -> None:
    # Imported here: the prometheus extra is in the dev group, but the module is
    # the one place that names the metrics.
    from redis_pool_integrations.prometheus import METRIC_NAMES

    section = _section("operations.rst", "metrics")
    listed = re.findall(r"^   \* - ``(redis_pool_\w+)(?:\{[^}]*\})?``$", section, re.M)
    assert sorted(listed) == sorted(METRIC_NAMES)
    assert len(listed) == len(set(listed))
