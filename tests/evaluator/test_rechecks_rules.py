"""Re-checks (复查) judged on their own observations: the pure evidence and the re-check's W-V2 rule."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from services.evaluator.rechecks import (
    is_recheck,
    judge_recheck,
    recheck_availability,
    recheck_event,
    recheck_evidence,
    subjects,
    write_for,
)
from services.evaluator.rules import NATIONAL_2019, Evidence, PageSeen, judge
from shared.clock import CHINA_TZ
from shared.events import CheckKind, IndicatorStatus, ObservationRecorded, PageFacts, Target, TargetType

from .builders import COLUMN, QUARTER, SITE, days
from .streams import homepage, observation, visit

RECHECK_ID = "recheck-case7-1"
AT = datetime(2022, 10, 20, 10, tzinfo=CHINA_TZ)  # three weeks after the monitoring point
SCOPE = ["availability", "homepage"]
BOARD = SITE.model_copy(
    update={"target_id": "yx-portal-hdjl", "type": TargetType.message_board, "site_id": SITE.target_id}
)


def visits(opened: list[bool], start: datetime = AT) -> list[ObservationRecorded]:
    return [
        visit(SITE, QUARTER.period_id, start + timedelta(milliseconds=i), ok, RECHECK_ID) for i, ok in enumerate(opened)
    ]


def fresh_homepage(at: datetime = AT, newest: date = date(2022, 10, 19)) -> ObservationRecorded:
    return homepage(SITE, QUARTER.period_id, at, newest, RECHECK_ID)


def results(
    observations: list[ObservationRecorded], target: Target = SITE, parts: list[Target] | None = None
) -> dict[str, tuple[IndicatorStatus, str]]:
    found = recheck_evidence(target, QUARTER, observations, parts or [])
    assert found is not None
    return {r.indicator_id: (r.status, r.explanation) for r in judge_recheck(NATIONAL_2019, found, SCOPE, 10)}


def test_ten_visits_all_opened_pass_w_v2_in_a_recheck() -> None:
    status, text = results(visits([True] * 10))["W-V2"]
    assert status is IndicatorStatus.passed and "共访问10次" in text


def test_one_failed_visit_of_ten_fails_the_recheck_and_the_explanation_names_the_counts() -> None:
    found = visits([True] * 9 + [False])
    result = recheck_availability(NATIONAL_2019.availability, found, 10)
    assert result.status is IndicatorStatus.failed and result.label == NATIONAL_2019.availability.label
    assert "共访问10次，失败1次" in result.explanation and "10月20日10:00:00" in result.explanation
    assert result.evidence == [found[-1].event_id]


def test_a_failed_visit_fails_at_once_even_before_the_tenth_visit() -> None:
    assert recheck_availability(NATIONAL_2019.availability, visits([False]), 10).status is IndicatorStatus.failed


def test_fewer_visits_than_required_all_opened_are_insufficient_with_the_reason() -> None:
    result = recheck_availability(NATIONAL_2019.availability, visits([True] * 6), 10)
    assert result.status is IndicatorStatus.insufficient
    assert (
        result.explanation.startswith("复查访问不足")
        and "已访问6次" in result.explanation
        and "10次" in result.explanation
    )


def test_a_homepage_updated_now_passes_w_v3_in_the_recheck_although_the_quarter_failed_it() -> None:
    stale = PageSeen("q3-home", datetime(2022, 9, 29, 9, tzinfo=CHINA_TZ), date(2022, 7, 31))
    quarter = Evidence(SITE, QUARTER, QUARTER.monitoring_point, days(date(2022, 9, 23), date(2022, 9, 29)), stale)
    quarter_results = {r.indicator_id: r.status for r in judge(NATIONAL_2019, quarter, SCOPE).results}
    assert quarter_results["W-V3"] is IndicatorStatus.failed

    status, text = results([*visits([True] * 10), fresh_homepage()])["W-V3"]
    assert status is IndicatorStatus.passed and "10月19日" in text


def test_the_recheck_is_judged_as_of_its_newest_observation_not_the_monitoring_point() -> None:
    later = AT + timedelta(days=30)  # a homepage last updated 10月19日 is stale again a month later
    found = recheck_evidence(SITE, QUARTER, [*visits([True] * 10), fresh_homepage(later)])
    assert found is not None and found.evidence.as_of == later and found.observations == 11
    statuses = {r.indicator_id: r.status for r in judge_recheck(NATIONAL_2019, found, SCOPE, 10)}
    assert statuses["W-V3"] is IndicatorStatus.failed


def test_the_newest_homepage_of_the_recheck_counts_and_a_failed_fetch_says_nothing() -> None:
    old = fresh_homepage(AT, date(2022, 7, 31))
    new = fresh_homepage(AT + timedelta(minutes=5), date(2022, 10, 20))
    unreachable = observation(
        SITE,
        QUARTER.period_id,
        AT + timedelta(minutes=9),
        RECHECK_ID,
        CheckKind.homepage,
        PageFacts(kind="homepage"),
        opened=False,
    )
    status, _ = results([old, new, unreachable])["W-V3"]
    assert status is IndicatorStatus.passed


def test_a_website_recheck_reads_its_columns_from_their_recheck_observations() -> None:
    stale_column = observation(
        COLUMN,
        QUARTER.period_id,
        AT,
        RECHECK_ID,
        CheckKind.columns,
        PageFacts(kind="columns", newest_item_on=date(2022, 9, 1)),
    )
    found = recheck_evidence(SITE, QUARTER, [*visits([True] * 10), fresh_homepage(), stale_column], [COLUMN])
    assert found is not None and found.observations == 12
    assert [c.name for c in found.evidence.site_columns] == [COLUMN.name] and found.evidence.unseen_columns == 0
    unseen = recheck_evidence(SITE, QUARTER, [*visits([True] * 10), fresh_homepage()], [COLUMN])
    assert unseen is not None and unseen.evidence.unseen_columns == 1


def test_only_targets_with_their_own_recheck_observations_are_judged() -> None:
    column_only = observation(
        COLUMN,
        QUARTER.period_id,
        AT,
        RECHECK_ID,
        CheckKind.columns,
        PageFacts(kind="columns", newest_item_on=AT.date()),
    )
    assert recheck_evidence(SITE, QUARTER, [column_only], [COLUMN]) is None
    targets = {t.target_id: t for t in (SITE, COLUMN, BOARD)}
    board = observation(BOARD, QUARTER.period_id, AT, RECHECK_ID, CheckKind.availability, visits([True])[0].facts)
    assert subjects([column_only, board], targets) == {
        (COLUMN.target_id, "2022Q3", RECHECK_ID),
        (SITE.target_id, "2022Q3", RECHECK_ID),
    }
    assert subjects(visits([True], AT), targets) == {(SITE.target_id, "2022Q3", RECHECK_ID)}
    quarter_visit = visit(SITE, QUARTER.period_id, AT, True, "round-q3")
    assert not is_recheck(quarter_visit) and subjects([quarter_visit], targets) == set()


def test_a_recheck_observation_inside_the_window_still_counts_nowhere() -> None:
    inside = datetime(2022, 9, 10, 10, tzinfo=CHINA_TZ)
    rechecked = write_for(visit(SITE, QUARTER.period_id, inside, True, RECHECK_ID), QUARTER)
    regular = write_for(visit(SITE, QUARTER.period_id, inside, True, "round-q3"), QUARTER)
    page = write_for(fresh_homepage(inside, date(2022, 9, 10)), QUARTER)
    assert rechecked.visit is None and rechecked.latest is None and page.latest is None
    assert regular.visit is not None


def test_the_event_id_follows_the_observations_used_so_a_replay_repeats_it() -> None:
    observations = [*visits([True] * 10), fresh_homepage()]
    found = recheck_evidence(SITE, QUARTER, observations)
    again = recheck_evidence(SITE, QUARTER, list(reversed(observations)))
    fewer = recheck_evidence(SITE, QUARTER, observations[:5])
    assert found is not None and again is not None and fewer is not None
    event = recheck_event(SITE, "2022Q3", RECHECK_ID, found, judge_recheck(NATIONAL_2019, found, SCOPE, 10))
    replayed = recheck_event(SITE, "2022Q3", RECHECK_ID, again, judge_recheck(NATIONAL_2019, again, SCOPE, 10))
    earlier = recheck_event(SITE, "2022Q3", RECHECK_ID, fewer, judge_recheck(NATIONAL_2019, fewer, SCOPE, 10))
    assert event.event_id == replayed.event_id != earlier.event_id
    assert event == replayed and event.correlation_id == RECHECK_ID
    assert event.as_of == max(o.observed_at for o in observations) > AT
