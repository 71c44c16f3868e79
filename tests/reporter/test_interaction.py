"""（四）网民留言办理情况 from the website verdicts' interaction summaries, as the evaluator computed them."""

from __future__ import annotations

from datetime import date

from services.reporter.render import render_notice
from services.reporter.stats import InteractionTally, compute_numbers
from shared.events import InteractionSummary, Period, Verdict
from tests.reporter.builders import Q3, Seed, lincang_profile, website

from .test_notice import text_of


def with_summary(v: Verdict, boards: int, messages: int, overdue: int) -> Verdict:
    summary = InteractionSummary(boards=boards, messages=messages, overdue=overdue)
    return v.model_copy(update={"interaction": summary})


def seed_with_boards() -> Seed:
    """The seed city's 10 platforms: two boards on the portal, one on each county's site; 119 messages, 2 late."""
    seed = Seed()
    counts = {"w0": (2, 28, 0), "w-zk": (1, 14, 2)} | {f"w{i}": (1, 11, 0) for i in range(1, 9)}
    seed.verdicts = [with_summary(v, *counts[v.target_id]) if v.target_id in counts else v for v in seed.verdicts]
    return seed


def numbers_of(seed: Seed, period: Period = Q3) -> InteractionTally | None:
    return compute_numbers(period, seed.targets, seed.units, seed.verdicts, seed.cases).interaction


def test_the_seed_city_adds_up_to_the_notices_numbers() -> None:
    assert numbers_of(seed_with_boards()) == InteractionTally(platforms=10, messages=119, overdue=2)


def test_the_notice_prints_the_fourth_paragraph_from_the_verdicts() -> None:
    seed = seed_with_boards()
    numbers = compute_numbers(Q3, seed.targets, seed.units, seed.verdicts, seed.cases, previous_known=True)
    text = "".join(text_of(render_notice(numbers, lincang_profile())))
    assert (
        "（四）网民留言办理情况。全市开设网民留言平台的政府网站和专栏共 10 个，2022 年第三季度全市共接到网民留言 119 条，"
        "逾期答复 2 条。"
    ) in text


def test_a_website_closed_before_the_point_does_not_count() -> None:
    seed = seed_with_boards()
    closed = website("w-zk", "镇康县人民政府", "镇康县", closed_on=date(2022, 9, 1))
    seed.websites = [closed if w.target_id == "w-zk" else w for w in seed.websites]
    assert numbers_of(seed) == InteractionTally(platforms=9, messages=105, overdue=0)


def test_without_interaction_in_scope_or_without_summaries_there_is_no_fourth_paragraph() -> None:
    narrow = Q3.model_copy(update={"scope": ["availability", "homepage", "column", "newmedia"]})
    assert numbers_of(seed_with_boards(), narrow) is None
    assert numbers_of(Seed()) is None
    text = "".join(text_of(render_notice(compute_numbers(narrow, [], [], []), lincang_profile())))
    assert "网民留言办理情况" not in text


def test_a_scope_that_names_interaction_counts_it() -> None:
    with_it = Q3.model_copy(update={"scope": ["availability", "interaction"]})
    assert numbers_of(seed_with_boards(), with_it) == InteractionTally(platforms=10, messages=119, overdue=2)
