"""Constants shared by the core, the framework adapters and the command-line tools.

A leaf module (it imports nothing of the package), so every other module can use it.
"""

from __future__ import annotations

__all__ = ["DEFAULT_ALIAS", "PING_TIMEOUT"]

#: The alias every accessor uses when none is given (``get_redis()`` is
#: ``get_redis(DEFAULT_ALIAS)``), and the one Flask's flat ``REDIS_URL`` keys describe.
DEFAULT_ALIAS = "default"

#: Seconds ``manage.py redis_pools --ping``, ``flask redis-pools ping`` and
#: ``manage.py check --deploy`` wait for each alias to answer PING by default.
PING_TIMEOUT = 2.0
