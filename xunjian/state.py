"""Where `xunjian up` records what it started, so `down`, `status`, `registry` and `report` find it."""

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


def endpoint(service: str) -> tuple[str, dict[str, str]]:
    """A service's URL and a token: XUNJIAN_<SERVICE>_URL and XUNJIAN_TOKEN, else the running `xunjian up`."""
    url = os.environ.get(f"XUNJIAN_{service.upper()}_URL", "")
    token = os.environ.get("XUNJIAN_TOKEN", "")
    if not url or not token:
        state = load_state()
        if state is None:
            raise SystemExit(
                f"xunjian 未在运行：请先执行 `xunjian up`，或设置 XUNJIAN_{service.upper()}_URL 与 XUNJIAN_TOKEN"
            )
        url = url or state["children"][service]["url"]
        token = token or state.get("admin_token", "")
    return url.rstrip("/"), {"Authorization": f"Bearer {token}"}
