"""Whole quarters through all five services on real servers, checked against the simulator's ground truth.

These are the slowest tests (a few minutes each): they run the demo prefecture's quarter in accelerated time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.scenario import load_scenario
from xunjian.demo import DEMO_SCENARIO, Demo
from xunjian.quiet import dead_count

from .quarter import (
    assert_no_duplicate_verdicts,
    assert_notice_matches_truth,
    assert_one_email_per_problem,
    assert_verdicts_match_truth,
    uncertain_deliveries,
    verdict_events,
)

# Ack wait shortened so that messages held by a killed process come back within seconds, not a minute.
FAST_REDELIVERY = {"ACK_WAIT_S": "15"}
# The fault test needs a long round to kill five services in, not a whole quarter (make test's time).
SHORTER_WINDOW = ("window_start: 2022-07-01", "window_start: 2022-08-10")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    demo = Demo(DEMO_SCENARIO, tmp_path / "out", progress=lambda _: None, env=FAST_REDELIVERY)
    demo.start()
    yield demo
    demo.stop()


@pytest.fixture
def shorter_window(tmp_path: Path) -> Iterator[Demo]:
    """The demo prefecture monitored from 8月10日: 56 % of the quarter's probes and every one of its problems (the
    simulator dates board messages from 60 days before the window, and one must be over 3 months old)."""
    scenario = tmp_path / "shorter-window.yaml"
    text = DEMO_SCENARIO.read_text(encoding="utf-8")
    assert SHORTER_WINDOW[0] in text, "the demo scenario's window moved: update SHORTER_WINDOW"
    scenario.write_text(text.replace(*SHORTER_WINDOW), encoding="utf-8")
    demo = Demo(scenario, tmp_path / "out", progress=lambda _: None, env=FAST_REDELIVERY)
    demo.start()
    yield demo
    demo.stop()


# The whole quarter (27,000 probes, ~4 min on 2 cores) runs under `make chaos` and is what `make demo` does; make test
# checks the same prefecture against its truth on the shorter window below, with every service killed once.
@pytest.mark.chaos
async def test_the_demo_quarter_matches_the_scenarios_ground_truth(demo: Demo) -> None:
    scenario = load_scenario(DEMO_SCENARIO)
    result = await demo.run_quarter()

    assert result.dead_letters == 0
    assert_notice_matches_truth(scenario, result)
    await assert_verdicts_match_truth(demo, scenario)
    assert await uncertain_deliveries(demo) == []
    assert_one_email_per_problem(scenario, result)
    assert_no_duplicate_verdicts(await verdict_events(demo.stack.nats_url))


async def test_killing_each_service_mid_round_loses_and_duplicates_nothing(shorter_window: Demo) -> None:
    demo = shorter_window
    scenario = demo.scenario
    schedule = [(0.10, "registry"), (0.25, "prober"), (0.40, "evaluator"), (0.55, "notifier"), (0.70, "reporter")]
    killed: list[str] = []

    async def kill_on_schedule(share: float) -> None:
        while schedule and share >= schedule[0][0]:
            _, name = schedule.pop(0)
            demo.stack.kill(name)
            killed.append(name)

    result = await demo.run_quarter(during_round=kill_on_schedule)

    assert killed == ["registry", "prober", "evaluator", "notifier", "reporter"]
    assert all(demo.stack.children[name].restarts == 1 for name in killed)
    assert await dead_count(demo.stack.nats_url) == 0
    assert_notice_matches_truth(scenario, result)
    await assert_verdicts_match_truth(demo, scenario)
    uncertain = await uncertain_deliveries(demo)
    assert len(uncertain) <= 1  # at most the send the notifier's kill cut short
    assert_one_email_per_problem(scenario, result, uncertain)
    assert_no_duplicate_verdicts(await verdict_events(demo.stack.nats_url))
