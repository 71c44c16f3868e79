"""Which world the simulator renders at an instant: last quarter's, the weeks between, or this quarter's.

A scenario without ``previous`` has one world. With it (docs/scenarios.md, "previous"):

- up to the previous monitoring point (23:59:59), the **before** world: the previous period's problems with their
  states, every other target healthy (its newest item the day before the point, no outage, not empty, no 停更公告,
  every message answered in time), all anchored to the previous monitoring point — so the previous round finds exactly the listed problems;
- after it, this quarter's world (every target's own states, anchored to the current monitoring point), except
  that until the current window opens the **between** world keeps each unrectified problem as it was: its items
  end where they ended (its ``stale_days`` re-anchored to the current point, so the very same dates), an empty
  column stays empty, and a site that was unreachable stays down for every visit. A re-check then fails for it and
  passes for a rectified one.

Each world is a plain ``World``; re-anchoring keeps item dates exact because ``timeline.item_dates`` steps back
from the newest date with gaps hashed on the target id and the step number, not on the point.
"""

from __future__ import annotations

from datetime import date, datetime

from simulator.scenario import (
    AccountState,
    Availability,
    ColumnState,
    PreviousSpec,
    Scenario,
    WebsiteState,
)
from simulator.world import World

States = WebsiteState | ColumnState | AccountState


def healthy_stale_days(registered_on: date, point: date) -> int:
    """The day before the point, or the point itself for a target registered on that day."""
    return 1 if registered_on < point else 0


def before_scenario(scenario: Scenario, previous: PreviousSpec) -> Scenario:
    """The scenario as the previous period saw it: listed problems, everything else healthy, at its point."""
    point = previous.period.monitoring_point
    listed = {p.target: scenario.previous_states(p) for p in previous.problems}

    def healthy(states: States, registered_on: date) -> dict[str, object]:
        return {"stale_days": healthy_stale_days(registered_on, point), "gap_days": states.gap_days}

    websites = [
        w.model_copy(
            update={
                "states": listed.get(w.id) or WebsiteState(**healthy(w.states, w.registered_on)),
                # Every message answered in time: this quarter's planted late replies are not last quarter's.
                "message_board": w.message_board
                and w.message_board.model_copy(update={"overdue": 0, "unanswered_over_3_months": 0}),
            }
        )
        for w in scenario.websites
    ]
    columns = [
        c.model_copy(
            update={
                "states": listed.get(c.id) or ColumnState(**healthy(c.states, scenario.website(c.site).registered_on))
            }
        )
        for c in scenario.columns
    ]
    accounts = [
        a.model_copy(update={"states": listed.get(a.id) or AccountState(**healthy(a.states, a.registered_on))})
        for a in scenario.accounts
    ]
    return scenario.model_copy(
        update={
            "period": previous.period,
            "previous": None,
            "websites": websites,
            "columns": columns,
            "accounts": accounts,
        }
    )


def reanchored(states: States, days: int) -> States:
    """Previous-period states as seen from a point ``days`` later: same item dates, an outage that never ends."""
    update: dict[str, object] = {"stale_days": states.stale_days + days}
    if isinstance(states, WebsiteState) and states.availability is not None:
        down = states.availability
        if down.failure_ratio > 0:
            # Down from the previous point to the current one: the between world is only shown inside that span.
            update["availability"] = Availability(
                failure_ratio=1.0, last_days=min(366, max(1, days)), mode=down.mode, slow_s=down.slow_s
            )
    return states.model_copy(update=update)


def between_scenario(scenario: Scenario, previous: PreviousSpec) -> Scenario | None:
    """This quarter's scenario with every unrectified problem kept as it was; None when all were rectified."""
    pending = [p for p in previous.problems if not p.rectified]
    if not pending:
        return None
    days = (scenario.period.monitoring_point - previous.period.monitoring_point).days
    kept = {p.target: reanchored(scenario.previous_states(p), days) for p in pending}
    return scenario.model_copy(
        update={
            "previous": None,
            "websites": [w.model_copy(update={"states": kept[w.id]}) if w.id in kept else w for w in scenario.websites],
            "columns": [c.model_copy(update={"states": kept[c.id]}) if c.id in kept else c for c in scenario.columns],
            "accounts": [a.model_copy(update={"states": kept[a.id]}) if a.id in kept else a for a in scenario.accounts],
        }
    )


class Phases:
    """The worlds of a scenario and the instants each one is shown at."""

    def __init__(self, scenario: Scenario, earlier: Phases | None = None) -> None:
        """With ``earlier`` (the same scenario before a PATCH), unchanged sites and feeds are reused."""
        self.scenario = scenario
        self.current: World = World(scenario, earlier.current if earlier is not None else None)
        self.before: World | None = None
        self.between: World | None = None
        self.before_until: datetime | None = None  # the before world is shown at instants up to this one
        self.between_until: datetime | None = None  # the between world is shown before this one
        previous = scenario.previous
        if previous is not None:
            self.before = World(before_scenario(scenario, previous), earlier.before if earlier else None)
            between = between_scenario(scenario, previous)
            self.between = World(between, earlier.between if earlier else None) if between else None
            self.before_until = previous.period.monitoring_point_at
            self.between_until = scenario.period.window_start_at

    def world_at(self, at: datetime) -> World:
        if self.before is not None and self.before_until is not None and at <= self.before_until:
            return self.before
        if self.between is not None and self.between_until is not None and at < self.between_until:
            return self.between
        return self.current
