"""N-V1, N-V3 and 未及时注销 at their boundaries, on plain values."""

from __future__ import annotations

from datetime import date

import pytest

from services.evaluator.rules.newmedia import (
    evaluate_closure,
    evaluate_newmedia_content,
    evaluate_newmedia_interaction,
)
from services.evaluator.rules.observed import Seen
from services.evaluator.rules.ruleset import NATIONAL_2019
from shared.events import ContentFacts, IndicatorStatus, NewMediaFacts, TargetStatus, Unit, WordFinding

from .builders import ACCOUNT, beijing

RULES = NATIONAL_2019
AS_OF = beijing(date(2022, 9, 29), 23)
PASS, FAIL, INSUFFICIENT = IndicatorStatus.passed, IndicatorStatus.failed, IndicatorStatus.insufficient


def feed(has_interaction: bool | None = None, notice: date | None = None) -> Seen[NewMediaFacts]:
    return Seen("obs-feed", NewMediaFacts(has_interaction=has_interaction, closure_notice_on=notice))


@pytest.mark.parametrize(
    ("has_interaction", "unknown_is_insufficient", "status", "label"),
    [
        (False, False, FAIL, "未提供有效互动功能"),
        (True, False, PASS, ""),
        (None, False, PASS, ""),  # an RSS feed cannot tell: explained, not judged
        (None, True, INSUFFICIENT, ""),  # a stricter rule set refuses to pass it
    ],
)
def test_an_account_without_interaction_fails_n_v3(
    has_interaction: bool | None, unknown_is_insufficient: bool, status: IndicatorStatus, label: str
) -> None:
    rule = RULES.newmedia_interaction.model_copy(update={"unknown_is_insufficient": unknown_is_insufficient})
    r = evaluate_newmedia_interaction(rule, feed(has_interaction))
    assert (r.indicator_id, r.status, r.label, r.veto) == ("N-V3", status, label, True)


def test_an_unexplained_pass_is_never_given_for_an_unknown_interaction_function() -> None:
    r = evaluate_newmedia_interaction(RULES.newmedia_interaction, feed(None))
    assert "未作检测" in r.explanation


def test_no_account_observation_is_insufficient_for_n_v3() -> None:
    assert evaluate_newmedia_interaction(RULES.newmedia_interaction, None).status is INSUFFICIENT


def test_a_serious_error_in_posts_is_an_n_v1_veto() -> None:
    word = WordFinding(
        word="李克强总书记",
        suggestion="李克强总理",
        category="leader_title",
        severity="严重",
        context="…",
        url="u",
        offset=0,
    )
    r = evaluate_newmedia_content(RULES.newmedia_content, [Seen("obs-posts", ContentFacts(findings=[word]))])
    assert (r.indicator_id, r.status, r.label) == ("N-V1", FAIL, "存在严重表述错误")


@pytest.mark.parametrize(
    ("notice", "required_by", "status", "label"),
    [
        (None, None, PASS, ""),
        (date(2022, 8, 30), None, PASS, ""),  # 30 days later is 9月29日: the last day in time
        (date(2022, 8, 29), None, FAIL, "未及时注销"),
        (None, date(2022, 9, 28), FAIL, "未及时注销"),
        (None, date(2022, 9, 29), PASS, ""),
        (date(2022, 9, 20), date(2022, 9, 1), FAIL, "未及时注销"),  # the earlier deadline wins
        (date(2022, 10, 1), None, PASS, ""),  # a notice after the monitoring point is not seen yet
    ],
)
def test_an_account_still_open_past_its_closure_deadline_fails(
    notice: date | None, required_by: date | None, status: IndicatorStatus, label: str
) -> None:
    target = ACCOUNT.model_copy(update={"closure_required_by": required_by})
    r = evaluate_closure(RULES.closure, target, AS_OF, feed(notice=notice))
    assert (r.status, r.label) == (status, label)


def test_a_zombie_account_is_explained_with_its_notice_and_deadline() -> None:
    r = evaluate_closure(RULES.closure, ACCOUNT, AS_OF, feed(notice=date(2022, 7, 1)))
    assert r.explanation == "账号已于7月1日发布停更公告，应于7月31日前注销，至9月29日仍未注销，已超期60天"
    assert r.evidence == ["obs-feed"]


def test_the_closure_deadline_is_data() -> None:
    local = RULES.closure.model_copy(update={"threshold": 60})
    assert evaluate_closure(local, ACCOUNT, AS_OF, feed(notice=date(2022, 8, 1))).status is PASS
    assert evaluate_closure(RULES.closure, ACCOUNT, AS_OF, feed(notice=date(2022, 8, 1))).status is FAIL


@pytest.mark.parametrize(
    ("status", "closed_on", "expected"),
    [
        (TargetStatus.closed, date(2022, 9, 1), PASS),
        (TargetStatus.closure_announced, None, INSUFFICIENT),  # no date to count from
    ],
)
def test_a_closed_account_passes_and_an_undated_announcement_is_insufficient(
    status: TargetStatus, closed_on: date | None, expected: IndicatorStatus
) -> None:
    target = ACCOUNT.model_copy(update={"status": status, "closed_on": closed_on})
    assert evaluate_closure(RULES.closure, target, AS_OF, feed()).status is expected


def test_an_announced_status_with_a_registered_deadline_is_judged() -> None:
    target = ACCOUNT.model_copy(
        update={"status": TargetStatus.closure_announced, "closure_required_by": date(2022, 9, 1)}
    )
    r = evaluate_closure(RULES.closure, target, AS_OF, None)
    assert (r.status, r.explanation) == (FAIL, "账号已列入注销名单，应于9月1日前注销，至9月29日仍未注销，已超期28天")


@pytest.mark.parametrize(
    ("abolished", "expected"),
    [
        (date(2022, 8, 30), PASS),  # 8月30日 + 30 days = 9月29日: the monitoring day is the last day in time
        (date(2022, 8, 29), FAIL),  # due 9月28日, still open on 9月29日
        (None, INSUFFICIENT),  # abolished, but nobody recorded when
    ],
)
def test_an_account_of_an_abolished_unit_must_close_within_the_closure_days(
    abolished: date | None, expected: IndicatorStatus
) -> None:
    unit = Unit(unit_id="old", name="云县旅游发展委员会", county="云县", active=False, abolished_on=abolished)
    r = evaluate_closure(RULES.closure, ACCOUNT, AS_OF, feed(), unit)
    assert r.status is expected
    if expected is FAIL:
        assert r.label == "未及时注销" and "云县旅游发展委员会已于8月29日撤并" in r.explanation
