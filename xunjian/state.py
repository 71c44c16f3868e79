"""Where `xunjian up` records what it started, so `down`, `status` and `registry` find it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

STATE_DIR = Path(os.environ.get("XUNJIAN_HOME", ".xunjian"))
STATE_FILE = STATE_DIR / "run.json"


def load_state() -> dict[str, Any] | None:
    if not STATE_FILE.exists():
        return None
    state: dict[str, Any] = json.loads(STATE_FILE.read_text())
    return state


def write_state(state: dict[str, Any]) -> None:
    STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
    tmp = STATE_FILE.with_suffix(".tmp")
    # The state holds the administrator's token: readable by its owner only.
    tmp.touch(mode=0o600)
    tmp.write_text(json.dumps(state, ensure_ascii=False, indent=2))
    tmp.replace(STATE_FILE)
