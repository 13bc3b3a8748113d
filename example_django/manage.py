"""``python example_django/manage.py check --deploy`` / ``redis_pools --ping``.

Also runs as ``python -m example_django.manage ...`` from the repository root.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # Run as a script, Python puts this folder on sys.path, not the repository
    # root that holds the example_django package (a project's manage.py sits
    # beside its package; this one sits inside it).
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_django.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
