"""The scenario file: a fictional prefecture's units, websites, columns and accounts, and how each one behaves.

Times are Beijing time (+08:00). The data-collection window runs from ``window_start`` 00:00:00 to the monitoring
point (监测时间点) ``monitoring_point`` 23:59:59. Every state is written relative to the monitoring point: ``stale_days:
15`` means the newest item is dated 15 calendar days before the monitoring point's date, whatever the sim time.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, model_validator

from shared.clock import CHINA_TZ
from shared.events import Inventory, Period, Target, TargetStatus, TargetType, Unit
from shared.sampling import Sampling

Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Mobile = Annotated[str, Field(pattern=r"^1\d{10}$")]
Text = Annotated[str, Field(min_length=1)]
Day = date  # a field named "date" would shadow the type inside NoticeSpec
DateStyle = Literal["iso", "slash", "chinese", "bracket", "month_day"]

# Synthetic homepage blocks live at /sites/{site}/{block}/: a column id may not take one of these names.
RESERVED_BLOCK_IDS = frozenset({"ttxw", "bmdt", "xqdt", "gzdt", "mtgz", "hdjl", "index"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Availability(_Strict):
    """Visits in the last ``last_days`` days before the monitoring point fail for ``failure_ratio`` of the time."""

    failure_ratio: float = Field(ge=0, le=1)
    last_days: int = Field(default=7, ge=1, le=366)
    mode: Literal["error", "slow", "reset"] = "error"
    slow_s: float = Field(default=3.0, ge=0, le=120, description="seconds a slow answer waits")


class Cadence(_Strict):
    """When items appear: the newest ``stale_days`` before the monitoring point, earlier ones every gap_days."""

    stale_days: int = Field(default=1, ge=-366, le=3650, description="negative: the newest item is after the point")
    gap_days: tuple[int, int] = Field(default=(1, 3), description="min and max days between earlier items")

    @model_validator(mode="after")
    def _gap_order(self) -> Cadence:
        low, high = self.gap_days
        if not 1 <= low <= high <= 366:
            raise ValueError(f"gap_days must be [min, max] with 1 <= min <= max <= 366, got [{low}, {high}]")
        return self


class WebsiteState(Cadence):
    availability: Availability | None = None


class ColumnState(Cadence):
    empty: StrictBool = False


class AccountState(Cadence):
    closure_notice: StrictBool = Field(
        default=False, description="the newest post (stale_days before the point) is a 停更公告: a zombie if it stays"
    )


class PeriodSpec(_Strict):
    id: str = Field(pattern=r"^\d{4}Q[1-4]$")
    window_start: date
    monitoring_point: date
    sampling: Sampling | None = Field(
        default=None, description="a spot check (抽查): the seeded sample; none: a census"
    )
    scope: list[str] | None = Field(default=None, description="the rules checked (shared.events.RULES); none: all")
    rule_set: str = Field(default="", description="the rule set: id or id@version; empty: the evaluator's default")

    @model_validator(mode="after")
    def _ordered(self) -> PeriodSpec:
        if self.window_start > self.monitoring_point:
            raise ValueError("window_start must not be after monitoring_point")
        return self

    @property
    def window_start_at(self) -> datetime:
        return datetime.combine(self.window_start, time(0, 0, 0), CHINA_TZ)

    @property
    def monitoring_point_at(self) -> datetime:
        return datetime.combine(self.monitoring_point, time(23, 59, 59), CHINA_TZ)


class NoticeSpec(_Strict):
    issuer: Text
    document_number: Text
    date: Day
    deadline: Day
    recipients: list[Text] = Field(default_factory=list, description="主送")
    cc: list[Text] = Field(default_factory=list, description="抄送")


class UnitSpec(_Strict):
    id: Id
    name: Text
    short_name: str = ""
    county: Text = Field(description="县（区）as printed in notices; the city's own units use 市直")
    order: int = Field(default=0, description="administrative order")
    parent: Id | None = None
    supervisor: Id | None = None
    emails: list[Email] = Field(default_factory=list)
    mobiles: list[Mobile] = Field(default_factory=list)


class MessageBoardSpec(_Strict):
    """A website's message board (互动交流 / 领导信箱), served at ``/sites/{site}/hdjl/``.

    Messages arrive ``per_week`` on average, evenly spread with a deterministic jitter, from 60 days before the window
    to the day before the monitoring point. Each is answered within ``reply_days`` working days (shared.workdays:
    holidays and 调休 count), except ``overdue`` messages asked within the window, answered 1–3 working days late,
    and ``unanswered_over_3_months`` messages asked more than 3 months before the monitoring point and never answered
    (W-V5 留言未及时办理).
    """

    name: Text = "领导信箱"
    reply_days: int = Field(default=5, ge=1, le=30, description="promised reply time (承诺答复时限), working days")
    per_week: float = Field(default=2.0, gt=0, le=50, description="messages asked per week, on average")
    overdue: int = Field(default=0, ge=0, le=50, description="window messages answered after reply_days")
    unanswered_over_3_months: int = Field(default=0, ge=0, le=10, description="old messages never answered")
    page_size: int = Field(default=20, ge=5, le=40, description="messages per list page")


class WebsiteSpec(_Strict):
    id: Id
    name: Text
    unit: Id
    type: Literal["门户", "部门"]
    site_code: str = Field(pattern=r"^[0-9A-Za-z]{10}$", description="网站标识码")
    encoding: Literal["utf-8", "gbk"] = "utf-8"
    date_style: DateStyle = "iso"
    layout: Literal["list", "table"] | None = Field(default=None, description="list pages; default by type")
    greeting: StrictBool = False
    has_message_board: StrictBool = Field(default=False, description="a message board with the default settings")
    message_board: MessageBoardSpec | None = Field(default=None, description="the site's message board, if any")
    icp: str = Field(default="", description="ICP备案号; default derived from site_code")
    police_record: str = Field(default="", description="公安机关备案号; default derived from site_code")
    registered_on: date
    closed_on: date | None = None
    states: WebsiteState = Field(default_factory=WebsiteState)

    @property
    def list_layout(self) -> Literal["list", "table"]:
        return self.layout or ("list" if self.type == "门户" else "table")

    @property
    def board(self) -> MessageBoardSpec | None:
        """The message board: ``message_board``, or the defaults when only ``has_message_board`` is set."""
        if self.message_board is not None:
            return self.message_board
        return MessageBoardSpec() if self.has_message_board else None

    @property
    def board_id(self) -> str:
        """The board's target id (a registry target of type message_board)."""
        return f"{self.id}-hdjl"


class ColumnSpec(_Strict):
    id: Id
    site: Id
    unit: Id | None = Field(default=None, description="the unit that runs the column; default: the site's unit")
    name: Text
    column_type: Text
    update_period_days: int = Field(ge=1, le=3650)
    states: ColumnState = Field(default_factory=ColumnState)


class AccountSpec(_Strict):
    id: Id
    name: Text
    platform: Text
    unit: Id
    registered_on: date
    closed_on: date | None = None
    states: AccountState = Field(default_factory=AccountState)


class PreviousProblem(_Strict):
    """A problem the previous period found on a target, and whether the unit put it right after that period."""

    target: Id
    states: dict[str, Any] = Field(
        description="the target's states in the previous period, anchored to its monitoring point; they replace "
        "(not merge with) the target's own states, fields not given taking their defaults"
    )
    rectified: StrictBool = Field(
        description="true: fixed right after the previous monitoring point (a re-check then passes); false: still "
        "as it was until the current window opens (a re-check in between fails)"
    )


class PreviousSpec(_Strict):
    """Last quarter (上季度): its period, and the problems it found (simulator.phases renders them)."""

    period: PeriodSpec
    problems: list[PreviousProblem] = Field(default_factory=list)


class Scenario(_Strict):
    name: Text
    city: Text
    period: PeriodSpec
    previous: PreviousSpec | None = Field(default=None, description="last quarter's period and problems")
    notice: NoticeSpec
    units: list[UnitSpec] = Field(min_length=1)
    websites: list[WebsiteSpec] = Field(default_factory=list)
    columns: list[ColumnSpec] = Field(default_factory=list)
    accounts: list[AccountSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        problems = reference_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def unit(self, unit_id: str) -> UnitSpec:
        return next(u for u in self.units if u.id == unit_id)

    def website(self, site_id: str) -> WebsiteSpec:
        return next(w for w in self.websites if w.id == site_id)

    def column_unit(self, column: ColumnSpec) -> str:
        return column.unit or self.website(column.site).unit

    def target_ids(self) -> list[str]:
        return [w.id for w in self.websites] + [c.id for c in self.columns] + [a.id for a in self.accounts]

    def state_model(self, target_id: str) -> type[WebsiteState] | type[ColumnState] | type[AccountState] | None:
        """The states type of a target (None for an unknown id)."""
        if any(w.id == target_id for w in self.websites):
            return WebsiteState
        if any(c.id == target_id for c in self.columns):
            return ColumnState
        return AccountState if any(a.id == target_id for a in self.accounts) else None

    def previous_states(self, problem: PreviousProblem) -> WebsiteState | ColumnState | AccountState:
        """A previous problem's states as its target's states type (validated with the scenario)."""
        model = self.state_model(problem.target)
        if model is None:
            raise KeyError(problem.target)
        return model.model_validate(problem.states)

    def to_inventory(self, base_url: str) -> Inventory:
        """Units, targets (URLs per the simulator's HTTP contract) and the periods: this one, then the previous."""
        base = base_url.rstrip("/")
        counties = {u.id: u.county for u in self.units}
        periods = [_period(self.period)] + ([_period(self.previous.period)] if self.previous else [])
        targets = [self._website_target(w, base, counties) for w in self.websites]
        targets += [self._board_target(w, base, counties) for w in self.websites if w.board is not None]
        targets += [self._column_target(c, base, counties) for c in self.columns]
        targets += [self._account_target(a, base, counties) for a in self.accounts]
        return Inventory(units=[_unit(u) for u in self.units], targets=targets, periods=periods)

    def _status(self, closed_on: date | None) -> TargetStatus:
        closed = closed_on is not None and closed_on <= self.period.monitoring_point
        return TargetStatus.closed if closed else TargetStatus.running

    def _website_target(self, w: WebsiteSpec, base: str, counties: dict[str, str]) -> Target:
        return Target(
            target_id=w.id,
            type=TargetType.website,
            name=w.name,
            url=f"{base}/sites/{w.id}/",
            unit_id=w.unit,
            county=counties[w.unit],
            site_code=w.site_code,
            has_message_board=w.board is not None,
            status=self._status(w.closed_on),
            registered_on=w.registered_on,
            closed_on=w.closed_on,
        )

    def _board_target(self, w: WebsiteSpec, base: str, counties: dict[str, str]) -> Target:
        board = w.board
        assert board is not None
        return Target(
            target_id=w.board_id,
            type=TargetType.message_board,
            name=f"{w.name}{board.name}",
            url=f"{base}/sites/{w.id}/hdjl/",
            unit_id=w.unit,
            county=counties[w.unit],
            site_id=w.id,
            site_code=w.site_code,
            reply_days=board.reply_days,
            status=self._status(w.closed_on),
            registered_on=w.registered_on,
            closed_on=w.closed_on,
        )

    def _column_target(self, c: ColumnSpec, base: str, counties: dict[str, str]) -> Target:
        site = self.website(c.site)
        unit_id = self.column_unit(c)
        return Target(
            target_id=c.id,
            type=TargetType.column,
            name=c.name,
            url=f"{base}/sites/{c.site}/{c.id}/",
            unit_id=unit_id,
            county=counties[unit_id],
            site_id=c.site,
            site_code=site.site_code,
            column_type=c.column_type,
            update_period_days=c.update_period_days,
            status=self._status(site.closed_on),
            registered_on=site.registered_on,
            closed_on=site.closed_on,
        )

    def _account_target(self, a: AccountSpec, base: str, counties: dict[str, str]) -> Target:
        return Target(
            target_id=a.id,
            type=TargetType.account,
            name=a.name,
            url=f"{base}/feeds/{a.id}.xml",
            unit_id=a.unit,
            county=counties[a.unit],
            platform=a.platform,
            status=self._status(a.closed_on),
            registered_on=a.registered_on,
            closed_on=a.closed_on,
        )


def _period(p: PeriodSpec) -> Period:
    return Period(
        period_id=p.id,
        window_start=p.window_start_at,
        monitoring_point=p.monitoring_point_at,
        mode="spot_check" if p.sampling else "census",
        sampling=p.sampling,
        scope=p.scope,
        rule_set=p.rule_set,
    )


def _unit(u: UnitSpec) -> Unit:
    return Unit(
        unit_id=u.id,
        name=u.name,
        short_name=u.short_name,
        county=u.county,
        parent_id=u.parent,
        supervisor_id=u.supervisor,
        order=u.order,
        emails=list(u.emails),
        mobiles=list(u.mobiles),
    )


def reference_problems(s: Scenario) -> list[str]:
    """Cross-entry checks: duplicate ids, unknown references, dates that contradict each other."""
    problems: list[str] = []
    problems += _duplicates("units", [u.id for u in s.units])
    boards = [w.board_id for w in s.websites if w.board is not None]
    problems += _duplicates("targets (websites, columns, accounts)", s.target_ids() + boards)
    unit_ids = {u.id for u in s.units}
    site_ids = {w.id for w in s.websites}
    for i, u in enumerate(s.units):
        for field in ("parent", "supervisor"):
            ref = getattr(u, field)
            if ref is not None and ref not in unit_ids:
                problems.append(f"units[{i}] (id={u.id}).{field}: unknown unit '{ref}'")
    for i, w in enumerate(s.websites):
        where = f"websites[{i}] (id={w.id})"
        problems += _unknown_unit(where, w.unit, unit_ids)
        problems += _lifetime(where, w.registered_on, w.closed_on, s.period.monitoring_point, w.states.stale_days)
        if w.board is not None:
            from simulator.messages import board_problems  # the board's messages are built from this module's types

            problems += board_problems(f"{where}.message_board", w, s.period)
    for i, c in enumerate(s.columns):
        where = f"columns[{i}] (id={c.id})"
        if c.site not in site_ids:
            problems.append(f"{where}.site: unknown website '{c.site}'")
        if c.unit is not None:
            problems += _unknown_unit(where, c.unit, unit_ids)
        if c.id in RESERVED_BLOCK_IDS:
            problems.append(f"{where}.id: '{c.id}' is reserved for homepage blocks")
    for i, a in enumerate(s.accounts):
        where = f"accounts[{i}] (id={a.id})"
        problems += _unknown_unit(where, a.unit, unit_ids)
        problems += _lifetime(where, a.registered_on, a.closed_on, s.period.monitoring_point, a.states.stale_days)
    if s.notice.deadline < s.notice.date:
        problems.append("notice.deadline: must not be before notice.date")
    if s.previous is not None:
        problems += _previous_problems(s, s.previous)
    return problems


def _previous_problems(s: Scenario, previous: PreviousSpec) -> list[str]:
    problems: list[str] = []
    if previous.period.id == s.period.id:
        problems.append(f"previous.period.id: '{previous.period.id}' is the current period's id")
    if previous.period.monitoring_point >= s.period.window_start:
        problems.append("previous.period.monitoring_point: must be before period.window_start")
    problems += _duplicates("previous.problems", [p.target for p in previous.problems])
    point = previous.period.monitoring_point
    lives = {w.id: (w.registered_on, w.closed_on) for w in s.websites}
    lives |= {a.id: (a.registered_on, a.closed_on) for a in s.accounts}
    lives |= {c.id: lives[c.site] for c in s.columns if c.site in lives}
    for i, problem in enumerate(previous.problems):
        where = f"previous.problems[{i}] (target={problem.target})"
        if problem.target not in lives:
            problems.append(f"{where}.target: unknown target '{problem.target}'")
            continue
        registered, closed = lives[problem.target]
        if registered > point or (closed is not None and closed <= point):
            problems.append(f"{where}.target: does not run at the previous monitoring point ({point})")
            continue
        try:
            states = s.previous_states(problem)
        except ValidationError as exc:
            problems += [f"{where}.states.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
            continue
        newest = point - timedelta(days=states.stale_days)
        if newest < registered:
            problems.append(f"{where}.states.stale_days: the newest item ({newest}) would be before registration")
    return problems


def _duplicates(what: str, ids: list[str]) -> list[str]:
    counts = Counter(ids)
    return [f"{what}: duplicate id '{d}'" for d in sorted(i for i, n in counts.items() if n > 1)]


def _unknown_unit(where: str, unit_id: str, unit_ids: set[str]) -> list[str]:
    return [] if unit_id in unit_ids else [f"{where}.unit: unknown unit '{unit_id}'"]


def _lifetime(where: str, registered: date, closed: date | None, point: date, stale_days: int) -> list[str]:
    problems = []
    if closed is not None and closed < registered:
        problems.append(f"{where}.closed_on: {closed} is before registered_on {registered}")
    newest = point - timedelta(days=stale_days)
    if newest < registered:
        problems.append(
            f"{where}.states.stale_days: the newest item ({newest}) would be before registered_on ({registered})"
        )
    return problems


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``problems`` name each bad field with its entry."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"scenario {source} is invalid:\n" + "\n".join(f"  - {p}" for p in problems))


def parse_scenario(data: Any, source: str = "<data>") -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(source, ["the document must be a mapping with name, city, period, notice, units, …"])
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [line for err in exc.errors() for line in _describe(err, data).split("\n")]
        raise ScenarioError(source, problems) from None


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(str(path), [f"not valid YAML: {exc}"]) from None
    return parse_scenario(data, str(path))


def demo_path() -> Path:
    return Path(__file__).with_name("demo.yaml")


def _describe(err: Any, data: Any) -> str:
    """One pydantic error as 'websites[3] (id=x).encoding: message (got 'latin1')'."""
    where = ""
    node = data
    for key in err["loc"]:
        if isinstance(key, int):
            entry = node[key] if isinstance(node, list) and 0 <= key < len(node) else None
            label = f" (id={entry['id']})" if isinstance(entry, dict) and "id" in entry else ""
            where += f"[{key}]{label}"
            node = entry
        else:
            where += f".{key}" if where else str(key)
            node = node.get(key) if isinstance(node, dict) else None
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "value_error" and not err["loc"]:
        return message
    got = "" if err["type"] in ("missing", "value_error") else f" (got {_short(err.get('input'))})"
    return f"{where or 'scenario'}: {message}{got}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
