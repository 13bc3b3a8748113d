"""The version matrix: ``make matrix`` runs the suite in every cell below (nox).

Why nox: a cell is a virtualenv with a few pinned versions plus one pytest run, and nox
does exactly that in plain Python (one session per cell, picked by name or tag), with uv
to create and fill each venv afresh in seconds from its cache when uv is installed. tox
would need the same cells spelled as ini factors; a hand-written script would
re-implement venv handling.

The cells are designed, not the full product (4 Pythons x 4 Djangos x 3 redis-py x 2
Flask x hiredis on/off = 192, less what a Python cannot run). Every version of every
axis runs at least once, both ends of each axis run together in ``oldest`` and
``newest`` (which ``make test`` runs on every check), hiredis is on and off under every
redis-py major, Flask 2.3 runs with Werkzeug 2.3 and with Werkzeug 3, Django 4.2 and 5.2
run on the oldest and the newest Python they allow, and 6.0 and 6.1 (Python >= 3.12) on
one each.

The cells do not build uWSGI (it compiles from source, minutes per Python): its four
e2e tests skip there, saying so, and run in ``make test``'s own venv.

Interpreters come from PATH (``python3.X``) or pyenv (``pyenv prefix 3.X``); a cell whose
Python is not on this machine is reported as not run, with the reason. ``make test``
sets ``MATRIX_STRICT=1``: there a cell that cannot run is an error.

Usage: ``nox -t matrix`` (every cell, then the summary table), ``nox -s cell-oldest
summary``; extra arguments go to pytest: ``nox -t matrix -- -m "not e2e"``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import nox
from nox.command import CommandFailed

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / ".nox" / "results"

nox.options.default_venv_backend = "uv|virtualenv"
# Never fetch an interpreter from the network: the matrix is what this machine has.
nox.options.download_python = "never"
nox.options.sessions = []  # `nox` alone lists; a run names cells or `-t matrix`.
# uv writes no bytecode unless asked; with PYTHONDONTWRITEBYTECODE set, every process the
# suite starts would compile every module it imports again (twice as slow on 3.10).
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")

#: What the project supports: exactly what the cells test. The classifiers, the README
#: and docs/index.rst state these ranges (tests/test_packaging.py holds them to it).
SUPPORTED = {
    "python": ("3.10", "3.11", "3.12", "3.13"),
    "django": ("4.2", "5.2", "6.0", "6.1"),
    "redis": ("6.0", "7", "8"),
    "flask": ("2.3", "3.1"),
}

#: How a cell's version turns into a pip requirement. redis-py "6.0" is the oldest
#: release we support (6.0.x); "7" and "8" take the newest release of that major.
PINS = {
    "django": {v: [f"Django~={v}.0"] for v in SUPPORTED["django"]},
    "redis": {"6.0": ["redis~=6.0.0"], "7": ["redis>=7,<8"], "8": ["redis>=8,<9"]},
    "flask": {"2.3": ["Flask~=2.3.0"], "3.1": ["Flask~=3.1.0"]},
}


@dataclass(frozen=True)
class Cell:
    """One venv of the matrix and why it is there."""

    name: str
    python: str
    django: str
    redis: str
    flask: str
    hiredis: bool
    why: str
    #: Pin Werkzeug 2.3 under Flask 2.3 (the oldest pair); otherwise pip picks (3.x).
    werkzeug23: bool = False

    def requirements(self) -> list[str]:
        extras = "django,flask,hiredis" if self.hiredis else "django,flask"
        reqs = ["-e", f".[{extras}]", *PINS["django"][self.django], *PINS["redis"][self.redis]]
        reqs += PINS["flask"][self.flask]
        if self.werkzeug23:
            reqs.append("Werkzeug~=2.3.0")
        return reqs


CELLS = (
    Cell("oldest", "3.10", "4.2", "6.0", "2.3", False, "every lower bound at once", True),
    Cell("newest", "3.13", "6.1", "8", "3.1", True, "every upper bound at once"),
    Cell("py311-dj52", "3.11", "5.2", "7", "3.1", True, "Python 3.11; newest redis-py 7.x"),
    Cell("py310-dj52", "3.10", "5.2", "7", "2.3", False, "Django 5.2 on its oldest Python"),
    Cell("py312-dj60", "3.12", "6.0", "8", "2.3", False, "Django 6.0; redis-py 8 without hiredis"),
    Cell("py312-dj42", "3.12", "4.2", "8", "3.1", True, "Django 4.2 on its newest Python"),
    Cell("py313-dj52", "3.13", "5.2", "6.0", "3.1", True, "Django 5.2 on its newest Python"),
)


def _version_of(executable: str) -> str | None:
    try:
        out = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def find_python(version: str) -> tuple[str | None, str]:
    """The interpreter for ``version`` (PATH, then pyenv) and, if none, the reason why."""
    name = f"python{version}"
    on_path = shutil.which(name)
    # A pyenv shim is on PATH for every version but runs only the enabled ones.
    if on_path and _version_of(on_path) == version:
        return on_path, ""
    pyenv = shutil.which("pyenv")
    if pyenv:
        out = subprocess.run(
            [pyenv, "prefix", version], capture_output=True, text=True, timeout=30, check=False
        )
        if out.returncode == 0:
            candidate = Path(out.stdout.strip().split(os.pathsep)[0]) / "bin" / name
            if _version_of(str(candidate)) == version:
                return str(candidate), ""
        return None, f"Python {version} is neither on PATH nor installed in pyenv"
    return None, f"Python {version} is not on PATH ({name}) and pyenv is not installed"


#: The records of this nox run (all sessions run in this one process), for the summary.
_RECORDS: list[dict[str, Any]] = []


def _write(cell: Cell, **fields: object) -> None:
    """Keep the cell's record for the summary; a copy goes to .nox/results/<cell>.json."""
    record = {"cell": asdict(cell), **fields}
    _RECORDS.append(record)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{cell.name}.json").write_text(json.dumps(record, indent=1))


def _junit_counts(path: Path) -> dict[str, int]:
    root = ET.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        return {}
    total, failures, errors, skipped = (
        int(suite.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")
    )
    return {
        "passed": total - failures - errors - skipped,
        "failed": failures + errors,
        "skipped": skipped,
    }


#: Prints the versions a cell really got, as JSON ("off" for a package not installed).
_VERSIONS = (
    "import json, platform, importlib.metadata as m; "
    "v = lambda n: next((d.version for d in m.distributions(name=n)), 'off'); "
    "print(json.dumps({'python': platform.python_version(), **{n.lower(): v(n) for n in "
    "('Django', 'redis', 'Flask', 'Werkzeug', 'hiredis')}}))"
)


def _make_cell_session(cell: Cell) -> None:
    interpreter, reason = find_python(cell.python)

    def run_cell(session: nox.Session) -> None:
        started = time.monotonic()
        if interpreter is None:
            _write(cell, status="not run", reason=reason)
            if os.environ.get("MATRIX_STRICT"):
                session.error(f"cell {cell.name!r} cannot run: {reason}")
            session.skip(f"cell {cell.name!r} not run: {reason}")
        # nox makes the venv anew on every run (uv fills it from its cache in seconds),
        # so a cell never inherits a package from an earlier definition of itself.
        try:
            session.install(*cell.requirements(), "--group", "test")
        except CommandFailed:
            _write(cell, status="failed", reason="install failed (see the log above)")
            raise
        probe = session.run("python", "-c", _VERSIONS, silent=True, log=False)
        versions = json.loads(str(probe))
        if (versions["hiredis"] != "off") != cell.hiredis:
            want = "on" if cell.hiredis else "off"
            session.error(f"cell {cell.name!r}: hiredis is {versions['hiredis']}, want {want}")
        session.log(f"cell {cell.name}: {versions}")
        junit = RESULTS / f"{cell.name}.xml"
        RESULTS.mkdir(parents=True, exist_ok=True)
        args = session.posargs or []
        junit.unlink(missing_ok=True)
        # Any pytest exit code: the JUnit file says what happened, and the summary shows it.
        session.run(
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={junit}",
            *args,
            success_codes=range(0, 6),
        )
        counts = _junit_counts(junit) if junit.exists() else {}
        ran_clean = counts.get("failed", 1) == 0 and counts.get("passed", 0) > 0
        status = "passed" if ran_clean else "failed"
        _write(
            cell,
            status=status,
            versions=versions,
            counts=counts,
            seconds=round(time.monotonic() - started, 1),
            pytest_args=args,
        )
        if status != "passed":
            session.error(f"cell {cell.name!r} failed: {counts}")

    # `nox -l` shows each cell's versions and why it is there.
    hiredis = "hiredis" if cell.hiredis else "no hiredis"
    run_cell.__doc__ = (
        f"Python {cell.python}, Django {cell.django}, redis-py {cell.redis}, Flask {cell.flask}"
        f", {hiredis}: {cell.why}."
    )
    nox.session(name=f"cell-{cell.name}", python=interpreter or False, tags=["matrix"])(run_cell)


for _cell in CELLS:
    _make_cell_session(_cell)


@nox.session(python=False, tags=["matrix"])
def summary(session: nox.Session) -> None:
    """Print one row per cell of this run: versions, passed/failed/skipped, wall time."""
    del session
    rows = list(_RECORDS)
    order = {c.name: i for i, c in enumerate(CELLS)}
    rows.sort(key=lambda r: order.get(r["cell"]["name"], len(order)))
    head = ("cell", "python", "django", "redis", "flask", "werkzeug", "hiredis")
    head += ("passed", "failed", "skipped", "seconds", "status")
    table = [head]
    for r in rows:
        c, v, n = r["cell"], r.get("versions") or {}, r.get("counts") or {}
        table.append(
            (
                c["name"],
                v.get("python", c["python"]),
                v.get("django", c["django"]),
                v.get("redis", c["redis"]),
                v.get("flask", c["flask"]),
                v.get("werkzeug", "-"),
                v.get("hiredis", "on" if c["hiredis"] else "off"),
                str(n.get("passed", "-")),
                str(n.get("failed", "-")),
                str(n.get("skipped", "-")),
                str(r.get("seconds", "-")),
                f"{r['status']}: {r['reason']}" if r.get("reason") else r["status"],
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(head) - 1)]
    lines = []
    for row in table:
        cells = [col.ljust(w) for col, w in zip(row[:-1], widths, strict=True)]
        lines.append(" | ".join([*cells, row[-1]]))
    lines.insert(1, "-+-".join("-" * w for w in widths) + "-+-------")
    print("\n".join(lines), flush=True)
