"""The Django app: ``INSTALLED_APPS = [..., "redis_pool_integrations.django"]``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core.signals import setting_changed


class RedisPoolsConfig(AppConfig):
    """Registers the system checks and hands ``REDIS_POOLS`` to the core's registry.

    ``ready()`` installs a loader (:func:`conf.install`): it does no I/O,
    builds no pool, does not even read the setting, and never raises for bad
    settings: ``manage.py check`` reports them, and ``get_redis()`` raises on use.
    """

    name = "redis_pool_integrations.django"
    # The default label would be "django", which clashes with any other app named so.
    label = "redis_pool_integrations"
    verbose_name = "Redis pools"
    default = True

    def ready(self) -> None:
        from . import checks, conf

        checks.register()
        conf.install()
        setting_changed.connect(conf.on_setting_changed, dispatch_uid=f"{__name__}.refresh")
