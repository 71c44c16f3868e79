"""The one-machine launcher: embedded servers, the five services and the web console as supervised child processes.

A child that exits is restarted (with a growing pause if it keeps dying). Every child gets PR_SET_PDEATHSIG, so
even a launcher killed with -9 leaves no orphaned process behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.logging import get_logger
from xunjian.embedded import Embedded, free_port, mongo_uri, nats_url, start_mongo, start_nats, wait_tcp

log = get_logger(__name__)

SERVICES: dict[str, int] = {
    "registry": 8101,
    "prober": 8102,
    "evaluator": 8103,
    "notifier": 8104,
    "reporter": 8105,
    "console": 8106,  # last: it calls the others' APIs
}
# The console's view of each service it calls, as environment variables (services/console/settings.py).
CONSOLE_UPSTREAMS = {
    "registry": "REGISTRY_URL",
    "prober": "PROBER_URL",
    "evaluator": "EVALUATOR_URL",
    "notifier": "NOTIFIER_URL",
    "reporter": "REPORTER_URL",
}
ADMIN_PASSWORD_FILE = "admin-password"
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Linux only; elsewhere the launcher's own shutdown is the only guard.
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    args: list[str]
    port: int
    env: dict[str, str]
    ready_path: str | None = "/readyz"  # None: ready once the port accepts connections
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Stack:
    data_dir: Path
    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    children: dict[str, Child] = field(default_factory=dict)
    embedded: list[Embedded] = field(default_factory=list)
    nats_url: str = ""
    mongodb_uri: str = ""
    # The city administrator's token for this run: the launcher, the demo and `xunjian registry` use it.
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # The password `admin` signs in to the console with: REGISTRY_BOOTSTRAP_ADMIN_PASSWORD, else one generated once
    # and kept in the data directory (owner-only), so it stays the same from one `xunjian up` to the next.
    admin_password: str = ""
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    on_restart: Callable[[str], None] | None = None

    # --- start ---------------------------------------------------------------------------------------------------

    def start_servers(self) -> None:
        """Real NATS and MongoDB when NATS_URL / MONGODB_URI say so; the embedded ones otherwise."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.nats_url = os.environ.get("NATS_URL", "")
        if not self.nats_url:
            server = start_nats(self.data_dir / "nats", free_port(4222), self.log_dir)
            self.embedded.append(server)
            self.nats_url = nats_url(server.port)
        self.mongodb_uri = os.environ.get("MONGODB_URI", "")
        if not self.mongodb_uri:
            server = start_mongo(self.data_dir / "mongodb", free_port(27017), self.log_dir)
            self.embedded.append(server)
            self.mongodb_uri = mongo_uri(server.port)

    def add_services(self, names: list[str] | None = None) -> None:
        self.admin_password = self._admin_password()
        for name in names or list(SERVICES):
            port = free_port(SERVICES[name])
            env = {
                "HTTP_PORT": str(port),
                "NATS_URL": self.nats_url,
                "MONGODB_URI": self.mongodb_uri,
                "REGISTRY_BOOTSTRAP_ADMIN_TOKEN": self.admin_token,
                "PROBE_API_TOKEN": self.admin_token,
                "SERVICE_TOKEN": self.admin_token,
                **self.env,
            }
            if name == "registry":  # the only service that reads it
                env.setdefault("REGISTRY_BOOTSTRAP_ADMIN_PASSWORD", self.admin_password)
            if "registry" in self.children:  # every other service identifies its API callers there
                env.setdefault("REGISTRY_URL", f"http://127.0.0.1:{self.children['registry'].port}")
            self.add(Child(name, [sys.executable, "-m", f"services.{name}"], port, env))
        if "reporter" in self.children:  # the notifier attaches its frozen notice files (added after the notifier)
            reporter = self.children["reporter"].url
            for name in names or list(SERVICES):
                self.children[name].env.setdefault("REPORTER_URL", reporter)
        if "console" in self.children:  # the console calls every service with the signed-in user's token
            for service, variable in CONSOLE_UPSTREAMS.items():
                if service in self.children:
                    self.children["console"].env.setdefault(variable, self.children[service].url)

    def _admin_password(self) -> str:
        given = self.env.get("REGISTRY_BOOTSTRAP_ADMIN_PASSWORD") or os.environ.get("REGISTRY_BOOTSTRAP_ADMIN_PASSWORD")
        if given:
            return given
        kept = self.data_dir / ADMIN_PASSWORD_FILE
        if kept.exists():
            return kept.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(12)
        kept.touch(mode=0o600)
        kept.write_text(password + "\n")
        return password

    def add(self, child: Child) -> None:
        self.children[child.name] = child

    def start(self, timeout: float = 90.0) -> None:
        for child in self.children.values():
            self._spawn(child)
        for child in self.children.values():
            self.wait_ready(child.name, timeout)
        self._thread = threading.Thread(target=self._supervise, name="supervisor", daemon=True)
        self._thread.start()

    def _spawn(self, child: Child) -> None:
        env = {**os.environ, **child.env, "LOG_FORMAT": "json"}
        log_file = (self.log_dir / f"{child.name}.log").open("ab")
        child.proc = subprocess.Popen(
            child.args,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,  # PDEATHSIG must be set in the child itself
        )
        log_file.close()

    def wait_ready(self, name: str, timeout: float = 90.0) -> None:
        child = self.children[name]
        if child.ready_path is None:
            wait_tcp(child.port, timeout, proc=child.proc)
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if child.proc is not None and child.proc.poll() is not None and not self._thread:
                raise RuntimeError(f"{name} exited with {child.proc.returncode}; see {self.log_dir / name}.log")
            try:
                if httpx.get(child.url + child.ready_path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{name} not ready after {timeout:.0f} s; see {self.log_dir / name}.log")

    # --- supervision ---------------------------------------------------------------------------------------------

    def _supervise(self) -> None:
        while not self._stopping.wait(0.2):
            for child in self.children.values():
                if child.proc is not None and child.proc.poll() is not None:
                    self._restart(child)

    def _restart(self, child: Child) -> None:
        now = time.monotonic()
        if now < child.next_start:
            return
        code = child.proc.returncode if child.proc else None
        child.restarts += 1
        # 0.5 s, 1 s, 2 s … up to 30 s: a crash loop must not spin the machine.
        child.next_start = now + min(30.0, 0.5 * 2 ** min(child.restarts, 6))
        log.warning("child.restarted", child=child.name, exit_code=code, restarts=child.restarts)
        self._spawn(child)
        if self.on_restart:
            self.on_restart(child.name)

    def kill(self, name: str) -> int:
        """SIGKILL one child (fault tests); the supervisor brings it back. Returns the killed pid."""
        child = self.children[name]
        assert child.proc is not None
        pid = child.proc.pid
        child.proc.kill()
        return pid

    # --- stop ----------------------------------------------------------------------------------------------------

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        if self._thread:
            self._thread.join()
        procs = [c.proc for c in self.children.values() if c.proc is not None and c.proc.poll() is None]
        for proc in procs:
            proc.terminate()
        deadline = time.monotonic() + timeout
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for server in reversed(self.embedded):
            server.stop()

    def describe(self) -> dict[str, object]:
        return {
            "pid": os.getpid(),
            "nats_url": self.nats_url,
            "mongodb_uri": self.mongodb_uri,
            "log_dir": str(self.log_dir),
            "admin_token": self.admin_token,
            "admin_password": self.admin_password,
            "children": {
                n: {"port": c.port, "url": c.url, "pid": c.proc.pid if c.proc else None}
                for n, c in self.children.items()
            },
        }
