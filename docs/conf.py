"""Sphinx configuration for the redis-pool-integrations documentation.

Docstrings are plain reStructuredText (no napoleon): the package's docstrings
are prose with ``:class:`` roles, so there is nothing for napoleon to convert.
No intersphinx: the build must work offline (CI has no network), so references
to redis-py, Django and Flask are plain literals, not links.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

project = "redis-pool-integrations"
author = "redis-pool-integrations contributors"
copyright = "the redis-pool-integrations contributors"

extensions = [
    "sphinx.ext.autodoc",
    "myst_parser",  # only to include CHANGES.md as the changelog page
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "examples"]

html_theme = "furo"
html_title = "redis-pool-integrations"

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "show-inheritance": True}

# Headings of CHANGES.md get anchors so the changelog's sections can be linked.
myst_heading_anchors = 2
