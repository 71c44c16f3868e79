"""The real-time scheduler on a real nats-server and SecantusDB, with a FixedClock moved by hand."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.registry.cadence import IMPLEMENTED_KINDS, Kind, SchedulingSettings, Visit, visits_between
from services.registry.leader import Lease
from services.registry.repository import RegistryRepository
from services.registry.scheduler import Scheduler, TickResult, probe_for
from shared.clock import CHINA_TZ, FixedClock
from shared.db import make_client
from shared.events import CheckKind, ProbeRequested, Target, TargetStatus, TargetType
from shared.topology import PROBES, ensure_streams
from tests.registry.inventory import target

START = datetime(2026, 11, 27, 9, 0, tzinfo=CHINA_TZ)
SETTINGS = SchedulingSettings(schedule_tick_s=0.05, schedule_lease_ttl_s=1.0, schedule_host_gap_s=60)
BUCKET, KEY = "xunjian_leases", "registry-scheduler"


TARGETS = [
    target("portal"),
    *(target(f"col-{n}", TargetType.column, site_id="portal") for n in range(6)),
    target("dept", url="http://dept.qingshan.gov.cn/"),
    target("wechat", TargetType.account, url="http://feeds.example.cn/wechat.xml"),
]


def expected_ids(targets: list[Target], start: datetime, end: datetime) -> list[str]:
    visits = visits_between(targets, start, end, SETTINGS.cadences, IMPLEMENTED_KINDS, SETTINGS.schedule_host_gap_s)
    return [probe.event_id for probe in (probe_for(v, end) for v in visits) if probe is not None]


class Recorder:
    """The publish callable: sends to JetStream like the registry does and remembers every call it made."""

    def __init__(self, js: Any) -> None:
        self._js = js
        self.calls: list[ProbeRequested] = []

    async def __call__(self, event: ProbeRequested) -> None:
        self.calls.append(event)
        payload = json.dumps(event.model_dump(mode="json")).encode()
        await self._js.publish(event.subject(), payload, headers={"Nats-Msg-Id": event.event_id}, stream=PROBES.name)

    @property
    def ids(self) -> list[str]:
        return [event.event_id for event in self.calls]


async def stream_events(js: Any) -> list[dict[str, Any]]:
    # PROBES is a work queue (no ordered consumers); nothing consumes it here, so read it by sequence.
    state = (await js.stream_info(PROBES.name)).state
    if not state.messages:
        return []
    return [json.loads((await js.get_msg(PROBES.name, seq)).data) for seq in range(state.first_seq, state.last_seq + 1)]


@pytest.fixture
async def db(mongodb_uri: str, db_prefix: str) -> AsyncIterator[Any]:
    client = make_client(mongodb_uri)
    yield client[f"{db_prefix}_registry"]
    await client.close()


@pytest.fixture
async def js(jetstream: Any) -> Any:
    await ensure_streams(jetstream)
    return jetstream


def scheduler(
    js: Any, db: Any, clock: FixedClock, targets: list[Target], lease: bool = False, **settings: Any
) -> tuple[Scheduler, Recorder]:
    async def list_targets() -> list[Target]:
        return list(targets)

    recorder = Recorder(js)
    config = SETTINGS.model_copy(update=settings)
    lock = Lease(js, BUCKET, KEY, ttl_s=config.schedule_lease_ttl_s) if lease else None
    return Scheduler(list_targets, clock, recorder, config, RegistryRepository(db), lock), recorder


async def test_a_tick_publishes_exactly_the_probes_that_fell_due_since_the_last_tick(js: Any, db: Any) -> None:
    clock = FixedClock(START)
    enabled = [*IMPLEMENTED_KINDS, Kind.links]  # links are planned but not yet a probe kind: never published
    sched, recorder = scheduler(js, db, clock, TARGETS, enabled_kinds=enabled)

    first = await sched.tick()
    clock.advance(timedelta(hours=6))
    second = await sched.tick()
    again = await sched.tick()

    expected = expected_ids(TARGETS, START, START + timedelta(hours=6))
    assert first.published == 0 and first.scheduled_until == START  # the first start ever begins now
    assert second.published == len(expected) and again.published == 0
    assert recorder.ids == expected and len(expected) > 10
    events = await stream_events(js)
    assert [e["event_id"] for e in events] == expected
    kinds = Counter(e["kind"] for e in events)
    assert kinds["homepage"] + kinds["columns"] + kinds["newmedia"] > 0 and "links" not in kinds
    assert all(START < datetime.fromisoformat(e["scheduled_for"]) <= START + timedelta(hours=6) for e in events)
    assert {(e["correlation_id"], e["period_id"]) for e in events} == {("rt-2026-11-27", "2026Q4")}
    assert await RegistryRepository(db).schedule_cursor("realtime") == START + timedelta(hours=6)


async def test_a_restarted_scheduler_publishes_nothing_twice_and_nothing_missing(js: Any, db: Any) -> None:
    clock = FixedClock(START)
    before, first = scheduler(js, db, clock, TARGETS)
    await before.tick()
    clock.advance(timedelta(hours=1, minutes=7))
    await before.tick()
    await before.close()

    clock.advance(timedelta(hours=4))  # down for four hours
    after, second = scheduler(js, db, clock, TARGETS)
    result = await after.tick()

    calls = first.ids + second.ids
    assert len(first.ids) > 0 and result.published == len(second.ids) > 0
    assert len(calls) == len(set(calls))  # not even a duplicate for JetStream to drop
    assert sorted(calls) == sorted(expected_ids(TARGETS, START, clock.now()))
    assert len(await stream_events(js)) == len(calls)


async def test_two_schedulers_running_together_publish_every_slot_once(js: Any, db: Any) -> None:
    clock = FixedClock(START)
    one, one_calls = scheduler(js, db, clock, TARGETS, lease=True, schedule_lease_ttl_s=30)
    two, two_calls = scheduler(js, db, clock, TARGETS, lease=True, schedule_lease_ttl_s=30)

    leaders = []
    for _ in range(10):
        results = await asyncio.gather(one.tick(), two.tick())
        leaders.append([r.leader for r in results])
        clock.advance(timedelta(minutes=20))
    await asyncio.gather(one.close(), two.close())

    assert all(sum(step) == 1 for step in leaders)  # exactly one leader at every tick
    assert len({tuple(step) for step in leaders}) == 1  # and the same one throughout
    calls = one_calls.ids + two_calls.ids
    assert not one_calls.ids or not two_calls.ids
    assert sorted(calls) == sorted(expected_ids(TARGETS, START, START + timedelta(minutes=9 * 20)))
    assert len(calls) == len(set(calls)) == len(await stream_events(js))


async def test_when_the_leader_stops_renewing_the_follower_takes_over_within_the_lease_ttl(
    js: Any, db: Any, wait: Any
) -> None:
    clock = FixedClock(START)
    leader, leader_calls = scheduler(js, db, clock, TARGETS, lease=True)
    follower, follower_calls = scheduler(js, db, clock, TARGETS, lease=True)
    assert (await leader.tick()).leader and not (await follower.tick()).leader
    clock.advance(timedelta(minutes=30))
    assert (await leader.tick()).published > 0
    stopped = time.monotonic()  # the leader crashes here: no more renewals, no release
    assert not (await follower.tick()).leader  # its lease still holds

    clock.advance(timedelta(hours=1))

    async def leads() -> TickResult | None:
        result = await follower.tick()
        return result if result.leader else None

    took_over = await wait(leads, timeout=10, interval=0.05, what="the follower to lead")

    assert time.monotonic() - stopped <= SETTINGS.schedule_lease_ttl_s + 1.0
    assert took_over.leader and took_over.published == len(follower_calls.ids) > 0
    calls = leader_calls.ids + follower_calls.ids
    assert len(calls) == len(set(calls))
    assert sorted(calls) == sorted(expected_ids(TARGETS, START, clock.now()))
    assert not (await leader.tick()).leader  # back again, the old leader follows


async def test_a_leader_that_stops_cleanly_hands_over_at_the_next_tick(js: Any, db: Any, wait: Any) -> None:
    clock = FixedClock(START)
    leader, _ = scheduler(js, db, clock, TARGETS, lease=True, schedule_lease_ttl_s=60)
    follower, _ = scheduler(js, db, clock, TARGETS, lease=True, schedule_lease_ttl_s=60)
    running = asyncio.create_task(leader.run())
    lease = Lease(js, BUCKET, KEY, ttl_s=60)
    await wait(lease.current_holder, timeout=10, what="the leader to take the lease")
    assert not (await follower.tick()).leader

    running.cancel()
    await asyncio.wait_for(asyncio.gather(running, return_exceptions=True), timeout=15)

    assert await lease.current_holder() is None
    assert (await follower.tick()).leader


async def test_a_target_added_mid_day_is_scheduled_from_then_on_and_a_closed_one_stops(js: Any, db: Any) -> None:
    clock = FixedClock(START)
    targets = list(TARGETS)
    sched, recorder = scheduler(js, db, clock, targets)
    await sched.tick()
    clock.advance(timedelta(hours=2))
    await sched.tick()
    added_at = clock.now()
    targets.append(target("new-site", url="http://new.qingshan.gov.cn/"))
    targets[targets.index(TARGETS[-2])] = TARGETS[-2].model_copy(
        update={"status": TargetStatus.closed, "closed_on": START.date(), "version": 2}
    )
    clock.advance(timedelta(hours=2))
    await sched.tick()

    published = [e for e in recorder.calls if e.target_id == "new-site"]
    new_visits = expected_ids([targets[-1]], START - timedelta(days=1), added_at + timedelta(hours=2))
    assert [e.event_id for e in published] == expected_ids([targets[-1]], added_at, clock.now())
    assert 0 < len(published) < len(new_visits)  # its earlier slots that day were not sent after the fact
    closed = [e.scheduled_for for e in recorder.calls if e.target_id == "dept"]
    assert closed and max(closed) <= added_at  # checked until it closed, not after


def test_a_visit_keeps_its_id_when_spreading_delays_it() -> None:
    site = TARGETS[0]
    visit = Visit(START + timedelta(minutes=3), site.target_id, Kind.homepage, START, site, "www.qingshan.gov.cn")
    probe = probe_for(visit, START)
    assert probe is not None and probe.scheduled_for == START + timedelta(minutes=3)
    assert probe.event_id == ProbeRequested.id_for(site.target_id, probe.kind, START)
    links = probe_for(Visit(START, "p", Kind.links, START, site, "h"), START)
    assert links is not None and links.kind is CheckKind.links
