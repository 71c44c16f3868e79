"""The cases board's grouping, with plain values (services/console/board.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.console.board import (
    BOARD_ORDER,
    BoardFilter,
    build_board,
    card_of,
    current_period,
    is_due_soon,
    is_overdue,
    may_acknowledge,
    may_submit,
    period_choices,
    period_label,
)
from services.notifier.models import CaseStatus

TODAY = date(2022, 10, 20)
TARGETS = {
    "songxi-portal": {"name": "松溪县人民政府", "county": "松溪县"},
    "sxfb-wx": {"name": "松溪发布", "county": "松溪县"},
    "edu-portal": {"name": "云岭市教育体育局", "county": "市直"},
}
UNITS = {
    "sx-zfb": {"name": "松溪县人民政府办公室", "county": "松溪县"},
    "edu": {"name": "云岭市教育体育局", "county": "市直"},
}


def case(case_id: str, status: str, deadline: str, target: str = "songxi-portal", **more: Any) -> dict[str, Any]:
    unit = "edu" if target == "edu-portal" else "sx-zfb"
    return {
        "case_id": case_id,
        "target_id": target,
        "unit_id": unit,
        "period_id": more.pop("period_id", "2022Q3"),
        "status": status,
        "deadline": deadline,
        "problem": "首页长期不更新",
        **more,
    }


def cards(*cases: dict[str, Any]) -> list[Any]:
    return [card_of(c, TARGETS, UNITS, TODAY) for c in cases]


def test_the_board_has_the_eight_lifecycle_states_in_order_even_when_empty() -> None:
    board = build_board([], BoardFilter())
    assert [c.status for c in board.columns] == list(BOARD_ORDER)
    assert len(board.columns) == len(CaseStatus) == 8
    assert [c.label for c in board.columns][:3] == ["待整改", "已通知", "已签收"]
    assert board.total == 0 and board.overdue == 0


def test_cases_land_in_their_state_column_sorted_by_deadline() -> None:
    board = build_board(
        cards(
            case("late", "notified", "2022-10-25"),
            case("early", "notified", "2022-10-21"),
            case("checking", "verifying", "2022-10-21"),
        ),
        BoardFilter(),
    )
    columns = {c.status: c for c in board.columns}
    assert [c.case_id for c in columns[CaseStatus.notified].cards] == ["early", "late"]
    assert [c.case_id for c in columns[CaseStatus.verifying].cards] == ["checking"]
    assert board.totals["notified"] == 2 and board.open == 3


def test_a_waiting_case_past_its_deadline_day_is_overdue_but_the_deadline_day_itself_is_in_time() -> None:
    assert is_overdue(CaseStatus.acknowledged, date(2022, 10, 19), TODAY)
    assert not is_overdue(CaseStatus.acknowledged, TODAY, TODAY)  # 「于10月20日前」: the 20th is still in time
    assert not is_overdue(CaseStatus.verifying, date(2022, 10, 1), TODAY)  # reported: the unit did its part
    assert not is_overdue(CaseStatus.resolved, date(2022, 10, 1), TODAY)
    assert is_overdue(CaseStatus.escalated, date(2022, 12, 1), TODAY)  # the notifier's word wins


def test_a_waiting_case_within_three_days_of_its_deadline_is_due_soon() -> None:
    assert is_due_soon(CaseStatus.notified, date(2022, 10, 23), TODAY)
    assert not is_due_soon(CaseStatus.notified, date(2022, 10, 24), TODAY)
    assert not is_due_soon(CaseStatus.submitted, date(2022, 10, 21), TODAY)


def test_overdue_cards_are_counted_per_column_and_for_the_board() -> None:
    board = build_board(
        cards(case("a", "open", "2022-10-10"), case("b", "open", "2022-11-10"), case("c", "overdue", "2022-10-01")),
        BoardFilter(),
    )
    columns = {c.status: c for c in board.columns}
    assert columns[CaseStatus.open].overdue == 1 and columns[CaseStatus.overdue].overdue == 1
    assert board.overdue == 2


def test_the_filter_by_county_and_unit_hides_the_rest_and_counts_them() -> None:
    all_cases = cards(case("sx", "open", "2022-10-21"), case("edu", "open", "2022-10-21", target="edu-portal"))
    by_county = build_board(all_cases, BoardFilter(county="市直"))
    assert [c.case_id for col in by_county.columns for c in col.cards] == ["edu"] and by_county.hidden == 1
    by_unit = build_board(all_cases, BoardFilter(unit_id="sx-zfb"))
    assert [c.case_id for col in by_unit.columns for c in col.cards] == ["sx"]
    # The choices offered stay complete whatever is filtered, so a person can switch.
    assert by_unit.counties == ("市直", "松溪县")
    assert {u for u, _ in by_unit.units} == {"sx-zfb", "edu"}


def test_the_period_filter_also_narrows_the_choices() -> None:
    board = build_board(
        cards(
            case("q3", "open", "2022-10-21"),
            case("q2", "resolved", "2022-07-21", target="edu-portal", period_id="2022Q2"),
        ),
        BoardFilter(period_id="2022Q3"),
    )
    assert board.total == 1 and board.counties == ("松溪县",) and board.hidden == 0


def test_a_card_names_target_unit_and_county_and_keeps_ids_for_what_the_caller_cannot_see() -> None:
    [known] = cards(case("k", "open", "2022-10-21", round=2))
    assert (known.target_name, known.unit_name, known.county, known.round) == (
        "松溪县人民政府",
        "松溪县人民政府办公室",
        "松溪县",
        2,
    )
    hidden = card_of(case("h", "open", "2022-10-21", target="gone"), {}, {}, TODAY)
    assert hidden.target_name == "gone" and hidden.unit_name == "sx-zfb" and hidden.county == ""


def test_periods_read_as_quarters_newest_first_and_the_current_one_is_the_newest_begun() -> None:
    periods = [
        {"period_id": "2022Q3", "window_start": "2022-07-01T00:00:00+08:00"},
        {"period_id": "2022Q4", "window_start": "2022-10-01T00:00:00+08:00"},
        {"period_id": "2022Q2", "window_start": "2022-04-01T00:00:00+08:00"},
    ]
    assert [(p.id, p.label) for p in period_choices(periods)][:2] == [
        ("2022Q4", "2022年第四季度"),
        ("2022Q3", "2022年第三季度"),
    ]
    assert current_period(periods, date(2022, 9, 29)) == "2022Q3"
    assert current_period(periods, date(2021, 1, 1)) == "2022Q2"  # none begun yet: the first
    assert current_period([], TODAY) == "" and period_label("custom") == "custom"


def test_only_those_the_notifier_lets_act_get_the_forms_and_only_in_states_that_allow_them() -> None:
    assert may_acknowledge("unit_user", CaseStatus.notified) and not may_acknowledge(
        "unit_user", CaseStatus.acknowledged
    )
    assert not may_acknowledge("auditor", CaseStatus.notified)
    assert may_submit("unit_user", CaseStatus.escalated) and may_submit("county_admin", CaseStatus.acknowledged)
    assert not may_submit("unit_user", CaseStatus.verifying) and not may_submit("auditor", CaseStatus.open)
