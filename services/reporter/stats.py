"""The numbers of a quarterly notice, computed from plain values (pure: no database, no broker).

Everything a notice prints that comes from data is computed here: counts at the monitoring point, pass rates under
one rounding rule, last quarter's rectification, the attachment tables in administrative order and the problems
found, grouped the way the notices group them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.clock import CHINA_TZ
from shared.events import IndicatorStatus, Outcome, Period, Target, TargetType, Unit, Verdict
from shared.sampling import checked_in, describe

Rounding = Literal["half_up", "truncate"]

# The order platforms are listed in 附件2; any other platform follows, by name.
PLATFORM_ORDER = ("微信公众号", "微博", "抖音", "快手", "今日头条", "头条号", "百家号", "视频号", "客户端")
UNKNOWN_RANK = 1_000_000


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseRecord(Frozen):
    """A rectification case as the reporter projects it from CASES."""

    case_id: str
    target_id: str
    period_id: str
    indicator_id: str = ""
    opened: bool = False
    resolved: bool = False


class Tally(Frozen):
    running: int = Field(description="registered on or before the monitoring point and not closed before it")
    unqualified: int
    insufficient: int = Field(description="verdict 数据不足: neither passed nor failed, never counted as unqualified")
    unassessed: int = Field(description="running but no verdict for the period yet")
    pass_rate: Decimal | None = Field(description="(checked − unqualified) / checked × 100, two decimals")
    checked: int | None = Field(
        default=None,
        description="spot check (抽查): running targets in the sample, which the other counts and the rate are of; "
        "None when the type is checked in full",
    )

    @property
    def without_conclusion(self) -> int:
        return self.insufficient + self.unassessed


class AccountTally(Tally):
    newly_registered: int = Field(description="新增登记: registered within the period's window")


class TypeCounts(Frozen):
    websites: int = 0
    columns: int = 0
    accounts: int = 0

    @property
    def total(self) -> int:
        return self.websites + self.columns + self.accounts


class Rectification(Frozen):
    """上季度通报问题整改情况: targets with cases opened last quarter, and those with every case resolved."""

    period_id: str
    known: bool = Field(description="the previous period is in the registry or has cases")
    found: TypeCounts
    rectified: TypeCounts


class InteractionTally(Frozen):
    """网民留言办理情况 (（四）): the running websites' message boards (开设网民留言平台), the messages asked within the
    window (接到网民留言) and the replies overdue among them (逾期答复), as the evaluator summed them per website."""

    platforms: int
    messages: int
    overdue: int


class ListedTarget(Frozen):
    serial: int
    target_id: str
    county: str
    name: str
    problems: list[str]


class PlatformGroup(Frozen):
    platform: str
    rows: list[ListedTarget]


class Example(Frozen):
    target_type: TargetType
    name: str
    platform: str = ""
    site_name: str = ""


class ProblemCategory(Frozen):
    key: str
    labels: list[str]
    examples: list[Example]


class NoticeNumbers(Frozen):
    period_id: str
    year: int
    quarter: int
    mode: Literal["census", "spot_check"]
    sampling: str = Field(default="", description="spot check: how the sample was drawn, in the document's words")
    window_start: date
    monitoring_date: date
    rounding: Rounding
    websites: Tally
    columns: Tally
    accounts: AccountTally
    all_columns_are_disclosure: bool = Field(description="every column is a 信息公开专栏: the notice names them so")
    previous: Rectification
    website_rows: list[ListedTarget]
    account_groups: list[PlatformGroup]
    website_problems: list[ProblemCategory]
    account_problems: list[ProblemCategory]
    interaction: InteractionTally | None = None


# --- periods and rates ------------------------------------------------------------------------------------------


def split_period(period_id: str) -> tuple[int, int]:
    year, quarter = period_id.split("Q")
    return int(year), int(quarter)


def previous_period_id(period_id: str) -> str:
    year, quarter = split_period(period_id)
    return f"{year - 1}Q4" if quarter == 1 else f"{year}Q{quarter - 1}"


def china_day(period: Period, which: Literal["start", "point"]) -> date:
    at = period.window_start if which == "start" else period.monitoring_point
    return at.astimezone(CHINA_TZ).date()


def pass_rate(running: int, unqualified: int, rounding: Rounding) -> Decimal | None:
    """Exact integer arithmetic, then one rounding: 8/9 → 88.89 (half_up) or 88.88 (truncate)."""
    if running <= 0:
        return None
    hundredths, remainder = divmod((running - unqualified) * 10_000, running)
    if rounding == "half_up" and 2 * remainder >= running:
        hundredths += 1
    return Decimal(hundredths).scaleb(-2)


# --- ordering ---------------------------------------------------------------------------------------------------


class Ordering:
    """Counties in administrative order (the lowest unit.order of their units), then units, then names."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self.unit_rank: dict[str, int] = {}
        self.county_rank: dict[str, int] = {}
        for unit in units:
            self.unit_rank[unit.unit_id] = unit.order
            self.county_rank[unit.county] = min(unit.order, self.county_rank.get(unit.county, UNKNOWN_RANK))

    def key(self, target: Target) -> tuple[int, str, int, str, str]:
        return (
            self.county_rank.get(target.county, UNKNOWN_RANK),
            target.county,
            self.unit_rank.get(target.unit_id, UNKNOWN_RANK),
            target.name,
            target.target_id,
        )


def platform_key(platform: str) -> tuple[int, str]:
    return (PLATFORM_ORDER.index(platform) if platform in PLATFORM_ORDER else len(PLATFORM_ORDER), platform)


# --- tallies ----------------------------------------------------------------------------------------------------


def tally(
    targets: Sequence[Target],
    verdicts: Mapping[str, Verdict | Outcome],
    rounding: Rounding,
    sample: Set[str] | None = None,
) -> Tally:
    """Counts of running ``targets``; with a spot check's ``sample``, every count but ``running`` is of the sample.

    ``verdicts`` maps a target to its verdict of the period, or to just that verdict's outcome. An unsampled target
    is not known to pass, so the rate is of the sample, not of all running targets.
    """
    assessed = list(targets) if sample is None else [t for t in targets if t.target_id in sample]
    found = [verdicts.get(t.target_id) for t in assessed]
    outcomes = [v.outcome if isinstance(v, Verdict) else v for v in found]
    unqualified = outcomes.count(Outcome.unqualified)
    return Tally(
        running=len(targets),
        unqualified=unqualified,
        insufficient=outcomes.count(Outcome.insufficient),
        unassessed=outcomes.count(None),
        pass_rate=pass_rate(len(assessed), unqualified, rounding),
        checked=None if sample is None else len(assessed),
    )


def rectification(
    period_id: str, known: bool, cases: Iterable[CaseRecord], targets: dict[str, Target]
) -> Rectification:
    open_by_target: dict[str, bool] = {}
    for case in cases:
        if case.period_id == period_id and case.target_id in targets:
            still_open = open_by_target.get(case.target_id, False) or not case.resolved
            open_by_target[case.target_id] = still_open
    found = {kind: 0 for kind in TargetType}
    rectified = {kind: 0 for kind in TargetType}
    for target_id, still_open in open_by_target.items():
        kind = targets[target_id].type
        found[kind] += 1
        rectified[kind] += 0 if still_open else 1
    return Rectification(
        period_id=period_id,
        known=known or bool(open_by_target),
        found=TypeCounts(
            websites=found[TargetType.website], columns=found[TargetType.column], accounts=found[TargetType.account]
        ),
        rectified=TypeCounts(
            websites=rectified[TargetType.website],
            columns=rectified[TargetType.column],
            accounts=rectified[TargetType.account],
        ),
    )


# --- problems ---------------------------------------------------------------------------------------------------


def failed_labels(verdict: Verdict) -> list[tuple[str, str]]:
    """(indicator id, label) of every failed indicator, in the verdict's order."""
    return [(r.indicator_id, r.label or r.name) for r in verdict.indicators if r.status is IndicatorStatus.failed]


def problem_labels(verdict: Verdict) -> list[str]:
    labels = dict.fromkeys(label for _, label in failed_labels(verdict))
    return list(labels) or ["不合格"]


WEBSITE_CATEGORY = {"W-V1": "security", "W-V2": "availability", "W-V3": "updates", "W-V4": "updates"}
WEBSITE_CATEGORY |= {"W-V5": "interaction", "W-V6": "services"}
WEBSITE_CATEGORY_ORDER = ("security", "availability", "updates", "columns", "interaction", "services", "other")
ACCOUNT_CATEGORY = {"N-V1": "security", "N-V2": "stale", "N-V3": "interaction"}
ACCOUNT_CATEGORY_ORDER = ("zombie", "stale", "interaction", "security", "other")


def category_of(target: Target, indicator_id: str, label: str) -> str:
    if target.type is TargetType.column:
        return "columns"
    if target.type is TargetType.website:
        return WEBSITE_CATEGORY.get(indicator_id, "other")
    if "注销" in label:  # 僵尸账号: should have been deregistered (未及时注销)
        return "zombie"
    return ACCOUNT_CATEGORY.get(indicator_id, "other")


def example_of(target: Target, targets: dict[str, Target]) -> Example:
    site = targets.get(target.site_id or "")
    return Example(
        target_type=target.type, name=target.name, platform=target.platform, site_name=site.name if site else ""
    )


def categorize(
    unqualified: Sequence[tuple[Target, Verdict]], targets: dict[str, Target], order: Sequence[str], examples: int
) -> list[ProblemCategory]:
    labels: dict[str, dict[str, None]] = {key: {} for key in order}
    found: dict[str, dict[str, Example]] = {key: {} for key in order}
    for target, verdict in unqualified:
        for indicator_id, label in failed_labels(verdict) or [("", "不合格")]:
            key = category_of(target, indicator_id, label)
            labels[key][label] = None
            if len(found[key]) < examples:
                found[key].setdefault(target.target_id, example_of(target, targets))
    return [
        ProblemCategory(key=key, labels=list(labels[key]), examples=list(found[key].values()))
        for key in order
        if labels[key]
    ]


# --- the notice's numbers ---------------------------------------------------------------------------------------


COUNTED_TYPES = frozenset({TargetType.website, TargetType.column, TargetType.account})


def compute_numbers(
    period: Period,
    targets: Iterable[Target],
    units: Iterable[Unit],
    verdicts: Iterable[Verdict],
    cases: Iterable[CaseRecord] = (),
    *,
    rounding: Rounding = "half_up",
    previous_known: bool = False,
    examples_per_problem: int = 1,
) -> NoticeNumbers:
    """Everything the notice of ``period`` prints from data. ``verdicts`` are the latest of the period per target."""
    ordering = Ordering(units)
    # The notice counts websites, columns and accounts; message boards and guide sources are parts of websites.
    by_id = {t.target_id: t for t in targets if t.type in COUNTED_TYPES}
    latest = {v.target_id: v for v in verdicts if v.period_id == period.period_id}
    start, point = china_day(period, "start"), china_day(period, "point")
    running = sorted((t for t in by_id.values() if t.is_running_at(point)), key=ordering.key)
    of_type = {kind: [t for t in running if t.type is kind] for kind in TargetType}
    # A spot check counts its sample (drawn as the registry draws it, shared/sampling.py) for the sampled types.
    checked = {t.target_id for t in checked_in(period, list(by_id.values()))}
    samples = {kind: _sample_of(period, kind, checked) for kind in TargetType}
    accounts = of_type[TargetType.account]
    account_tally = tally(accounts, latest, rounding, samples[TargetType.account])
    failed = [
        (t, latest[t.target_id]) for t in running if t.target_id in checked and _unqualified(latest.get(t.target_id))
    ]
    failed_sites = [(t, v) for t, v in failed if t.type is not TargetType.account]
    failed_accounts = [(t, v) for t, v in failed if t.type is TargetType.account]
    year, quarter = split_period(period.period_id)
    return NoticeNumbers(
        period_id=period.period_id,
        year=year,
        quarter=quarter,
        mode=period.mode,
        window_start=start,
        monitoring_date=point,
        rounding=rounding,
        sampling=describe(period.sampling) if period.sampling else "",
        websites=tally(of_type[TargetType.website], latest, rounding, samples[TargetType.website]),
        columns=tally(of_type[TargetType.column], latest, rounding, samples[TargetType.column]),
        accounts=AccountTally(
            **account_tally.model_dump(), newly_registered=sum(start <= t.registered_on <= point for t in accounts)
        ),
        all_columns_are_disclosure=all(t.column_type in ("", "信息公开专栏") for t in of_type[TargetType.column]),
        previous=rectification(previous_period_id(period.period_id), previous_known, cases, by_id),
        website_rows=_numbered([(t, v) for t, v in failed if t.type is TargetType.website]),
        account_groups=_grouped(failed_accounts),
        website_problems=categorize(failed_sites, by_id, WEBSITE_CATEGORY_ORDER, examples_per_problem),
        account_problems=categorize(failed_accounts, by_id, ACCOUNT_CATEGORY_ORDER, examples_per_problem),
        interaction=interaction_tally(period, of_type[TargetType.website], latest, checked),
    )


# --- rates by county and by platform ----------------------------------------------------------------------------


class CountyRates(Frozen):
    county: str
    websites: Tally
    columns: Tally
    accounts: Tally


class PlatformRates(Frozen):
    platform: str
    accounts: Tally


class Breakdown(Frozen):
    """A period's pass rates by county (administrative order) and by platform, counted as the notice counts them:
    the running targets at the monitoring point, a spot check's sample for its sampled types, one rounding rule."""

    period_id: str
    mode: Literal["census", "spot_check"]
    rounding: Rounding
    websites: Tally
    columns: Tally
    accounts: Tally
    counties: list[CountyRates]
    platforms: list[PlatformRates]


def compute_breakdown(
    period: Period,
    targets: Iterable[Target],
    units: Iterable[Unit],
    outcomes: Mapping[str, Outcome],
    *,
    rounding: Rounding = "half_up",
) -> Breakdown:
    """``outcomes``: each target's outcome in the period's latest verdict. The totals equal ``compute_numbers``'s; a
    county or platform is listed when it has a running target."""
    running, samples = _assessed(period, targets, Ordering(units))

    def rates(group: Sequence[Target], kind: TargetType) -> Tally:
        return tally([t for t in group if t.type is kind], outcomes, rounding, samples[kind])

    counties: dict[str, list[Target]] = {}  # running is in administrative order: so are the counties
    platforms: dict[str, list[Target]] = {}
    for target in running:
        counties.setdefault(target.county, []).append(target)
        if target.type is TargetType.account:
            platforms.setdefault(target.platform, []).append(target)
    return Breakdown(
        period_id=period.period_id,
        mode=period.mode,
        rounding=rounding,
        websites=rates(running, TargetType.website),
        columns=rates(running, TargetType.column),
        accounts=rates(running, TargetType.account),
        counties=[
            CountyRates(
                county=county,
                websites=rates(group, TargetType.website),
                columns=rates(group, TargetType.column),
                accounts=rates(group, TargetType.account),
            )
            for county, group in counties.items()
        ],
        platforms=[
            PlatformRates(platform=platform or "其他", accounts=rates(platforms[platform], TargetType.account))
            for platform in sorted(platforms, key=lambda p: (p == "", platform_key(p)))
        ],
    )


def _assessed(
    period: Period, targets: Iterable[Target], ordering: Ordering
) -> tuple[list[Target], dict[TargetType, Set[str] | None]]:
    """The running counted targets at the monitoring point (administrative order) and per type the spot check's
    sample (None: checked in full), as ``compute_numbers`` takes them."""
    by_id = {t.target_id: t for t in targets if t.type in COUNTED_TYPES}
    point = china_day(period, "point")
    running = sorted((t for t in by_id.values() if t.is_running_at(point)), key=ordering.key)
    checked = {t.target_id for t in checked_in(period, list(by_id.values()))}
    return running, {kind: _sample_of(period, kind, checked) for kind in TargetType}


def interaction_tally(
    period: Period, websites: Sequence[Target], verdicts: dict[str, Verdict], checked: Set[str]
) -> InteractionTally | None:
    """（四）: the summaries on the running, checked websites' verdicts added up. None when the period does not check
    interaction, or when no verdict carries a summary (no board was read): the notice then leaves （四） out."""
    if period.scope is not None and "interaction" not in period.scope:
        return None
    found = [
        v.interaction
        for t in websites
        if t.target_id in checked and (v := verdicts.get(t.target_id)) is not None and v.interaction is not None
    ]
    if not found:
        return None
    return InteractionTally(
        platforms=sum(s.boards for s in found),
        messages=sum(s.messages for s in found),
        overdue=sum(s.overdue for s in found),
    )


def _sample_of(period: Period, kind: TargetType, checked: Set[str]) -> Set[str] | None:
    """The checked ids when ``kind`` is sampled this period; None when it is checked in full."""
    sampled = period.sampling is not None and period.sampling.rule_for(kind) is not None
    return checked if sampled else None


def _unqualified(verdict: Verdict | None) -> bool:
    return verdict is not None and verdict.outcome is Outcome.unqualified


def _numbered(rows: Sequence[tuple[Target, Verdict]], first: int = 1) -> list[ListedTarget]:
    return [
        ListedTarget(serial=first + i, target_id=t.target_id, county=t.county, name=t.name, problems=problem_labels(v))
        for i, (t, v) in enumerate(rows)
    ]


def _grouped(rows: Sequence[tuple[Target, Verdict]]) -> list[PlatformGroup]:
    """附件2: one sub-heading per platform, numbering continuous across them; rows keep administrative order."""
    platforms = sorted({t.platform for t, _ in rows}, key=platform_key)
    groups: list[PlatformGroup] = []
    serial = 1
    for platform in platforms:
        listed = _numbered([(t, v) for t, v in rows if t.platform == platform], serial)
        groups.append(PlatformGroup(platform=platform or "其他", rows=listed))
        serial += len(listed)
    return groups
