"""Build the sdist and the wheel and check what they hold (``make test`` runs this).

The wheel holds only the package (with ``py.typed``) and its ``.dist-info``; the sdist
holds the package, its metadata, README, LICENSE and CHANGES, and no tests (they need the
whole repository); the wheel is built from the sdist, so the sdist is proven to build;
``twine check --strict`` passes on both. Exits non-zero naming every stray or missing file.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "redis_pool_integrations"
#: Top-level entries an sdist may hold besides the package (setuptools adds the rest).
SDIST_FILES = {"PKG-INFO", "pyproject.toml", "setup.cfg", "MANIFEST.in"}
SDIST_FILES |= {"README.md", "LICENSE", "CHANGES.md"}


def check_wheel(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as whl:
        names = whl.namelist()
    problems = []
    for name in names:
        top = name.split("/", 1)[0]
        if top != PACKAGE and not top.endswith(".dist-info"):
            problems.append(f"wheel: unexpected file {name}")
    if f"{PACKAGE}/py.typed" not in names:
        problems.append(f"wheel: {PACKAGE}/py.typed is missing")
    if not any(n.startswith(f"{PACKAGE}/django/") for n in names):
        problems.append(f"wheel: {PACKAGE}/django/ is missing")
    if not any(n.startswith(f"{PACKAGE}/flask/") for n in names):
        problems.append(f"wheel: {PACKAGE}/flask/ is missing")
    return problems


def check_sdist(path: Path) -> list[str]:
    with tarfile.open(path) as sdist:
        names = [m.name for m in sdist.getmembers() if m.isfile()]
    problems = []
    for name in names:
        inner = name.split("/", 1)[1]
        top = inner.split("/", 1)[0]
        if top == PACKAGE or top.endswith(".egg-info") or inner in SDIST_FILES:
            continue
        problems.append(f"sdist: unexpected file {inner} (MANIFEST.in decides what ships)")
    if not any(n.endswith(f"/{PACKAGE}/py.typed") for n in names):
        problems.append(f"sdist: {PACKAGE}/py.typed is missing")
    return problems


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="dist") as tmp:
        out = Path(tmp)
        # `build` makes the sdist, then the wheel from the unpacked sdist.
        build = subprocess.run(
            [sys.executable, "-m", "build", "--installer", "uv", "--outdir", str(out), str(ROOT)],
            capture_output=True,
            text=True,
            check=False,
        )
        if build.returncode:
            print(build.stdout + build.stderr, file=sys.stderr)
            return build.returncode
        (wheel,) = out.glob("*.whl")
        (sdist,) = out.glob("*.tar.gz")
        problems = check_wheel(wheel) + check_sdist(sdist)
        subprocess.run(
            [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
            check=True,
        )
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            return 1
        print(f"dist: {wheel.name} and {sdist.name} hold the package only; twine check passes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
