"""How often each target is checked, as data, and the per-host spreading of the real-time probe plan.

Pure: no I/O, no clock. A cadence says how many visits a day, on which days (daily, weekly) and in which hours of
the Beijing day. The default table follows the national indicators (国办秘函〔2019〕19号): a site is opened at least
20 times a day, spaced out with jitter (W-V2); homepages, columns, message boards and new media are read daily;
links and service guides weekly. Settings may change the table per target type and a target's profile may override
one kind (``cadence.<kind>``).

Every instant comes from a hash, never from a random generator, so a restarted or second scheduler plans the very
same visits. A visit's identity is its *nominal* instant (what the cadence alone gives); politeness towards a host may
only push the instant it is sent later, so a plan that shifts when targets change keeps the same probe ids and
JetStream drops a second publish of the same visit.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.clock import CHINA_TZ
from shared.events import CheckKind, Target, TargetType

from .schedule import monitored_on

DAY_S = 86_400
# W-V2: a site is monitored with at least 20 spaced visits a day.
MIN_AVAILABILITY_VISITS = 20
PROFILE_PREFIX = "cadence."


class Kind(StrEnum):
    """Every check the registry can plan; only some are probe kinds the prober implements (``CheckKind``)."""

    availability = "availability"  # 站点可访问 (W-V2)
    homepage = "homepage"  # 首页更新 (W-V3)
    columns = "columns"  # 栏目更新 (W-V4)
    newmedia = "newmedia"  # 政务新媒体更新 (N-V2)
    links = "links"  # 链接可用性
    interaction = "interaction"  # 互动回应（留言办理时限）
    service_guides = "service_guides"  # 办事指南要素
    content = "content"  # 内容正确性（错别字、严重表述错误）
    site_basics = "site_basics"  # 网站标识码、ICP备案、党政机关标识

    @property
    def check_kind(self) -> CheckKind | None:
        """The probe kind to request, or None while the prober does not implement this check."""
        try:
            return CheckKind(self.value)
        except ValueError:
            return None


# The kinds the prober observes (services/prober/observers): scheduled unless ENABLED_KINDS says otherwise.
IMPLEMENTED_KINDS: tuple[Kind, ...] = (
    Kind.availability,
    Kind.homepage,
    Kind.columns,
    Kind.newmedia,
    Kind.site_basics,
    Kind.interaction,
    Kind.service_guides,
    Kind.content,
    Kind.links,
)


class Cadence(BaseModel):
    """When one kind of check runs: ``per_day`` visits in [start_hour, end_hour) every ``every_days`` days.

    The window is cut into ``per_day`` equal gaps and each visit falls inside its own gap, moved by up to
    ``jitter`` × gap around the gap's middle: spaced, yet not on a fixed grid a site could game. With one visit
    a day and jitter 1 the visit may fall anywhere in the window.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    per_day: int = Field(default=1, ge=1, le=1440)
    every_days: int = Field(default=1, ge=1, le=366, description="1 daily, 7 weekly")
    start_hour: float = Field(default=8, ge=0, lt=24, description="Beijing time")
    end_hour: float = Field(default=18, gt=0, le=24, description="Beijing time")
    jitter: float = Field(default=1.0, ge=0, le=1, description="fraction of a gap a visit may move")

    @model_validator(mode="after")
    def _window_is_not_empty(self) -> Cadence:
        if self.end_hour <= self.start_hour:
            raise ValueError("end_hour must be after start_hour")
        return self

    def runs_on(self, key: str, day: date) -> bool:
        # A weekly check falls on a weekday that differs per target, so a host is not checked all on one day.
        offset = int(_fraction(key, "day") * self.every_days)
        return (day.toordinal() - offset) % self.every_days == 0

    def instants(self, key: str, day: date) -> list[datetime]:
        """The nominal instants of ``key`` (target and kind) on one Beijing day."""
        if not self.runs_on(key, day):
            return []
        start = datetime.combine(day, time(0), CHINA_TZ) + timedelta(hours=self.start_hour)
        gap = (self.end_hour - self.start_hour) * 3600 / self.per_day
        return [
            start + timedelta(seconds=int(gap * (i + 0.5 + self.jitter * (_fraction(key, day, i) - 0.5))))
            for i in range(self.per_day)
        ]


DAILY = Cadence()
WEEKLY = Cadence(every_days=7)
SPACED_AVAILABILITY = Cadence(per_day=MIN_AVAILABILITY_VISITS, start_hour=0, end_hour=24, jitter=0.6)

CadenceMap = dict[Kind, Cadence]


class Cadences(BaseModel):
    """The cadence table per target type (the registry setting ``cadences``).

    Replacing a type replaces its whole map, e.g. ``CADENCES='{"column": {"columns": {"per_day": 2}}}'``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    website: CadenceMap = Field(
        default_factory=lambda: {
            Kind.availability: SPACED_AVAILABILITY,
            Kind.homepage: DAILY,
            Kind.links: WEEKLY,
            Kind.content: WEEKLY,
            Kind.site_basics: WEEKLY,
        }
    )
    column: CadenceMap = Field(default_factory=lambda: {Kind.columns: DAILY})
    account: CadenceMap = Field(default_factory=lambda: {Kind.newmedia: DAILY, Kind.content: WEEKLY})
    message_board: CadenceMap = Field(default_factory=lambda: {Kind.interaction: DAILY})
    service_guide: CadenceMap = Field(default_factory=lambda: {Kind.service_guides: WEEKLY})

    @model_validator(mode="after")
    def _availability_meets_the_national_rule(self) -> Cadences:
        for target_type in TargetType:
            cadence = self.for_type(target_type).get(Kind.availability)
            if cadence is not None and not meets_national_rule(Kind.availability, cadence):
                raise ValueError(f"{target_type}: availability needs >= {MIN_AVAILABILITY_VISITS} visits every day")
        return self

    def for_type(self, target_type: TargetType) -> CadenceMap:
        found: CadenceMap = getattr(self, target_type.value)
        return found


def meets_national_rule(kind: Kind, cadence: Cadence) -> bool:
    if kind is not Kind.availability:
        return True
    return cadence.per_day >= MIN_AVAILABILITY_VISITS and cadence.every_days == 1


# --- per-target overrides ---------------------------------------------------------------------------------------

_SHORTHANDS: dict[str, dict[str, int]] = {"daily": {"every_days": 1}, "weekly": {"every_days": 7}}


def _override(kind: Kind, base: Cadence | None, raw: str) -> Cadence | None:
    """Apply one ``cadence.<kind>`` profile value: "off", "daily", "weekly" or a JSON object of Cadence fields.

    Raises ValueError (in Chinese, for the office that wrote it) when the value is not valid.
    """
    text = raw.strip()
    if text.lower() == "off":
        return None
    if text.lower() in _SHORTHANDS:
        fields: object = _SHORTHANDS[text.lower()]
    else:
        try:
            fields = json.loads(text)
        except json.JSONDecodeError:
            fields = None
    if not isinstance(fields, dict):
        raise ValueError(f"监测频次“{raw}”无法识别，应为 off、daily、weekly 或 JSON 对象")
    try:
        cadence = Cadence.model_validate({**(base or DAILY).model_dump(), **fields})
    except ValidationError as exc:
        raise ValueError(f"监测频次“{raw}”不合法：{exc.errors()[0]['msg']}") from exc
    if not meets_national_rule(kind, cadence):
        raise ValueError(f"站点可访问性每天监测不少于{MIN_AVAILABILITY_VISITS}次（国办秘函〔2019〕19号）")
    return cadence


def _profile_overrides(target: Target) -> Iterable[tuple[str, str]]:
    for key, value in target.profile.items():
        if key.startswith(PROFILE_PREFIX):
            yield key.removeprefix(PROFILE_PREFIX), value


def override_problems(target: Target) -> list[str]:
    """Why a target's cadence overrides are not valid, in Chinese; an import can reject the row with these."""
    problems = []
    for name, raw in _profile_overrides(target):
        if name not in Kind.__members__:
            problems.append(f"未知的监测类型“{name}”")
            continue
        kind = Kind(name)
        try:
            _override(kind, None, raw)
        except ValueError as exc:
            problems.append(str(exc))
    return problems


def cadences_for(target: Target, table: Cadences, enabled: Collection[Kind]) -> CadenceMap:
    """The cadence of every enabled kind for this target: its type's table, then its profile's overrides.

    An override that is not valid is ignored (``override_problems`` reports it), so one bad cell never stops
    a target from being checked on its type's cadence.
    """
    found = dict(table.for_type(target.type))
    for name, raw in _profile_overrides(target):
        if name not in Kind.__members__:
            continue
        kind = Kind(name)
        try:
            cadence = _override(kind, found.get(kind), raw)
        except ValueError:
            continue
        if cadence is None:
            found.pop(kind, None)
        else:
            found[kind] = cadence
    return {kind: cadence for kind, cadence in found.items() if kind in enabled}


# --- the plan ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Visit:
    """One probe of the real-time plan. ``at`` is when it is sent, ``nominal`` what identifies it."""

    at: datetime
    target_id: str
    kind: Kind
    nominal: datetime
    target: Target = field(compare=False)
    host: str = field(compare=False)


def host_of(target: Target) -> str:
    """The host a target's probes land on; a target without one is a host of its own."""
    netloc = urlsplit(target.url).netloc.lower()
    return netloc or f"target:{target.target_id}"


def plan_day(
    targets: Iterable[Target],
    day: date,
    table: Cadences,
    enabled: Collection[Kind],
    host_gap_s: float,
    host_gaps_s: Mapping[str, float] | None = None,
) -> list[Visit]:
    """Every visit whose nominal instant falls on one Beijing day, spread per host, in send order.

    Only targets monitored that day (registered, not closed, still existing) are planned. Visits to the same host
    are at least ``host_gap_s`` apart, unless the host has so many visits that they would not fit in a day; then
    they are spread evenly. ``host_gaps_s`` sets the gap of particular hosts (a platform serving many accounts
    may take more than one visit a minute). Spreading only ever delays a visit, possibly past midnight.
    """
    by_host: dict[str, list[Visit]] = defaultdict(list)
    for target in targets:
        if not monitored_on(target, day):
            continue
        host = host_of(target)
        for kind, cadence in cadences_for(target, table, enabled).items():
            for nominal in cadence.instants(f"{target.target_id}|{kind.value}", day):
                by_host[host].append(Visit(nominal, target.target_id, kind, nominal, target, host))
    gaps = host_gaps_s or {}
    plan = [visit for host, visits in by_host.items() for visit in spread(visits, gaps.get(host, host_gap_s))]
    plan.sort()
    return plan


def spread(visits: list[Visit], gap_s: float) -> list[Visit]:
    """Delay visits of one host so that consecutive ones are at least ``gap_s`` apart (or evenly, when crowded)."""
    if not visits:
        return []
    gap = timedelta(seconds=min(gap_s, DAY_S / len(visits)))
    ordered = sorted(visits, key=lambda v: (v.nominal, v.target_id, v.kind.value))
    result: list[Visit] = []
    for visit in ordered:
        at = visit.nominal if not result else max(visit.nominal, result[-1].at + gap)
        result.append(Visit(at, visit.target_id, visit.kind, visit.nominal, visit.target, visit.host))
    return result


def days_touching(start: datetime, end: datetime) -> list[date]:
    """The days whose visits may be sent in (start, end]: a day's last visits may be pushed past its midnight."""
    first = start.astimezone(CHINA_TZ).date() - timedelta(days=1)
    last = end.astimezone(CHINA_TZ).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def visits_between(
    targets: list[Target],
    start: datetime,
    end: datetime,
    table: Cadences,
    enabled: Collection[Kind],
    host_gap_s: float,
    host_gaps_s: Mapping[str, float] | None = None,
) -> list[Visit]:
    """Visits sent in (start, end], in send order: consecutive windows cover every visit exactly once."""
    return [
        visit
        for day in days_touching(start, end)
        for visit in plan_day(targets, day, table, enabled, host_gap_s, host_gaps_s)
        if start < visit.at <= end
    ]


class SchedulingSettings(BaseModel):
    """The real-time scheduler's settings; ``RegistrySettings`` inherits them (env names are the field names)."""

    # Production probes on the wall clock; the demo runs accelerated rounds instead, so this is off by default.
    schedule_realtime: bool = False
    # How often the scheduler publishes what fell due, in seconds: probes go out at most this late.
    schedule_tick_s: float = Field(default=30.0, gt=0)
    # A leader that has not renewed its lease for this long is replaced (seconds; a few ticks).
    schedule_lease_ttl_s: float = Field(default=120.0, gt=0)
    schedule_lease_bucket: str = "xunjian_leases"
    # Two probes to the same host (URL netloc) are at least this many seconds apart.
    schedule_host_gap_s: float = Field(default=60.0, ge=0)
    # Per-host exceptions (netloc → seconds), e.g. {"mp.weixin.qq.com": 5} for a platform serving many accounts.
    schedule_host_gaps_s: dict[str, float] = Field(default_factory=dict)
    # After a long outage, visits older than this are skipped rather than sent in one burst (seconds).
    schedule_max_catchup_s: float = Field(default=86_400.0, gt=0)
    # The checks that are planned; others stay in the table until the prober implements them.
    enabled_kinds: list[Kind] = Field(default_factory=lambda: list(IMPLEMENTED_KINDS))
    cadences: Cadences = Field(default_factory=Cadences)

    @model_validator(mode="after")
    def _lease_outlives_a_tick(self) -> SchedulingSettings:
        if self.schedule_lease_ttl_s < 2 * self.schedule_tick_s:
            raise ValueError("schedule_lease_ttl_s must be at least two ticks, or the leader loses its lease")
        return self


def period_of(at: datetime) -> str:
    """The calendar quarter of an instant in Beijing, as a period id (2026Q4)."""
    local = at.astimezone(CHINA_TZ)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def round_of(at: datetime) -> str:
    """The correlation id of the real-time round of a Beijing day (rt-2026-11-27)."""
    return f"rt-{at.astimezone(CHINA_TZ).date().isoformat()}"


def _fraction(*parts: object) -> float:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
