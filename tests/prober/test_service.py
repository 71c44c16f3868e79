"""ProberService over real sockets (the local site), with a recording evidence store and publisher."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import date, datetime

import pytest

from services.prober.app import probe_once
from services.prober.fetch import Fetcher
from services.prober.service import ProberService
from services.prober.settings import ProberSettings
from shared.clock import CHINA_TZ, FixedClock
from shared.events import (
    AvailabilityFacts,
    CheckKind,
    NewMediaFacts,
    ObservationRecorded,
    PageFacts,
    ProbeRequested,
    TargetType,
)

from .conftest import Site

SCHEDULED = datetime(2022, 9, 29, 12, 0, tzinfo=CHINA_TZ)
WALL = datetime(2024, 5, 1, 8, 0, tzinfo=CHINA_TZ)


class RecordingEvidence:
    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}
        self.targets: dict[str, set[str]] = {}
        self.calls = 0

    async def store(
        self, sha256: str, body: bytes, content_type: str, url: str, at: datetime, target_id: str = ""
    ) -> None:
        self.calls += 1
        self.stored.setdefault(sha256, body)
        self.targets.setdefault(sha256, set()).add(target_id)


class Harness:
    def __init__(self, service: ProberService, evidence: RecordingEvidence, published: list[ObservationRecorded]):
        self.service, self.evidence, self.published = service, evidence, published


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    settings = ProberSettings(send_sim_time=True, probe_timeout_s=0.5)
    evidence = RecordingEvidence()
    published: list[ObservationRecorded] = []

    async def publish(observation: ObservationRecorded) -> None:
        published.append(observation)

    service = ProberService(Fetcher(settings), evidence, publish, FixedClock(WALL), settings)
    yield Harness(service, evidence, published)
    await service.close()


def probe(url: str, kind: CheckKind, target_type: TargetType = TargetType.website) -> ProbeRequested:
    return ProbeRequested(
        event_id=ProbeRequested.id_for("lc", kind, SCHEDULED),
        occurred_at=SCHEDULED,
        correlation_id="round-2022-09-29",
        target_id="lc",
        target_type=target_type,
        kind=kind,
        url=url,
        scheduled_for=SCHEDULED,
        period_id="2022Q3",
    )


async def test_a_homepage_probe_publishes_its_newest_item_and_archives_the_page(harness: Harness, site: Site) -> None:
    request = probe(site.url("/sites/lc/"), CheckKind.homepage)
    observation = await harness.service.probe(request)
    assert harness.published == [observation]
    assert observation.event_id == ObservationRecorded.id_for(request.event_id)
    assert observation.request_id == request.event_id
    assert observation.correlation_id == "round-2022-09-29"
    assert observation.observed_at == SCHEDULED  # simulated time: the instant the probe stands for
    assert observation.status == 200 and observation.subject() == "observation.recorded.homepage"
    facts = observation.facts
    assert isinstance(facts, PageFacts) and facts.kind == "homepage"
    assert facts.newest_item_on == date(2022, 9, 28) and len(facts.items) == 6 and not facts.empty
    body = harness.evidence.stored[observation.evidence]
    assert hashlib.sha256(body).hexdigest() == observation.evidence
    assert harness.evidence.targets[observation.evidence] == {observation.target_id}  # who may see it
    assert site.seen["/sites/lc/"][0]["X-Xunjian-Sim-Time"] == SCHEDULED.isoformat()


async def test_a_retried_request_yields_the_same_observation_and_the_same_evidence(
    harness: Harness, site: Site
) -> None:
    request = probe(site.url("/sites/lc/"), CheckKind.homepage)
    first = await harness.service.probe(request)
    second = await harness.service.probe(request)
    assert first.event_id == second.event_id and first.evidence == second.evidence
    assert list(harness.evidence.stored) == [first.evidence]


async def test_an_availability_visit_records_status_and_timings_but_no_evidence(harness: Harness, site: Site) -> None:
    observation = await harness.service.probe(probe(site.url("/sites/lc/"), CheckKind.availability))
    assert observation.facts == AvailabilityFacts(opened=True)
    assert observation.timing.total_ms is not None and observation.timing.ttfb_ms is not None
    assert observation.evidence == "" and harness.evidence.calls == 0


async def test_an_availability_visit_that_times_out_did_not_open(harness: Harness, site: Site) -> None:
    observation = await harness.service.probe(probe(site.url("/hang"), CheckKind.availability))
    assert observation.facts == AvailabilityFacts(opened=False)
    assert observation.error == "timeout" and observation.status is None


async def test_a_column_page_reports_its_newest_item_and_whether_it_is_empty(harness: Harness, site: Site) -> None:
    policy = await harness.service.probe(probe(site.url("/sites/gm/zcwj/"), CheckKind.columns, TargetType.column))
    assert isinstance(policy.facts, PageFacts) and policy.facts.kind == "columns"
    assert policy.facts.newest_item_on == date(2022, 6, 15) and not policy.facts.empty
    empty = await harness.service.probe(probe(site.url("/sites/lc/empty/"), CheckKind.columns, TargetType.column))
    assert isinstance(empty.facts, PageFacts) and empty.facts.empty and empty.facts.newest_item_on is None


async def test_a_page_that_did_not_open_says_nothing_about_updates(harness: Harness, site: Site) -> None:
    observation = await harness.service.probe(probe(site.url("/gone"), CheckKind.homepage))
    assert observation.status == 404
    assert observation.facts == PageFacts(kind="homepage")


async def test_a_feed_gives_the_newest_post_and_the_posts_of_the_last_14_days(harness: Harness, site: Site) -> None:
    observation = await harness.service.probe(
        probe(site.url("/feeds/lcfb.xml"), CheckKind.newmedia, TargetType.account)
    )
    facts = observation.facts
    assert isinstance(facts, NewMediaFacts)
    assert facts.newest_post_at == datetime(2022, 9, 28, 10, 0, tzinfo=CHINA_TZ)
    assert facts.posts_in_window == 2  # 28 Sep and 16 Sep; 30 Aug is older than 14 days
    assert observation.evidence in harness.evidence.stored


async def test_without_simulated_time_the_clock_gives_observed_at_and_no_header_is_sent(site: Site) -> None:
    settings = ProberSettings(send_sim_time=False)
    observation = await probe_once(site.url("/sites/lc/"), "homepage", settings, FixedClock(WALL))
    assert observation.observed_at == WALL
    assert "X-Xunjian-Sim-Time" not in site.seen["/sites/lc/"][0]
    assert isinstance(observation.facts, PageFacts)
    assert observation.facts.newest_item_on == date(2022, 10, 8)  # by WALL, the notice of 2022-10-08 is past
    assert observation.period_id == "2024Q2" and observation.target_type is TargetType.website
    assert ObservationRecorded.model_validate_json(observation.model_dump_json()) == observation
