"""The `xunjian` command as people use it: up, status, down, Ctrl-C, probe."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.scenario import demo_path
from tests.apps import wait_for
from xunjian.cli import alive
from xunjian.embedded import free_port, wait_tcp


def xunjian(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XUNJIAN_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "xunjian", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def start_up(home: Path) -> tuple[subprocess.Popen[str], dict[str, object]]:
    env = {**os.environ, "XUNJIAN_HOME": str(home)}
    up = subprocess.Popen(
        [sys.executable, "-m", "xunjian", "up", "--data-dir", str(home)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    state_file = home / "run.json"
    wait_for(lambda: state_file.exists() or up.poll() is not None, 120, "xunjian up to write its state")
    assert up.poll() is None, up.stdout.read() if up.stdout else ""
    return up, json.loads(state_file.read_text())


def child_pids(state: dict[str, object]) -> list[int]:
    children = state["children"]
    assert isinstance(children, dict)
    return [int(c["pid"]) for c in children.values()]


@pytest.mark.parametrize("stop", ["down", "ctrl-c"])
def test_up_starts_every_service_status_reports_them_and_stopping_leaves_no_process(tmp_path: Path, stop: str) -> None:
    home = tmp_path / "home"
    up, state = start_up(home)
    pids = child_pids(state)
    try:
        status = xunjian(home, "status")
        assert status.returncode == 0, status.stdout
        for name in ("registry", "prober", "evaluator", "notifier", "reporter", "console"):
            assert f"{name}" in status.stdout and "未就绪" not in status.stdout
        if stop == "down":
            assert xunjian(home, "down").returncode == 0
        else:
            up.send_signal(signal.SIGINT)
        assert up.wait(60) == 0
    finally:
        if up.poll() is None:
            up.kill()
    wait_for(lambda: not any(alive(pid) for pid in pids), 30, "every service process to exit")
    assert not (home / "run.json").exists()
    assert xunjian(home, "status").returncode == 3


def test_probe_prints_what_the_prober_sees_on_one_page(tmp_path: Path) -> None:
    port = free_port()
    sim = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--scenario", str(demo_path()), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_tcp(port, proc=sim)
        env_home = tmp_path / "home"
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "xunjian",
                "probe",
                f"http://127.0.0.1:{port}/sites/yl-portal/",
                "--kind",
                "homepage",
            ],
            env={**os.environ, "XUNJIAN_HOME": str(env_home), "PROBE_ALLOW_NETWORKS": "127.0.0.0/8"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        sim.terminate()
        sim.wait()
    assert result.returncode == 0, result.stderr
    observation = json.loads(result.stdout)
    assert observation["status"] == 200
    assert observation["facts"]["kind"] == "homepage"
    assert observation["facts"]["newest_item_on"] is not None
    assert len(observation["facts"]["items"]) > 0
