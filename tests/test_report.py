"""The stats table both command-line tools print."""

from __future__ import annotations

from redis_pool_integrations._report import stats_table


def test_stats_table_aligns_one_row_per_alias_with_extra_columns() -> None:
    stats = {
        "default": {"url": "redis://:***@h:6379/0", "max_connections": 10, "built": True,
                    "created_connections": 2, "in_use_connections": 1, "idle_connections": 1,
                    "exhausted": 0, "pid": 42, "ping": "ok"},
        "c": {"url": "redis://h/1", "max_connections": 5, "built": False,
              "created_connections": 0, "in_use_connections": 0, "idle_connections": 0,
              "exhausted": 0, "pid": 42},
    }  # fmt: skip
    lines = stats_table(stats, [("ping", "ping")]).splitlines()
    assert [line.split() for line in lines] == [
        ["alias", "url", "max", "built", "created", "in_use", "idle", "exhausted", "pid", "ping"],
        ["default", "redis://:***@h:6379/0", "10", "True", "2", "1", "1", "0", "42", "ok"],
        ["c", "redis://h/1", "5", "False", "0", "0", "0", "0", "42"],
    ]
    # Columns line up: every cell of a column starts at the same offset.
    assert lines[0].index("max") == lines[1].index("10") == lines[2].index("5")
