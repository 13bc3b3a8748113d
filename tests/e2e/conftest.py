"""End-to-end tests: real application servers. Every test collected here is marked ``e2e``."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test placed here is e2e whether or not its module says so: `make test-fast`
    # (-m "not e2e") must never start an app server.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)
