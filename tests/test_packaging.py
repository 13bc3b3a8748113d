"""What the project promises about installing it: extras named on failure, support stated once."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from importlib.metadata import metadata
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _noxfile_constant(name: str) -> Any:
    """A literal assigned in noxfile.py, read without importing nox (cells lack it)."""
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return ast.literal_eval(node.value)
    raise LookupError(f"noxfile.py assigns no literal {name}")


SUPPORTED: dict[str, tuple[str, ...]] = _noxfile_constant("SUPPORTED")


@pytest.mark.parametrize(("adapter", "framework"), [("django", "django"), ("flask", "flask")])
def test_adapter_without_its_framework_names_the_extra(adapter: str, framework: str) -> None:
    # None in sys.modules makes `import <framework>` fail as if it were not installed.
    code = (
        f"import sys; sys.modules[{framework!r}] = None\n"
        "try:\n"
        f"    import redis_pool_integrations.{adapter}\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("ImportError "), out.stdout + out.stderr
    assert f"pip install 'redis-pool-integrations[{adapter}]'" in out.stdout
    assert f"redis_pool_integrations.{adapter} needs" in out.stdout


def test_core_imports_without_either_framework() -> None:
    code = (
        "import sys; sys.modules['django'] = sys.modules['flask'] = None\n"
        "import redis_pool_integrations\n"
        "print(redis_pool_integrations.PoolRegistry.__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "PoolRegistry"


def test_classifiers_list_exactly_the_tested_versions() -> None:
    classifiers = metadata("redis-pool-integrations").get_all("Classifier") or []
    pythons = tuple(
        c.rsplit(" ", 1)[1] for c in classifiers if re.fullmatch(r".*Python :: 3\.\d+", c)
    )
    djangos = tuple(c.rsplit(" ", 1)[1] for c in classifiers if "Django :: " in c)
    assert pythons == SUPPORTED["python"]
    assert djangos == SUPPORTED["django"]
    requires = metadata("redis-pool-integrations")["Requires-Python"]
    assert requires == f">={SUPPORTED['python'][0]}"


def _expected_support() -> str:
    py, dj, rd, fl = (SUPPORTED[k] for k in ("python", "django", "redis", "flask"))
    return (
        f"Python {py[0]} to {py[-1]}; Django {', '.join(dj[:-1])} and {dj[-1]}; "
        f"redis-py {rd[0]} to {rd[-1]}.x; Flask {fl[0]} to {fl[-1]}"
    )


@pytest.mark.parametrize("doc", ["README.md", "docs/index.rst"])
def test_docs_state_exactly_the_tested_ranges(doc: str) -> None:
    text = (ROOT / doc).read_text()
    sentence = re.search(r"Supported \(tested\): ([^\n]+(?:\n[^\n]+)*?)\.\n", text)
    assert sentence, f"{doc} has no 'Supported (tested): ...' sentence"
    assert " ".join(sentence.group(1).split()) == _expected_support()


def test_every_supported_version_runs_in_some_matrix_cell() -> None:
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    cells = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Cell"
    ]
    fields = ("name", "python", "django", "redis", "flask")
    seen: dict[str, set[str]] = {k: set() for k in fields}
    for call in cells:
        for key, arg in zip(fields, call.args, strict=False):
            seen[key].add(ast.literal_eval(arg))
    for axis in ("python", "django", "redis", "flask"):
        assert seen[axis] == set(SUPPORTED[axis]), axis
