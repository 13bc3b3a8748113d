"""Loaded by the forkserver before it forks: an "app" that touches Redis at import."""

from __future__ import annotations

import os

from redis_pool_integrations import default_registry

default_registry.configure({"default": {"url": os.environ["SCENARIO_REDIS_URL"]}})
CLIENT_ID_AT_IMPORT = int(default_registry.get_redis().client_id())
