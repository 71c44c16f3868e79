"""The answer key: what the system must conclude about a scenario at its monitoring point.

Computed from the scenario alone, independently of the services (nothing from ``services`` is imported), so an
end-to-end run can be checked against it. The rules are the national veto indicators (国办秘函〔2019〕19号) as the
notices word them:

- website 不合格 if its availability failure share over the worst 7-day window is at least 5 % (站点无法访问), or its
  homepage's newest item is more than 14 days old (首页长期不更新);
- column 不合格 if it is empty (空白栏目), or its newest item is older than its update period (栏目长期不更新);
- account 不合格 if its newest post is more than 14 days old (内容长期不更新), and also if that post is a 停更公告
  more than 30 days old while the account still exists (未及时注销, the 僵尸账号 of the notices);
- website 不合格 if the period checks interaction (W-V5) and a message of its board asked in the year before the
  monitoring point was not answered within 3 months (a last day on a holiday moves to the next working day), or was
  answered after them (留言未及时办理). A website without a board is 数据不足 when the period's scope names
  ``interaction`` (the system has no board to read); without a scope the truth leaves W-V5 aside for such a site,
  as it leaves aside the other rules the simulator cannot exhibit.

网民留言办理情况 (the notice's （四）, when the period checks interaction): the boards of the running (and checked)
websites, the messages asked within the window, and of those the replies overdue against the board's promised
``reply_days`` working days (answered later, or unanswered past it at the monitoring point). Working days are the
published national calendar (shared.workdays).

Last quarter (``scenario.previous``): a listed problem counts as found (问题网站/问题专栏/不合格政务新媒体) when its
target ran at the previous monitoring point, was checked in that period, and its previous states fail; as rectified
when it is also ``rectified`` (the unit reports it and the re-check passes; simulator.phases keeps an unrectified one
broken until the current window opens). Every other target is healthy in the previous period.

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
from shared.workdays import NATIONAL, add_months
from simulator.messages import BoardMessage, board_messages
from simulator.scenario import AccountState, Availability, ColumnState, PeriodSpec, Scenario, WebsiteSpec, WebsiteState

MAX_HOMEPAGE_STALE_DAYS = 14  # 首页 2 周无更新: 14 days passes, 15 fails
MAX_ACCOUNT_STALE_DAYS = 14  # 监测时间点前 2 周内无更新: 14 days passes, 15 fails
MAX_CLOSURE_DAYS = 30  # an account must be closed within 30 days of its 停更公告: 30 passes, 31 fails (local rule)
FAIL_SHARE = Fraction(5, 100)  # 「超过（含）」: exactly 5 % of visits failed is already a veto
WINDOW_DAYS = 7  # availability is judged over one week
VISIT_TIMEOUT_S = 15.0  # a visit not opened after 15 s fails: a slow answer of 15 s or more is a failed visit

LABEL_UNREACHABLE = "站点无法访问"
LABEL_HOMEPAGE_STALE = "首页长期不更新"
LABEL_EMPTY_COLUMN = "空白栏目"
LABEL_COLUMN_STALE = "栏目长期不更新"
LABEL_ACCOUNT_STALE = "内容长期不更新"
LABEL_ZOMBIE = "未及时注销"
LABEL_MESSAGES_OVERDUE = "留言未及时办理"
REPLY_MONTHS = 3  # W-V5: 「超过3个月未答复」
LOOKBACK_MONTHS = 12  # W-V5: 「监测时间点前1年内」

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


class TypeCounts(_Frozen):
    websites: int = 0
    columns: int = 0
    accounts: int = 0


class PreviousNumbers(_Frozen):
    """上季度通报问题整改情况: the previous period's problem targets by type, and those rectified."""

    period_id: str
    found: TypeCounts
    rectified: TypeCounts


class ExpectedInteraction(_Frozen):
    """网民留言办理情况: boards, messages asked within the window, replies overdue among them."""

    platforms: int
    messages: int
    overdue: int


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
    previous: PreviousNumbers | None = None  # None: the scenario describes no previous period
    interaction: ExpectedInteraction | None = None  # None: the period does not check interaction, or has no board


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


def account_problems(stale_days: int, closure_notice: bool = False) -> list[str]:
    """内容长期不更新 when the newest post is more than 14 days old (14 passes, 15 fails); 未及时注销 besides when
    that post is a 停更公告 more than 30 days old (30 passes, 31 fails), in the evaluator's order of rules."""
    problems = [LABEL_ACCOUNT_STALE] if stale_days > MAX_ACCOUNT_STALE_DAYS else []
    if closure_notice and stale_days > MAX_CLOSURE_DAYS:
        problems.append(LABEL_ZOMBIE)
    return problems


def checks_interaction(period: PeriodSpec) -> bool:
    return period.scope is None or "interaction" in period.scope


def reply_limit_end(asked: date) -> date:
    """The last day of the 3-month limit; a last day on a holiday or rest day moves to the next working day."""
    return NATIONAL.next_working_day_on_or_after(add_months(asked, REPLY_MONTHS)).due


def answered_on_by(m: BoardMessage, point: date) -> date | None:
    """The answer's day, if it was given by the monitoring point's day."""
    return m.answered_on if m.answered_on is not None and m.answered_on <= point else None


def message_problems(messages: Iterable[BoardMessage], point: date) -> list[str]:
    """留言未及时办理 when a message of the look-back year was not answered within 3 months (or answered later)."""
    since = add_months(point, -LOOKBACK_MONTHS)
    for m in messages:
        if not since <= m.asked_on <= point:
            continue
        answered, end = answered_on_by(m, point), reply_limit_end(m.asked_on)
        if (answered is None and point > end) or (answered is not None and answered > end):
            return [LABEL_MESSAGES_OVERDUE]
    return []


def overdue_reply(m: BoardMessage, reply_days: int, point: date) -> bool:
    """Answered after ``reply_days`` working days, or unanswered past them at the monitoring point."""
    due = NATIONAL.add_working_days(m.asked_on, reply_days).due
    answered = answered_on_by(m, point)
    return answered > due if answered is not None else point > due


def _website_expectation(scenario: Scenario, w: WebsiteSpec) -> tuple[list[str], bool]:
    """The website's problems, and whether it lacks the data for a conclusion (no board under an interaction scope)."""
    period = scenario.period
    problems = website_problems(w.states.stale_days, w.states.availability)
    if not checks_interaction(period):
        return problems, False
    if w.board is None:
        return problems, period.scope is not None
    return problems + message_problems(board_messages(w, period), period.monitoring_point), False


def expected_outcomes(scenario: Scenario) -> dict[str, Expectation]:
    """Every target's expected outcome at the monitoring point, in scenario order."""
    point = scenario.period.monitoring_point
    counties = {u.id: u.county for u in scenario.units}
    out: dict[str, Expectation] = {}

    def put(
        tid: str, kind: TargetType, name: str, unit: str, running: bool, problems: list[str], unsure: bool = False
    ) -> None:
        passed = Outcome.insufficient if unsure else Outcome.qualified
        outcome = (Outcome.unqualified if problems else passed) if running else None
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
        problems, unsure = _website_expectation(scenario, w)
        put(w.id, TargetType.website, w.name, w.unit, running, problems, unsure)
    for c in scenario.columns:
        site = scenario.website(c.site)
        running = is_running(site.registered_on, site.closed_on, point)
        problems = column_problems(c.states.empty, c.states.stale_days, c.update_period_days)
        put(c.id, TargetType.column, c.name, scenario.column_unit(c), running, problems)
    for a in scenario.accounts:
        running = is_running(a.registered_on, a.closed_on, point)
        problems = account_problems(a.states.stale_days, a.states.closure_notice)
        put(a.id, TargetType.account, a.name, a.unit, running, problems)
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
    this_period = next(p for p in inventory.periods if p.period_id == period.id)
    checked = {t.target_id for t in checked_in(this_period, inventory.targets)}

    def failed(kind: TargetType) -> list[Expectation]:
        return [e for e in running(kind) if e.target_id in checked and e.outcome is Outcome.unqualified]

    def assessed(kind: TargetType) -> int:
        return sum(1 for e in running(kind) if e.target_id in checked)

    sites, columns, accounts = running(TargetType.website), running(TargetType.column), running(TargetType.account)
    board_sites = {w.id for w in scenario.websites if w.board is not None}
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
        previous=expected_previous(scenario),
        interaction=_interaction(scenario, {e.target_id for e in sites}, checked),
    )


def _interaction(scenario: Scenario, running_sites: set[str], checked: set[str]) -> ExpectedInteraction | None:
    """The boards of running, checked websites (the board itself checked too), and their window's messages."""
    period = scenario.period
    if not checks_interaction(period):
        return None
    boards = [
        w
        for w in scenario.websites
        if w.board is not None and w.id in running_sites and w.id in checked and w.board_id in checked
    ]
    if not boards:
        return None
    point = period.monitoring_point
    messages = overdue = 0
    for w in boards:
        assert w.board is not None
        for m in board_messages(w, period):
            if period.window_start <= m.asked_on <= point:
                messages += 1
                overdue += overdue_reply(m, w.board.reply_days, point)
    return ExpectedInteraction(platforms=len(boards), messages=messages, overdue=overdue)


def expected_previous(scenario: Scenario) -> PreviousNumbers | None:
    """Last quarter's problem targets (found) and those rectified, by type; None without a previous period."""
    previous = scenario.previous
    if previous is None:
        return None
    point = previous.period.monitoring_point
    inventory = scenario.to_inventory("http://127.0.0.1")
    period = next(p for p in inventory.periods if p.period_id == previous.period.id)
    checked = {t.target_id for t in checked_in(period, inventory.targets)}
    kinds = {t.target_id: t.type for t in inventory.targets}
    found = {kind: 0 for kind in TargetType}
    rectified = {kind: 0 for kind in TargetType}
    for problem in previous.problems:
        states = scenario.previous_states(problem)
        if problem.target not in checked or not _runs_at(scenario, problem.target, point):
            continue
        if not _problems_of(states, scenario, problem.target):
            continue
        kind = kinds[problem.target]
        found[kind] += 1
        rectified[kind] += 1 if problem.rectified else 0
    return PreviousNumbers(period_id=previous.period.id, found=_counts(found), rectified=_counts(rectified))


def _counts(by_kind: dict[TargetType, int]) -> TypeCounts:
    return TypeCounts(
        websites=by_kind[TargetType.website], columns=by_kind[TargetType.column], accounts=by_kind[TargetType.account]
    )


def _runs_at(scenario: Scenario, target_id: str, point: date) -> bool:
    for w in scenario.websites:
        if w.id == target_id:
            return is_running(w.registered_on, w.closed_on, point)
    for c in scenario.columns:
        if c.id == target_id:
            site = scenario.website(c.site)
            return is_running(site.registered_on, site.closed_on, point)
    a = next(a for a in scenario.accounts if a.id == target_id)
    return is_running(a.registered_on, a.closed_on, point)


def _problems_of(states: WebsiteState | ColumnState | AccountState, scenario: Scenario, target_id: str) -> list[str]:
    if isinstance(states, WebsiteState):
        return website_problems(states.stale_days, states.availability)
    if isinstance(states, ColumnState):
        column = next(c for c in scenario.columns if c.id == target_id)
        return column_problems(states.empty, states.stale_days, column.update_period_days)
    return account_problems(states.stale_days, states.closure_notice)


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
