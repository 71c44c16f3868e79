"""The answer key: what the system must conclude about a scenario at its monitoring point.

Computed from the scenario alone, independently of the services (nothing from ``services`` is imported), so an
end-to-end run can be checked against it. The rules are the national veto indicators (国办秘函〔2019〕19号) as the
notices word them:

- website 不合格 if its availability failure share over the worst 7-day window is at least 5 % (站点无法访问), or its
  homepage's newest item is more than 14 days old (首页长期不更新);
- column 不合格 if it is empty (空白栏目), or its newest item is older than its update period (栏目长期不更新);
- account 不合格 if its newest post is more than 14 days old (内容长期不更新).

Staleness is counted in calendar days of Beijing time: ``monitoring_point.date - newest_item.date``. A target
"runs" at the monitoring point if it was registered on or before that date and its ``closed_on`` (the first day it no
longer runs) is after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from pydantic import BaseModel, ConfigDict

from shared.events import Outcome, TargetType
from shared.sampling import checked_in
from simulator.scenario import Availability, Scenario

MAX_HOMEPAGE_STALE_DAYS = 14  # 首页 2 周无更新: 14 days passes, 15 fails
MAX_ACCOUNT_STALE_DAYS = 14  # 监测时间点前 2 周内无更新: 14 days passes, 15 fails
FAIL_SHARE = Fraction(5, 100)  # 「超过（含）」: exactly 5 % of visits failed is already a veto
WINDOW_DAYS = 7  # availability is judged over one week
VISIT_TIMEOUT_S = 15.0  # a visit not opened after 15 s fails: a slow answer of 15 s or more is a failed visit

LABEL_UNREACHABLE = "站点无法访问"
LABEL_HOMEPAGE_STALE = "首页长期不更新"
LABEL_EMPTY_COLUMN = "空白栏目"
LABEL_COLUMN_STALE = "栏目长期不更新"
LABEL_ACCOUNT_STALE = "内容长期不更新"

PLATFORM_ORDER = ("微信公众号", "微博", "抖音", "快手", "头条号", "百家号", "视频号")
PROBLEM_SEPARATOR = "；"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Expectation(_Frozen):
    target_id: str
    target_type: TargetType
    name: str
    unit_id: str
    county: str
    running: bool
    outcome: Outcome | None  # None when the target does not run at the monitoring point
    problems: list[str]


class Row(_Frozen):
    seq: int  # 序号
    county: str  # 县（区）
    name: str  # 名称
    problems: str  # 存在问题, labels joined with 「；」


class PlatformGroup(_Frozen):
    platform: str
    rows: list[Row]


class ExpectedNumbers(_Frozen):
    period_id: str
    websites_running: int
    websites_unqualified: int
    websites_pass_rate: str
    message_board_sites: int
    columns_running: int
    columns_unqualified: int
    columns_pass_rate: str
    accounts_new: int  # 新增登记: registered within the window (window_start … monitoring_point, inclusive)
    accounts_running: int
    accounts_unqualified: int
    accounts_pass_rate: str
    website_rows: list[Row]  # 附件1
    account_groups: list[PlatformGroup]  # 附件2, by platform; 序号 runs on across groups
    column_rows: list[Row]  # not an attachment: the unqualified columns, for the text of the notice


def is_running(registered_on: date, closed_on: date | None, point: date) -> bool:
    """Registered on or before the point, and not closed by it (closed_on is the first day it no longer runs)."""
    return registered_on <= point and (closed_on is None or closed_on > point)


def worst_week_failure_share(availability: Availability | None) -> Fraction:
    """The failure share of the worst 7-day window.

    Failures fill ``failure_ratio`` of the last ``last_days`` days; a window of 7 days holds all of them when
    ``last_days`` ≤ 7 (share = ratio × last_days / 7) and a 7-day stretch of them otherwise (share = ratio). A slow
    answer fails a visit only when it takes at least the 15 s visit timeout.
    """
    if availability is None:
        return Fraction(0)
    if availability.mode == "slow" and availability.slow_s < VISIT_TIMEOUT_S:
        return Fraction(0)
    ratio = Fraction(Decimal(str(availability.failure_ratio)))
    return ratio * min(availability.last_days, WINDOW_DAYS) / WINDOW_DAYS


def website_problems(stale_days: int, availability: Availability | None) -> list[str]:
    """站点无法访问 at a worst-week failure share ≥ 5 %; 首页长期不更新 at more than 14 days (14 passes, 15 fails)."""
    problems = []
    if worst_week_failure_share(availability) >= FAIL_SHARE:
        problems.append(LABEL_UNREACHABLE)
    if stale_days > MAX_HOMEPAGE_STALE_DAYS:
        problems.append(LABEL_HOMEPAGE_STALE)
    return problems


def column_problems(empty: bool, stale_days: int, update_period_days: int) -> list[str]:
    """空白栏目 when empty; else 栏目长期不更新 when older than its period (equal to the period passes)."""
    if empty:
        return [LABEL_EMPTY_COLUMN]
    return [LABEL_COLUMN_STALE] if stale_days > update_period_days else []


def account_problems(stale_days: int) -> list[str]:
    """内容长期不更新 when the newest post is more than 14 days old (14 passes, 15 fails)."""
    return [LABEL_ACCOUNT_STALE] if stale_days > MAX_ACCOUNT_STALE_DAYS else []


def expected_outcomes(scenario: Scenario) -> dict[str, Expectation]:
    """Every target's expected outcome at the monitoring point, in scenario order."""
    point = scenario.period.monitoring_point
    counties = {u.id: u.county for u in scenario.units}
    out: dict[str, Expectation] = {}

    def put(tid: str, kind: TargetType, name: str, unit: str, running: bool, problems: list[str]) -> None:
        outcome = (Outcome.unqualified if problems else Outcome.qualified) if running else None
        out[tid] = Expectation(
            target_id=tid,
            target_type=kind,
            name=name,
            unit_id=unit,
            county=counties[unit],
            running=running,
            outcome=outcome,
            problems=problems if running else [],
        )

    for w in scenario.websites:
        running = is_running(w.registered_on, w.closed_on, point)
        put(
            w.id,
            TargetType.website,
            w.name,
            w.unit,
            running,
            website_problems(w.states.stale_days, w.states.availability),
        )
    for c in scenario.columns:
        site = scenario.website(c.site)
        running = is_running(site.registered_on, site.closed_on, point)
        problems = column_problems(c.states.empty, c.states.stale_days, c.update_period_days)
        put(c.id, TargetType.column, c.name, scenario.column_unit(c), running, problems)
    for a in scenario.accounts:
        running = is_running(a.registered_on, a.closed_on, point)
        put(a.id, TargetType.account, a.name, a.unit, running, account_problems(a.states.stale_days))
    return out


def pass_rate(running: int, unqualified: int) -> str:
    """(running − unqualified) / running as a percentage, half-up to two decimals: 8 of 9 → "88.89%"; none → "—"."""
    if running == 0:
        return "—"
    share = Decimal(running - unqualified) * 100 / Decimal(running)
    return f"{share.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def expected_numbers(scenario: Scenario) -> ExpectedNumbers:
    """The notice's numbers and its two attachment tables, with counties in administrative order."""
    outcomes = expected_outcomes(scenario)
    period = scenario.period

    def running(kind: TargetType) -> list[Expectation]:
        return [e for e in outcomes.values() if e.target_type is kind and e.running]

    # A spot check counts its sample: the same draw the registry and the reporter make (shared/sampling.py).
    inventory = scenario.to_inventory("http://127.0.0.1")
    checked = {t.target_id for t in checked_in(inventory.periods[0], inventory.targets)}

    def failed(kind: TargetType) -> list[Expectation]:
        return [e for e in running(kind) if e.target_id in checked and e.outcome is Outcome.unqualified]

    def assessed(kind: TargetType) -> int:
        return sum(1 for e in running(kind) if e.target_id in checked)

    sites, columns, accounts = running(TargetType.website), running(TargetType.column), running(TargetType.account)
    board_sites = {w.id for w in scenario.websites if w.has_message_board}
    platforms = {a.id: a.platform for a in scenario.accounts}
    return ExpectedNumbers(
        period_id=period.id,
        websites_running=len(sites),
        websites_unqualified=len(failed(TargetType.website)),
        websites_pass_rate=pass_rate(assessed(TargetType.website), len(failed(TargetType.website))),
        message_board_sites=sum(1 for e in sites if e.target_id in board_sites),
        columns_running=len(columns),
        columns_unqualified=len(failed(TargetType.column)),
        columns_pass_rate=pass_rate(assessed(TargetType.column), len(failed(TargetType.column))),
        accounts_new=sum(
            1 for a in scenario.accounts if period.window_start <= a.registered_on <= period.monitoring_point
        ),
        accounts_running=len(accounts),
        accounts_unqualified=len(failed(TargetType.account)),
        accounts_pass_rate=pass_rate(assessed(TargetType.account), len(failed(TargetType.account))),
        website_rows=_rows(scenario, failed(TargetType.website)),
        account_groups=_groups(scenario, failed(TargetType.account), platforms),
        column_rows=_rows(scenario, failed(TargetType.column)),
    )


def _sort_key(scenario: Scenario) -> dict[str, tuple[int, int, int]]:
    """Per target: (its county's rank, its unit's order, its place in the scenario)."""
    county_rank: dict[str, int] = {}
    for u in scenario.units:
        county_rank[u.county] = min(county_rank.get(u.county, u.order), u.order)
    units = {u.id: u for u in scenario.units}
    places = {tid: n for n, tid in enumerate(scenario.target_ids())}
    keys: dict[str, tuple[int, int, int]] = {}
    for w in scenario.websites:
        keys[w.id] = (county_rank[units[w.unit].county], units[w.unit].order, places[w.id])
    for c in scenario.columns:
        unit = units[scenario.column_unit(c)]
        keys[c.id] = (county_rank[unit.county], unit.order, places[c.id])
    for a in scenario.accounts:
        keys[a.id] = (county_rank[units[a.unit].county], units[a.unit].order, places[a.id])
    return keys


def _rows(scenario: Scenario, failed: Iterable[Expectation], first_seq: int = 1) -> list[Row]:
    keys = _sort_key(scenario)
    ordered = sorted(failed, key=lambda e: keys[e.target_id])
    return [
        Row(seq=first_seq + n, county=e.county, name=e.name, problems=PROBLEM_SEPARATOR.join(e.problems))
        for n, e in enumerate(ordered)
    ]


def _platform_rank(platform: str) -> tuple[int, str]:
    return (PLATFORM_ORDER.index(platform), "") if platform in PLATFORM_ORDER else (len(PLATFORM_ORDER), platform)


def _groups(scenario: Scenario, failed: list[Expectation], platforms: dict[str, str]) -> list[PlatformGroup]:
    groups: list[PlatformGroup] = []
    seq = 1
    for platform in sorted({platforms[e.target_id] for e in failed}, key=_platform_rank):
        rows = _rows(scenario, [e for e in failed if platforms[e.target_id] == platform], seq)
        groups.append(PlatformGroup(platform=platform, rows=rows))
        seq += len(rows)
    return groups
