"""Real application servers (gunicorn, uvicorn, uWSGI) for the e2e tests, the demo and benchmarks.

Ports: gunicorn (``--bind fd://N``) and uvicorn (``--fd N``) inherit a
listening socket the harness bound to port 0, so no other process can take
the port in between. uWSGI binds its own: a start whose log says "Address
already in use" is retried on another port.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .ports import PORT_ATTEMPTS, address_in_use, listening_socket, pick_port
from .redis_server import PortTaken, RedisServer
from .wait import wait_until

#: The checkout: app servers run from here so `example_django` etc. import.
ROOT = Path(__file__).resolve().parent.parent
#: The running interpreter's bin directory: the app servers of the same venv.
BIN = Path(sys.executable).parent
TOOLS = ("gunicorn", "uvicorn", "uwsgi")


def get(port: int, path: str, timeout: float = 30.0, *, close: bool = False) -> tuple[int, Any]:
    """GET ``path`` on a new connection; the status and the decoded JSON body (or text).

    ``close=True`` sends ``Connection: close`` so that every request may go to
    any worker (kept-alive connections pin load to whichever worker accepted).
    """
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"} if close else {})
        resp = conn.getresponse()
        body = resp.read().decode(errors="replace")
    finally:
        conn.close()
    try:
        return resp.status, json.loads(body)
    except ValueError:
        return resp.status, body


class AppServer:
    """One application server process group, its port and its log.

    Build it with :meth:`start` (or :func:`app_server`); it runs in a session
    of its own, so :meth:`kill` can stop the master and every worker at once.
    """

    def __init__(
        self,
        argv: Sequence[str],
        port: int,
        env: dict[str, str],
        log: Path,
        pass_fds: Sequence[int] = (),
    ) -> None:
        self.port = port
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                list(argv),
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                pass_fds=tuple(pass_fds),
                start_new_session=True,  # so a stuck server can be killed as a group
            )

    @classmethod
    def start(cls, tool: str, args: Sequence[str], env: dict[str, str], log: Path) -> AppServer:
        """Start ``tool`` (gunicorn, uvicorn, uwsgi) from the venv on a free port.

        Does not wait for the app: call :meth:`wait_ready` (several servers
        may load in parallel first).
        """
        if tool not in TOOLS:
            raise ValueError(f"unknown app server {tool!r}: one of {TOOLS}")
        if tool == "uwsgi":
            port = pick_port()
            return cls(server_argv(tool, port, args), port, env, log)
        sock = listening_socket()
        try:
            port = sock.getsockname()[1]
            argv = server_argv(tool, port, args, fd=sock.fileno())
            return cls(argv, port, env, log, pass_fds=[sock.fileno()])
        finally:
            sock.close()  # the server holds its own copy now

    def request(self, path: str, timeout: float = 30.0) -> tuple[int, Any]:
        """GET ``path``; return the status and the decoded JSON body (or text)."""
        return get(self.port, path, timeout)

    def wait_ready(self, path: str = "/pools", timeout: float = 30.0) -> None:
        """Wait until ``path`` answers 200; raise if the server exits first."""

        def ready() -> bool:
            if self.proc.poll() is not None:
                text = self.output()
                if address_in_use(text):
                    raise PortTaken(f"port {self.port} is taken:\n{text}")
                raise AssertionError(f"server exited early:\n{text}")
            try:
                return self.request(path, timeout=2)[0] == 200
            except OSError:
                return False

        wait_until(ready, timeout, f"the app on port {self.port}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def signal(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout: float = 30.0) -> int:
        return self.proc.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group (a graceful stop); SIGKILL it after ``timeout``."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL the whole process group (master and workers) and reap the master."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def workers(self) -> set[int]:
        """The pids of the master's child processes."""
        return children(self.proc.pid)


def app_env(redis_url: str, max_connections: int = 10, **extra: str) -> dict[str, str]:
    """The environment of an example app: REDIS_URL, REDIS_MAX_CONNECTIONS and ``extra``."""
    env = {**os.environ, "REDIS_URL": redis_url, "REDIS_MAX_CONNECTIONS": str(max_connections)}
    # pytest-django exported the test settings; the example uses its own.
    env["DJANGO_SETTINGS_MODULE"] = "example_django.settings"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def server_argv(tool: str, port: int, args: Sequence[str], *, fd: int | None = None) -> list[str]:
    """The command line of ``tool`` (gunicorn, uvicorn, uwsgi) from the venv.

    With ``fd``, gunicorn and uvicorn serve on that inherited listening socket
    (bound to ``port``); otherwise they bind ``port`` themselves.
    """
    if tool == "gunicorn":
        address = f"fd://{fd}" if fd is not None else f"127.0.0.1:{port}"
        argv = [str(BIN / "gunicorn"), "--bind", address]
        if _gunicorn_major() >= 25:
            # gunicorn >= 25 opens a control socket, by default one path shared by
            # every instance; give each its own, in the system temp dir (pytest's
            # tmp_path can exceed the ~107 bytes a unix socket path may have).
            ctl = Path(tempfile.mkdtemp(prefix="gctl"))
            argv += ["--control-socket", str(ctl / "g.ctl")]
        return [*argv, *args]
    if tool == "uvicorn":
        bind = ["--fd", str(fd)] if fd is not None else ["--port", str(port)]
        return [str(BIN / "uvicorn"), "--host", "127.0.0.1", *bind, *args]
    if tool == "uwsgi":
        return [str(BIN / "uwsgi"), "--http-socket", f"127.0.0.1:{port}", *args]
    raise ValueError(f"unknown app server {tool!r}: one of {TOOLS}")


def _gunicorn_major() -> int:
    from importlib.metadata import version

    return int(version("gunicorn").split(".")[0])


@contextlib.contextmanager
def app_server(
    tool: str, args: Sequence[str], env: dict[str, str], log: Path, *, ready_path: str = "/pools"
) -> Iterator[AppServer]:
    """Start ``tool`` on a free port, wait until ``ready_path`` answers 200, kill it after."""
    for attempt in range(PORT_ATTEMPTS):
        server = AppServer.start(tool, args, env, log)
        try:
            server.wait_ready(ready_path)
        except PortTaken:
            server.kill()
            if attempt == PORT_ATTEMPTS - 1:
                raise
            continue
        except BaseException:
            server.kill()
            raise
        break
    try:
        yield server
    finally:
        server.kill()


def children(pid: int) -> set[int]:
    """The pids whose parent is ``pid`` (a server master's workers)."""
    import psutil  # here, not at the top: the demo runs without psutil

    try:
        return {child.pid for child in psutil.Process(pid).children()}
    except psutil.NoSuchProcess:
        return set()


def connections_by_pid(server: RedisServer, pids: set[int]) -> Counter[int]:
    """Map each client at the server (CLIENT LIST) to the process holding its socket.

    Matches CLIENT LIST's client address to the local address of a TCP
    connection of one of ``pids`` (psutil); -1 counts unmatched clients.
    """
    import psutil

    port_to_pid = {}
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            for conn in psutil.Process(pid).net_connections(kind="tcp"):
                if conn.raddr and conn.raddr.port == server.port:
                    port_to_pid[conn.laddr.port] = pid
    owners: Counter[int] = Counter()
    for client in server.clients():
        port = int(client["addr"].rsplit(":", 1)[1])
        owners[port_to_pid.get(port, -1)] += 1
    return owners
