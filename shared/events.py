"""The event contracts: every message on NATS is one of these pydantic models.

Each event carries an ``event_id`` (also sent as the ``Nats-Msg-Id`` header, so JetStream drops duplicate
publishes), its type and schema version, ``occurred_at`` and the ``correlation_id`` of the probe round it belongs
to. Ids are derived from natural keys wherever one exists, so a retried step produces the same id.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.sampling import Sampling


def _computable(instant: datetime) -> datetime:
    """An instant a service can shift to UTC and by a day or so: year 1 or 9999 with an offset cannot be."""
    try:
        in_utc = instant.astimezone(UTC)
        _ = (in_utc - timedelta(days=2), in_utc + timedelta(days=2))  # the arithmetic is the check
    except OverflowError:
        raise ValueError(f"{instant.isoformat()} is outside the dates a service can compute with") from None
    return instant


# Every instant an event carries: timezone-aware (pydantic) and within the calendar's computable range.
Instant = Annotated[AwareDatetime, AfterValidator(_computable)]


def natural_id(*parts: object) -> str:
    """A stable id from a natural key: the same parts always give the same id."""
    raw = "\x1f".join(p.isoformat() if isinstance(p, datetime | date) else str(p) for p in parts)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


# The event schema versions this code reads.
SCHEMA_VERSIONS = frozenset({1})


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    subject_prefix: ClassVar[str]

    event_id: str = Field(min_length=8, max_length=64)
    schema_version: int = 1
    occurred_at: Instant
    correlation_id: str = Field(default="", max_length=128)

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, version: int) -> int:
        # A newer producer's event read by an older consumer would be misread field by field: refuse it (→ DEAD).
        if version not in SCHEMA_VERSIONS:
            raise ValueError(f"unknown schema version {version}; this service reads {sorted(SCHEMA_VERSIONS)}")
        return version

    def subject(self) -> str:
        return self.subject_prefix


# --- registry ---------------------------------------------------------------------------------------------------


class TargetType(StrEnum):
    website = "website"  # 政府网站
    column = "column"  # 栏目 / 信息公开专栏
    account = "account"  # 政务新媒体账号
    message_board = "message_board"  # 留言板 / 互动交流栏目
    service_guide = "service_guide"  # 办事指南来源


class TargetStatus(StrEnum):
    running = "running"  # 运行
    suspended = "suspended"  # 临时关停
    migrated = "migrated"  # 迁移（新地址另行登记）
    closure_announced = "closure_announced"  # 已发停更公告（账号仍存在，须按期注销）
    closed = "closed"  # 关停 / 已注销

    @property
    def exists(self) -> bool:
        """Still online, so still inspected: an account that announced closure but is not deregistered counts."""
        return self in (TargetStatus.running, TargetStatus.closure_announced)


class UnitLevel(StrEnum):
    city = "city"  # 市
    county = "county"  # 县（市、区）
    department = "department"  # 部门


class Contact(BaseModel):
    """A person responsible at a unit: who gets rectification notices on which channel."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=50)
    role: str = Field(default="", max_length=50, description="e.g. 分管领导, 网站管理员, 新媒体运维")
    email: str = Field(default="", max_length=200)
    mobile: str = Field(default="", pattern=r"^(|1\d{10})$", description="mainland mobile number, 11 digits")
    chatbot: str = Field(default="", max_length=500, description="DingTalk or WeCom robot webhook")
    chatbot_secret: str = Field(default="", max_length=200, description="DingTalk robot signing secret (加签)")


class Unit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_id: str
    name: str = Field(description="full name, e.g. 镇康县人民政府办公室")
    short_name: str = ""
    code: str = Field(default="", description="统一社会信用代码 or the office's own unit code")
    level: UnitLevel = UnitLevel.department
    county: str = Field(description="县（区）as the notice prints it, e.g. 镇康县; the city's own departments use 市直")
    parent_id: str | None = None
    supervisor_id: str | None = Field(default=None, description="unit that receives escalations")
    order: int = Field(default=0, description="administrative order, used to sort counties in documents")
    emails: list[str] = Field(default_factory=list, description="the unit's own mailboxes for notices")
    mobiles: list[str] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    active: bool = Field(default=True, description="False once the unit is abolished or merged")
    abolished_on: date | None = Field(
        default=None, description="撤销或合并日期: its accounts must be closed within the closure rule's days after it"
    )
    version: int = 1


class Target(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    target_id: str
    type: TargetType
    name: str
    url: str
    unit_id: str
    county: str
    site_id: str | None = Field(default=None, description="column, message board, service guide: its website")
    site_code: str = Field(default="", description="网站标识码")
    site_kind: str = Field(default="", description="website: 门户 or 部门")
    platform: str = Field(default="", description="new media: 微信公众号, 微博, 抖音, …")
    account_id: str = Field(default="", description="new media: the platform's account id (微信号, 微博 uid, …)")
    feed_kind: str = Field(default="", description="new media: rss, json or export (a platform back-office export)")
    column_type: str = Field(default="", description="column: 动态要闻, 通知公告, 政策文件, 信息公开专栏, …")
    first_level: bool = Field(default=False, description="column: a first-level column (一级栏目)")
    update_period_days: int | None = None
    reply_days: int | None = Field(default=None, description="message board: promised reply time in working days")
    profile: dict[str, str] = Field(default_factory=dict, description="per-site extraction selectors")
    has_message_board: bool = False
    public_services: bool = Field(
        default=True, description="website: its unit has public services (对外服务职能); False scores out of 75 × 4/3"
    )
    status: TargetStatus = TargetStatus.running
    registered_on: date
    closed_on: date | None = None
    closure_required_by: date | None = Field(
        default=None, description="account announced closure (停更公告) or its unit was abolished: close by this date"
    )
    version: int = 1

    def is_running_at(self, point: date) -> bool:
        """Registered on or before ``point`` and not closed before it.

        A target stopped without a recorded date cannot be placed in time: it is not counted as running.
        """
        if self.registered_on > point:
            return False
        if self.closed_on is not None:
            return self.closed_on >= point
        return self.status.exists


# The rules of a rule set, by field name, with the problem each checks (for spreadsheets, documents and errors).
# A period's ``scope`` lists some of them; the evaluator's rule table has exactly these (a test holds them equal).
RULES: dict[str, str] = {
    "availability": "站点无法访问（W-V2）",
    "homepage": "首页不更新（W-V3）",
    "site_columns": "栏目不更新（W-V4，全站）",
    "content": "严重表述错误（W-V1）",
    "interaction": "互动回应差（W-V5）",
    "services": "服务不实用（W-V6）",
    "scoring": "扣分指标",
    "column": "栏目更新情况（逐栏目）",
    "newmedia": "内容不更新（N-V2）",
    "newmedia_content": "严重表述错误（N-V1）",
    "newmedia_interaction": "互动回应差（N-V3）",
    "closure": "未及时注销",
}


# How a period or a verdict names a rule set: its id, or one version of it (national-2019, lincang-2022@1).
RULE_SET_REF = r"^[a-z0-9][a-z0-9-]{0,63}(@[1-9][0-9]*)?$"


class Period(BaseModel):
    """A monitoring period: its data-collection window ends at the monitoring point (监测时间点)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    period_id: str = Field(pattern=r"^\d{4}Q[1-4]$")
    window_start: Instant
    monitoring_point: Instant
    mode: Literal["census", "spot_check"] = "census"
    sampling: Sampling | None = Field(
        default=None, description="spot check: the seeded sample per county (and platform); see shared/sampling.py"
    )
    rule_set: str = Field(
        default="",
        pattern=f"^$|{RULE_SET_REF}",
        description="the rule set this period is judged by: id or id@version; empty: the evaluator's default",
    )
    scope: list[str] | None = Field(
        default=None,
        description="the rules checked this period, by rule-set field (availability, homepage, column, …); None: all",
    )

    @field_validator("scope")
    @classmethod
    def _known_rules(cls, scope: list[str] | None) -> list[str] | None:
        unknown = [name for name in scope or [] if name not in RULES]
        if unknown:
            raise ValueError(f"unknown rules {unknown}; a scope lists some of {list(RULES)}")
        return scope

    @model_validator(mode="after")
    def _sampling_matches_mode(self) -> Period:
        # A spot check without a sample would silently check nothing or everything; a census has no sample.
        if self.mode == "spot_check" and self.sampling is None:
            raise ValueError("a spot_check period needs its sampling")
        if self.mode == "census" and self.sampling is not None:
            raise ValueError("a census period has no sampling")
        return self


class TargetChanged(Event):
    subject_prefix = "registry.target.changed"
    event_type: Literal["registry.target.changed"] = "registry.target.changed"
    target: Target


class UnitChanged(Event):
    subject_prefix = "registry.unit.changed"
    event_type: Literal["registry.unit.changed"] = "registry.unit.changed"
    unit: Unit


class PeriodChanged(Event):
    subject_prefix = "registry.period.changed"
    event_type: Literal["registry.period.changed"] = "registry.period.changed"
    period: Period


# --- probes and observations ------------------------------------------------------------------------------------


class CheckKind(StrEnum):
    availability = "availability"  # W-V2
    homepage = "homepage"  # W-V3
    columns = "columns"  # W-V4, 政策文件 6-month deduction
    newmedia = "newmedia"  # N-V2, N-V3
    links = "links"  # 链接可用性
    interaction = "interaction"  # W-V5, reply deductions
    service_guides = "service_guides"  # W-V6
    content = "content"  # W-V1 严重表述错误
    site_basics = "site_basics"  # 功能设计: 网站标识码, ICP 备案, 公安备案, 党政机关标识, search, 找错


class ProbeRequested(Event):
    subject_prefix = "probe.requested"
    event_type: Literal["probe.requested"] = "probe.requested"
    target_id: str
    target_type: TargetType
    kind: CheckKind
    url: str
    scheduled_for: Instant = Field(description="the instant this probe stands for (virtual in accelerated time)")
    period_id: str
    profile: dict[str, str] = Field(default_factory=dict, description="per-site extraction hints")

    def subject(self) -> str:
        return f"{self.subject_prefix}.{self.kind.value}"

    @staticmethod
    def id_for(target_id: str, kind: CheckKind, scheduled_for: datetime) -> str:
        return natural_id("probe", target_id, kind.value, scheduled_for)


class Timing(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ttfb_ms: float | None = None
    total_ms: float | None = None


class AvailabilityFacts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["availability"] = "availability"
    opened: bool = Field(description="the page answered with a success status within the timeout")


class DatedItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    title: str
    url: str = ""
    published_on: date | None = None


class PageFacts(BaseModel):
    """Facts from a homepage or a column page."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["homepage", "columns"]
    newest_item_on: date | None = None
    items: list[DatedItem] = Field(default_factory=list)
    empty: bool = False


class NewMediaFacts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["newmedia"] = "newmedia"
    newest_post_at: Instant | None = None
    posts_in_window: int = 0
    has_interaction: bool | None = None
    closure_notice_on: date | None = Field(default=None, description="date of a 停更公告 post, if any")
    source: Literal["rss", "json", "export", ""] = Field(default="", description="feed kind or an uploaded export")


class SiteBasicsFacts(BaseModel):
    """What 国办发〔2017〕47号 asks of every page's header and footer, as found on the homepage."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["site_basics"] = "site_basics"
    site_code: str = Field(default="", description="网站标识码, from <meta name=SiteIDCode> or the footer")
    site_code_source: Literal["meta", "footer", ""] = ""
    site_name: str = Field(default="", description="<meta name=SiteName>")
    icp: str = Field(default="", description="ICP备案编号, e.g. 滇ICP备05000001号")
    police_record: str = Field(default="", description="公安机关备案号, e.g. 滇公网安备 53090202000001号")
    party_gov_label: bool = Field(
        default=False, description="党政机关标识 (the red 党政机关 logo, usually dzjg.gov.cn)"
    )
    organizer: str = Field(default="", description="主办单位 as printed")
    search: bool = Field(default=False, description="a site search box or link")
    error_report: bool = Field(default=False, description="the 「我为政府网站找错」 entry")


class Message(BaseModel):
    """One message on a message board (留言), as published."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    title: str
    url: str = ""
    category: str = Field(default="", description="咨询, 建议, 投诉, 信访, 纪检举报 … as the board labels it")
    asked_on: date | None = Field(default=None, description="留言时间")
    answered_on: date | None = Field(default=None, description="答复时间")
    status: str = Field(default="", description="as printed: 已答复, 未答复, 办理中 …")


class InteractionFacts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["interaction"] = "interaction"
    channel_present: bool = Field(description="a working consultation/suggestion channel (信访、纪检举报 do not count)")
    channel_kinds: list[str] = Field(default_factory=list, description="e.g. 咨询, 建议, 投诉")
    messages: list[Message] = Field(default_factory=list)
    messages_seen: int = 0


class ServiceGuide(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(description="事项名称")
    url: str = ""
    elements: list[str] = Field(default_factory=list, description="key elements present: 设定依据, 申请条件 …")
    missing: list[str] = Field(default_factory=list, description="key elements absent")
    statutory_days: int | None = Field(default=None, description="法定办结时限, working days")
    promised_days: int | None = Field(default=None, description="承诺办结时限, working days")
    problems: list[str] = Field(default_factory=list, description="inconsistencies, in the notices' wording")


class ServiceGuideFacts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["service_guides"] = "service_guides"
    service_offered: bool = Field(description="the site offers 办事服务 at all")
    guides: list[ServiceGuide] = Field(default_factory=list)


class WordFinding(BaseModel):
    """A wrong or sensitive expression found in published content."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    word: str
    suggestion: str = ""
    category: str = Field(description="leader_name, leader_title, institution, forbidden, typo …")
    severity: Literal["一般", "疑似", "严重"]
    context: str = Field(description="the text around the word")
    url: str
    offset: int = Field(ge=0, description="character offset in the page's text")


class ContentFacts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["content"] = "content"
    pages_checked: int = 0
    findings: list[WordFinding] = Field(default_factory=list)
    dictionary_version: str = ""


class DeadLink(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    url: str
    found_on: str
    status: int | None = None
    error: str = ""


class LinksFacts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["links"] = "links"
    pages_crawled: int = 0
    links_checked: int = 0
    dead_total: int = 0
    dead: list[DeadLink] = Field(default_factory=list, description="at most 500, the rest counted in dead_total")


Facts = Annotated[
    AvailabilityFacts
    | PageFacts
    | NewMediaFacts
    | SiteBasicsFacts
    | InteractionFacts
    | ServiceGuideFacts
    | ContentFacts
    | LinksFacts,
    Field(discriminator="kind"),
]


class ObservationRecorded(Event):
    subject_prefix = "observation.recorded"
    event_type: Literal["observation.recorded"] = "observation.recorded"
    request_id: str = Field(description="event_id of the probe request; one request yields one observation")
    target_id: str
    target_type: TargetType
    kind: CheckKind
    period_id: str
    url: str
    observed_at: Instant
    status: int | None = Field(default=None, description="HTTP status; None when no response arrived")
    error: str = Field(default="", description="why the fetch failed: timeout, connection refused, …")
    timing: Timing = Field(default_factory=Timing)
    evidence: str = Field(default="", description="content hash of the archived raw response")
    findings: list[str] = Field(
        default_factory=list, description="problems of the fetch itself: expired certificate, refused address …"
    )
    facts: Facts

    def subject(self) -> str:
        return f"{self.subject_prefix}.{self.kind.value}"

    @staticmethod
    def id_for(request_id: str) -> str:
        return natural_id("observation", request_id)


# --- verdicts ---------------------------------------------------------------------------------------------------


class Outcome(StrEnum):
    qualified = "qualified"  # 合格
    unqualified = "unqualified"  # 不合格
    insufficient = "insufficient"  # 数据不足: never a silent pass


class IndicatorStatus(StrEnum):
    passed = "pass"
    failed = "fail"
    insufficient = "insufficient"


class IndicatorResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    indicator_id: str = Field(description="W-V2, W-V3, N-V2, …")
    name: str
    status: IndicatorStatus
    veto: bool = True
    label: str = Field(default="", description="problem label in the notices' wording, e.g. 内容长期不更新")
    explanation: str = Field(default="", description="what was seen, in Chinese, for the unit to act on")
    evidence: list[str] = Field(default_factory=list, description="observation ids the result rests on")
    points: float | None = Field(default=None, description="the deduction part: points deducted (capped)")


class Review(BaseModel):
    """A person's review of a verdict (人工复核): a confirmation, or an override with a written reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: Literal["confirm", "override"]
    outcome: Outcome = Field(description="the outcome the reviewer stands behind")
    reason: str = Field(min_length=1, description="why, in the reviewer's words")
    label: str = Field(default="", description="override to 不合格: the problem as the notice should print it")
    reviewer: str
    role: str
    reviewed_at: Instant
    machine_outcome: Outcome = Field(description="the rules' outcome when the review was made")


class InteractionSummary(BaseModel):
    """A website's 网民留言办理情况 as of its verdict, what the notice's （四） adds up over the running websites.

    Read from the latest observation of each of the website's message boards: ``boards`` with a working channel
    (开设网民留言平台), ``messages`` asked within the period's window (接到网民留言; the W-V5 exclusions such as 信访,
    纪检 and 在线访谈 left out), and ``overdue`` of those (逾期答复): answered after the board's promised reply time
    (``reply_days`` working days, else the W-V5 limit), or still unanswered after it at the verdict's instant.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    boards: int = Field(ge=0, description="message boards with a working consultation channel")
    messages: int = Field(ge=0, description="messages asked within the period's window")
    overdue: int = Field(ge=0, description="of those, answered late or unanswered past their due day")


class Verdict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    target_id: str
    target_type: TargetType
    unit_id: str
    period_id: str
    outcome: Outcome
    indicators: list[IndicatorResult]
    as_of: Instant = Field(description="the instant the verdict describes")
    revision: int = Field(ge=1, description="increases with every stored change of this target's verdict")
    rule_set: str = Field(default="national-2019", description="the rule set and version applied: id@version")
    score: float | None = Field(default=None, description="website: the deduction part's score out of 100")
    machine_outcome: Outcome | None = Field(
        default=None, description="what the rules decided, when a reviewer's override differs from it"
    )
    review: Review | None = Field(default=None, description="a reviewer's confirmation or override")
    interaction: InteractionSummary | None = Field(
        default=None,
        description="website: its message boards' 网民留言办理情况 (None: interaction not checked or seen)",
    )

    def problems(self) -> list[str]:
        return [r.label for r in self.indicators if r.status is IndicatorStatus.failed and r.label]


class VerdictChanged(Event):
    subject_prefix = "verdict.changed"
    event_type: Literal["verdict.changed"] = "verdict.changed"
    verdict: Verdict
    previous_outcome: Outcome | None = None

    @staticmethod
    def id_for(target_id: str, period_id: str, revision: int) -> str:
        return natural_id("verdict", target_id, period_id, revision)


class VerdictRechecked(Event):
    """The result of a re-check (复查) a rectification asked for: the indicators judged on the re-check's own
    observations, as of the re-check. The period's verdict is not changed by it (the notice stands as published)."""

    subject_prefix = "verdict.rechecked"
    event_type: Literal["verdict.rechecked"] = "verdict.rechecked"
    target_id: str
    target_type: TargetType
    unit_id: str
    period_id: str
    recheck_id: str = Field(description="the re-check's probes' correlation id, recheck-…")
    results: list[IndicatorResult]
    as_of: Instant
    observations: int = Field(description="how many of the re-check's observations the results rest on")

    @staticmethod
    def id_for(recheck_id: str, target_id: str, observations: int) -> str:
        return natural_id("recheck", recheck_id, target_id, observations)


class VerdictWarning(Event):
    """An early warning (预警): a value past its warning line but not yet at the veto line."""

    subject_prefix = "verdict.warning"
    event_type: Literal["verdict.warning"] = "verdict.warning"
    target_id: str
    target_type: TargetType
    unit_id: str
    period_id: str
    indicator_id: str
    label: str = Field(description="e.g. 首页即将超期未更新")
    explanation: str
    evidence: list[str] = Field(default_factory=list)
    as_of: Instant

    @staticmethod
    def id_for(target_id: str, period_id: str, indicator_id: str, label: str, day: date) -> str:
        # Once a day per warning: a warning still standing tomorrow is said again; one standing all day is not.
        return natural_id("warning", target_id, period_id, indicator_id, label, day.isoformat())


# --- cases and reports ------------------------------------------------------------------------------------------


class CaseOpened(Event):
    subject_prefix = "case.opened"
    event_type: Literal["case.opened"] = "case.opened"
    case_id: str
    target_id: str
    unit_id: str
    period_id: str
    indicator_id: str
    problem: str
    deadline: date


class CaseResolved(Event):
    subject_prefix = "case.resolved"
    event_type: Literal["case.resolved"] = "case.resolved"
    case_id: str
    target_id: str
    period_id: str
    indicator_id: str


class ReportPublished(Event):
    subject_prefix = "report.published"
    event_type: Literal["report.published"] = "report.published"
    report_id: str
    period_id: str
    document_number: str = Field(description="文号, e.g. 临政办字〔2022〕111号")
    deadline: date = Field(description="rectification reports are due by this date")
    content_hash: str
    title: str = Field(default="", description="the notice's title, e.g. …关于2022年三季度…检查情况的通报")
    issued_on: date | None = Field(default=None, description="成文日期")
    report_to: str = Field(default="", description="whom units report their rectification to, e.g. 市政府办公室")
    attachments: list[str] = Field(default_factory=list, description="the attachments' titles, as numbered")


# --- dead letters -----------------------------------------------------------------------------------------------


class DeadLetter(BaseModel):
    """What could not be processed, with the reason; published on ``dead.<stream>.<consumer>``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stream: str
    consumer: str
    subject: str
    reason: str
    deliveries: int
    failed_at: Instant
    headers: dict[str, str] = Field(default_factory=dict)
    payload: str = Field(description="the original payload, decoded as UTF-8 with replacement")
    payload_sha256: str


EVENT_TYPES: tuple[type[Event], ...] = (
    TargetChanged,
    UnitChanged,
    PeriodChanged,
    ProbeRequested,
    ObservationRecorded,
    VerdictChanged,
    CaseOpened,
    CaseResolved,
    ReportPublished,
)


def as_payload(event: Event) -> dict[str, Any]:
    return event.model_dump(mode="json")


class Inventory(BaseModel):
    """A whole inventory as imported into the registry: units, targets and monitoring periods."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    units: list[Unit] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    periods: list[Period] = Field(default_factory=list)
