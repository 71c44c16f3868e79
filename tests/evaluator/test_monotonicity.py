"""Property: adding a failure to a target's evidence never improves its verdict, and never raises its score.

Hypothesis builds whole websites and accounts (visits, homepage, columns, boards, guides, basics, links, content)
and then makes one thing worse; every rule of the national rule set takes part.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluator.rules import (
    NATIONAL_2019,
    OUTCOME_RANK,
    ColumnState,
    DayCount,
    Evidence,
    FeedSeen,
    PageSeen,
    Seen,
    judge,
)
from shared.events import (
    ContentFacts,
    DeadLink,
    InteractionFacts,
    LinksFacts,
    Message,
    NewMediaFacts,
    ServiceGuide,
    ServiceGuideFacts,
    SiteBasicsFacts,
    WordFinding,
)

from .builders import ACCOUNT, QUARTER, SITE, beijing

TODAY = date(2022, 9, 29)
AS_OF = beijing(TODAY, 23)
WEEK = [TODAY - timedelta(days=i) for i in range(7)]

ages = st.one_of(st.none(), st.integers(min_value=0, max_value=400))


def _day(age: int | None) -> date | None:
    return None if age is None else TODAY - timedelta(days=age)


@st.composite
def columns(draw: Any) -> list[ColumnState]:
    kinds = st.sampled_from(["动态要闻", "通知公告", "政策文件", "人事信息"])
    return [
        ColumnState(f"栏目{i}", draw(kinds), draw(st.booleans()), _day(draw(ages)), draw(st.booleans()), None, f"c{i}")
        for i in range(draw(st.integers(0, 14)))
    ]


@st.composite
def messages(draw: Any) -> list[Message]:
    found = []
    for i in range(draw(st.integers(0, 6))):
        asked = draw(st.integers(0, 360))
        answered = draw(st.one_of(st.none(), st.integers(0, asked)))
        found.append(Message(title=f"留言{i}", category="咨询", asked_on=_day(asked), answered_on=_day(answered)))
    return found


@st.composite
def websites(draw: Any) -> Evidence:
    failures = draw(st.integers(0, 3))
    basics = SiteBasicsFacts(
        site_code="5309000001" if draw(st.booleans()) else "",
        icp="滇ICP备1号",
        police_record="滇公网安备1号" if draw(st.booleans()) else "",
        party_gov_label=draw(st.booleans()),
        search=draw(st.booleans()),
        error_report=True,
    )
    dead = draw(st.integers(0, 30))
    guides = [
        ServiceGuide(name=f"事项{i}", statutory_days=20, promised_days=draw(st.integers(1, 25))) for i in range(3)
    ]
    return Evidence(
        target=SITE.model_copy(update={"public_services": draw(st.booleans())}),
        period=QUARTER,
        as_of=AS_OF,
        availability={d: DayCount(20, failures if d == TODAY else 0) for d in WEEK},
        homepage=PageSeen("h", AS_OF, _day(draw(ages))),
        site_columns=draw(columns()),
        content=[Seen("ct", ContentFacts(pages_checked=10))],
        boards=[Seen("b", InteractionFacts(channel_present=True, messages=draw(messages())))],
        boards_registered=1,
        services=[Seen("g", ServiceGuideFacts(service_offered=True, guides=guides))],
        services_registered=1,
        basics=Seen("basics", basics),
        links=Seen("l", LinksFacts(dead_total=dead, dead=[DeadLink(url="x", found_on="y")] * min(dead, 3))),
    )


def worse_website(e: Evidence, how: str, severity: str = "严重") -> Evidence:
    """The same evidence with one more thing wrong."""
    if how == "visit":
        return replace(
            e, availability={d: DayCount(c.visits, min(c.visits, c.failures + 1)) for d, c in e.availability.items()}
        )
    if how == "homepage" and e.homepage is not None:
        older = e.homepage.newest_item_on and e.homepage.newest_item_on - timedelta(days=30)
        return replace(e, homepage=replace(e.homepage, newest_item_on=older))
    if how == "column" and e.site_columns:  # on a site without columns it would add data, not just a problem
        return replace(
            e, site_columns=[*e.site_columns, ColumnState("新栏目", "动态要闻", True, None, True, None, "c+")]
        )
    if how == "message":
        late = Message(title="未答复", category="咨询", asked_on=TODAY - timedelta(days=200))
        board = e.boards[0]
        return replace(
            e,
            boards=[
                Seen(
                    board.observation_id, InteractionFacts(channel_present=True, messages=[*board.facts.messages, late])
                )
            ],
        )
    if how == "basics" and e.basics is not None:
        return replace(e, basics=Seen("basics", e.basics.facts.model_copy(update={"icp": ""})))
    if how == "link" and e.links is not None:
        f = e.links.facts
        return replace(e, links=Seen("l", f.model_copy(update={"dead_total": f.dead_total + 5})))
    if how == "word":
        finding = WordFinding(word="x", category="typo", severity=severity, context="c", url="u", offset=1)
        return replace(e, content=[*e.content, Seen("ct2", ContentFacts(pages_checked=1, findings=[finding]))])
    if how == "guide":
        bad = ServiceGuide(name="坏指南", missing=["办理材料"], statutory_days=5, promised_days=5)
        g = e.services[0]
        return replace(e, services=[Seen("g", g.facts.model_copy(update={"guides": [*g.facts.guides, bad]}))])
    return e


HOW = ["visit", "homepage", "column", "message", "basics", "link", "word", "guide"]


@settings(max_examples=150, deadline=None)
@given(websites(), st.sampled_from(HOW), st.sampled_from(["一般", "疑似", "严重"]))
def test_one_more_problem_on_a_website_never_improves_its_verdict_or_its_score(
    e: Evidence, how: str, severity: str
) -> None:
    before = judge(NATIONAL_2019, e)
    after = judge(NATIONAL_2019, worse_website(e, how, severity))
    assert OUTCOME_RANK[after.outcome] <= OUTCOME_RANK[before.outcome], (how, before.results, after.results)
    if before.score is not None and after.score is not None:
        assert after.score <= before.score, how


@settings(max_examples=100, deadline=None)
@given(ages, st.sampled_from([True, False, None]), st.integers(0, 40))
def test_an_older_newest_post_or_a_lost_interaction_function_never_improves_an_account(
    age: int | None, interaction: bool | None, more_days: int
) -> None:
    def account(newest_age: int | None, has_interaction: bool | None) -> Evidence:
        newest = None if newest_age is None else AS_OF - timedelta(days=newest_age)
        facts = NewMediaFacts(newest_post_at=newest, has_interaction=has_interaction)
        return Evidence(
            ACCOUNT,
            QUARTER,
            AS_OF,
            feed=FeedSeen("f", AS_OF, newest),
            account=Seen("f", facts),
            content=[Seen("ct", ContentFacts(pages_checked=3))],
        )

    before = judge(NATIONAL_2019, account(age, interaction))
    older = judge(NATIONAL_2019, account(None if age is None else age + more_days, interaction))
    lost = judge(NATIONAL_2019, account(age, False if interaction is not None else None))
    assert OUTCOME_RANK[older.outcome] <= OUTCOME_RANK[before.outcome]
    assert OUTCOME_RANK[lost.outcome] <= OUTCOME_RANK[before.outcome]
