"""The rule specs: every threshold of every indicator as data, with its source and how sure we are of it.

Each spec is a pydantic model, so a rule set is a plain value that YAML describes and MongoDB stores; the rules in
``staleness``, ``availability``, ``website``, ``newmedia``, ``scoring`` and ``warnings`` read nothing else.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from .replies import NATIONAL_REPLY_LIMIT, ReplyLimit

SOURCE_2019 = "国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》"


class Confidence(StrEnum):
    confirmed = "C"  # word for word from copies of the text
    partial = "P"  # from local notices and vendor code
    unconfirmed = "U"


class RuleSpec(BaseModel):
    """One indicator's rule: what it is called, what it checks against, and where that comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    indicator_id: str
    name: str
    veto: bool = True
    threshold: float = Field(description="the line the rule compares against; each rule says how (≥ or >)")
    window_days: int | None = Field(default=None, description="the span the rule looks at, in days")
    source: str = SOURCE_2019
    confidence: Confidence


class AvailabilityRule(RuleSpec):
    """W-V2: failed visits / visits ≥ ``threshold`` over ``window_days`` consecutive days fails the site."""

    min_daily_visits: int = Field(description="a day counts only with at least this many visits")
    label: str


class StalenessRule(RuleSpec):
    """W-V3, N-V2: more than ``threshold`` days since the newest item fails; exactly ``threshold`` passes."""

    label: str


class ColumnRule(RuleSpec):
    """A column target: empty fails; older than its update period fails (``threshold`` is the fallback period)."""

    empty_label: str
    stale_label: str
    period_days_by_type: dict[str, int] = Field(
        default_factory=dict, description="typical update period by column type, when a target names none"
    )


SOURCE_CENSUS = "《全国政府网站普查评分表》（国办发〔2015〕15号附件）"
SOURCE_VENDOR = "商业监测平台（开普云）预警规则"
SOURCE_123 = "国办发〔2018〕123号《关于推进政务新媒体健康有序发展的意见》"
SOURCE_47 = "国办发〔2017〕47号《政府网站发展指引》"


class ContentRule(RuleSpec):
    """W-V1 / N-V1: ``threshold`` or more findings graded in ``veto_severities`` fail the target."""

    label: str
    veto_severities: list[str] = Field(default_factory=lambda: ["严重"])


class SiteColumnsRule(RuleSpec):
    """W-V4 at the website level: three counts, each against an inclusive line (「超过（含）」).

    ``threshold`` is line (1): 动态/要闻 not updated within ``frequent_days`` plus first-level 通知公告/政策文件 not
    updated within ``first_level_months`` calendar months. ``long_stale_line`` is line (2), ``empty_line`` line (3).
    """

    stale_label: str
    empty_label: str
    frequent_types: list[str]
    frequent_days: int
    first_level_types: list[str]
    first_level_months: int
    long_stale_line: int
    empty_line: int
    period_days_by_type: dict[str, int] = Field(description="what 'long not updated' means for line (2), by type")
    fallback_period_days: int


class InteractionRule(RuleSpec):
    """W-V5: no channel fails; a valid 政务咨询 message asked within ``lookback_months`` before the monitoring point
    and unanswered past its ``reply_limit`` fails (``threshold`` states the national months; the limit decides)."""

    no_channel_label: str
    overdue_label: str
    lookback_months: int
    excluded_categories: list[str] = Field(description="a message whose category contains any of these is skipped")
    late_answer_counts: bool = Field(description="an answer given after the deadline is also 逾期 (seed notice)")
    reply_limit: ReplyLimit = Field(
        default=NATIONAL_REPLY_LIMIT, description="3 months, or a local limit such as 5 working days or 72 hours"
    )


class ServiceRule(RuleSpec):
    """W-V6: no 办事服务 fails; ``threshold`` or more defective 办事指南 fail."""

    no_service_label: str
    guide_label: str
    key_elements: list[str]


class NewMediaInteractionRule(RuleSpec):
    """N-V3: an account without a working interaction function fails."""

    label: str
    unknown_is_insufficient: bool = Field(
        description="a source that cannot tell (RSS) gives insufficient instead of an explained non-judgement"
    )


class ClosureRule(RuleSpec):
    """未及时注销: an account due to close still exists more than ``threshold`` days after its 停更公告."""

    label: str


class DeductionGroup(BaseModel):
    """An indicator of the deduction part: its deductions together never exceed ``total``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    group_id: str
    name: str
    total: float
    services: bool = Field(default=False, description="skipped for departments without public services")
    confidence: Confidence


class DeductionItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: str
    group_id: str
    name: str = Field(description="the problem in the notices' wording")
    points: float = Field(description="points per occurrence")
    max_points: float | None = Field(default=None, description="an item's own cap, below its group's total")
    source: str = SOURCE_2019
    confidence: Confidence


class ScoringRule(RuleSpec):
    """The deduction part: ``full_marks`` less deductions; below ``threshold`` fails (exactly the line passes)."""

    label: str
    full_marks: float
    services_scale_note: str = "无对外服务职能的部门按75分计算后乘以4/3"
    groups: list[DeductionGroup]
    items: list[DeductionItem]

    def item(self, item_id: str) -> DeductionItem:
        return next(i for i in self.items if i.item_id == item_id)

    def group(self, group_id: str) -> DeductionGroup:
        return next(g for g in self.groups if g.group_id == group_id)


class WarningRules(BaseModel):
    """Lines before the veto line, at which a unit is warned; none of them changes a verdict."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unreachable_ratio: float = Field(description="warn when the last window's failure ratio is above this")
    unreachable_window_days: int
    homepage_days: int = Field(description="warn when the homepage is this many days old or older")
    empty_columns: int = Field(description="warn when more empty columns than this")
    stale_columns: int = Field(description="warn when more long-stale columns than this")
    message_days: int = Field(description="warn when an unanswered message is this many days old or older")
    source: str = SOURCE_VENDOR
    confidence: Confidence = Confidence.partial
