"""Django side of issue 16: the W300 deploy check, IGNORE_EXCEPTIONS, the health view and 503s."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from redis_pool_integrations.django.checks import check_timeouts

if TYPE_CHECKING:  # pytest-django < 4.9 has no public name for it
    from pytest_django import Settings as SettingsWrapper

URL = "redis://127.0.0.1:6379/0"
ST = {"socket_timeout": 2}


def test_django_reports_w300_only_with_deploy(settings: SettingsWrapper) -> None:
    settings.REDIS_POOLS = {"default": {"URL": URL}, "fine": {"URL": URL, "OPTIONS": ST}}
    messages = check_timeouts()
    assert [(m.id, str(m.msg)) for m in messages] == [
        (
            "redis_pool_integrations.W300",
            "REDIS_POOLS['default']: OPTIONS has no 'socket_timeout': a stalled Redis server "
            "blocks a caller for ever.",
        )
    ]
    call_command("check")  # plain check: nothing about it
    # --deploy runs it (and PINGs, which fails here: both are reported together).
    with pytest.raises(SystemCheckError) as info:
        call_command("check", "--deploy", "--fail-level", "WARNING")
    assert "redis_pool_integrations.W300" in str(info.value)
