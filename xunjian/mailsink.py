"""A local SMTP sink for the demo and the tests: every message received is written to a directory as an .eml file.

Each file is ``<sequence>-<sha256 of the Message-ID, 16 hex>.eml`` holding the raw RFC 5322 bytes as received. It is
written under a temporary name and renamed, so a reader globbing ``*.eml`` never sees half a message.

    python -m xunjian.mailsink --dir out/mail --host 127.0.0.1 --port 8025   # port 0: any free port

The first line on stdout is ``listening <port>``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import re
import signal
import sys
import threading
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

_SEQUENCE = re.compile(r"^(\d+)-")


class MailDirHandler:
    """aiosmtpd handler: store each message, answer 250 with the file name so the sender can quote it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # Continue numbering after a restart instead of overwriting earlier messages.
        self._sequence = max((int(m[1]) for p in directory.glob("*.eml") if (m := _SEQUENCE.match(p.name))), default=0)

    def _next_sequence(self) -> int:
        with self._lock:
            self._sequence += 1
            return self._sequence

    def store(self, raw: bytes) -> Path:
        headers = BytesHeaderParser().parsebytes(raw)
        key = (headers.get("Message-ID") or "").strip().encode() or raw
        name = f"{self._next_sequence():06d}-{hashlib.sha256(key).hexdigest()[:16]}.eml"
        final = self.directory / name
        temp = self.directory / f".{name}.tmp"
        with temp.open("wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, final)
        return final

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        path = self.store(raw if isinstance(raw, bytes) else raw.encode())
        return f"250 OK queued as {path.name}"


class _SinkController(Controller):
    """aiosmtpd's controller, taught to listen on port 0 and learn the port it got."""

    def _trigger_server(self) -> None:
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


def start_mail_sink(directory: Path | str, host: str = "127.0.0.1", port: int = 0) -> tuple[Controller, int]:
    """Start the sink on its own thread; returns the controller (call ``.stop()``) and the bound port."""
    controller = _SinkController(MailDirHandler(Path(directory)), hostname=host, port=port)
    controller.start()
    return controller, int(controller.port)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m xunjian.mailsink", description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=Path("out/mail"), help="where .eml files are written")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025, help="0: any free port")
    args = parser.parse_args(argv)
    controller, port = start_mail_sink(args.dir, args.host, args.port)
    print(f"listening {port}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
