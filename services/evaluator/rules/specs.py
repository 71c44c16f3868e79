"""Rule specs for the indicators beyond the first slice (W-V1, W-V4 site level, W-V5, W-V6, N-V1, N-V3, 未及时注销,
the deduction part and early warnings), with the national-2019 values as data.

Kept apart from ``ruleset.py`` so that ``NATIONAL_2019`` stays untouched until the lead adds these as RuleSet fields.
Every spec records its source and how sure we are of it (see /work/shared/reference/indicators.md).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .ruleset import NATIONAL_2019, SOURCE_2019, Confidence, RuleSpec

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
    and unanswered more than ``threshold`` calendar months fails."""

    no_channel_label: str
    overdue_label: str
    lookback_months: int
    excluded_categories: list[str] = Field(description="a message whose category contains any of these is skipped")
    late_answer_counts: bool = Field(description="an answer given after the deadline is also 逾期 (seed notice)")


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


class ExtraRules(BaseModel):
    """The specs the lead adds to ``RuleSet`` (field for field) when wiring them into the pipeline."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    content: ContentRule
    newmedia_content: ContentRule
    site_columns: SiteColumnsRule
    interaction: InteractionRule
    services: ServiceRule
    newmedia_interaction: NewMediaInteractionRule
    closure: ClosureRule
    scoring: ScoringRule
    warnings: WarningRules


GROUPS_2019 = [
    DeductionGroup(group_id="publish", name="发布解读", total=40, confidence=Confidence.unconfirmed),
    DeductionGroup(group_id="services", name="办事服务", total=25, services=True, confidence=Confidence.confirmed),
    DeductionGroup(group_id="interaction", name="互动交流", total=15, confidence=Confidence.unconfirmed),
    DeductionGroup(group_id="design", name="功能设计", total=20, confidence=Confidence.unconfirmed),
]

ITEMS_2019 = [
    DeductionItem(
        item_id="policy_column_stale",
        group_id="publish",
        name="政策文件栏目6个月未更新",
        points=5,
        confidence=Confidence.partial,
    ),
    DeductionItem(
        item_id="wrong_word",
        group_id="publish",
        name="存在错别字",
        points=0.5,
        source=SOURCE_VENDOR,
        confidence=Confidence.unconfirmed,
    ),
    DeductionItem(
        item_id="service_stats_stale",
        group_id="services",
        name="办事统计数据3个月未更新",
        points=2,
        confidence=Confidence.partial,
    ),
    DeductionItem(
        item_id="reply_not_published",
        group_id="interaction",
        name="留言答复2个月未更新",
        points=3,
        confidence=Confidence.partial,
    ),
    DeductionItem(
        item_id="dead_link_home",
        group_id="design",
        name="首页存在不可用链接",
        points=1,
        source=SOURCE_CENSUS,
        confidence=Confidence.unconfirmed,
    ),
    DeductionItem(
        item_id="dead_link",
        group_id="design",
        name="存在不可用链接",
        points=0.1,
        source=SOURCE_CENSUS,
        confidence=Confidence.partial,
    ),
    *(
        DeductionItem(
            item_id=item_id, group_id="design", name=name, points=1, source=SOURCE_47, confidence=Confidence.unconfirmed
        )
        for item_id, name in [
            ("no_site_code", "未标注网站标识码"),
            ("no_icp", "未标注ICP备案编号"),
            ("no_police_record", "未标注公安机关备案标识"),
            ("no_party_gov_label", "未标注党政机关标识"),
        ]
    ),
    DeductionItem(
        item_id="no_search", group_id="design", name="未提供站内搜索", points=2, confidence=Confidence.unconfirmed
    ),
    DeductionItem(
        item_id="no_error_report",
        group_id="design",
        name="未提供「我为政府网站找错」入口",
        points=1,
        confidence=Confidence.unconfirmed,
    ),
]

NATIONAL_2019_EXTRA = ExtraRules(
    id="national-2019",
    content=ContentRule(
        indicator_id="W-V1",
        name="安全、泄密事故等严重问题",
        label="存在严重表述错误",
        threshold=1,
        source=f"{SOURCE_2019}；错误分级（一般、疑似、严重）参照{SOURCE_VENDOR}",
        confidence=Confidence.confirmed,
    ),
    newmedia_content=ContentRule(
        indicator_id="N-V1",
        name="安全、泄密事故等严重问题",
        label="存在严重表述错误",
        threshold=1,
        confidence=Confidence.confirmed,
    ),
    site_columns=SiteColumnsRule(
        indicator_id="W-V4",
        name="栏目不更新",
        stale_label="栏目长期不更新",
        empty_label="空白栏目过多",
        threshold=5,
        frequent_types=["动态要闻", "动态", "要闻"],
        frequent_days=14,
        first_level_types=["通知公告", "政策文件"],
        first_level_months=6,
        long_stale_line=10,
        empty_line=5,
        period_days_by_type=dict(NATIONAL_2019.column.period_days_by_type),
        fallback_period_days=int(NATIONAL_2019.column.threshold),
        source=f"{SOURCE_2019}；未注明发布时间视为不更新，参照{SOURCE_CENSUS}",
        confidence=Confidence.confirmed,
    ),
    interaction=InteractionRule(
        indicator_id="W-V5",
        name="互动回应差",
        no_channel_label="未提供有效咨询建言渠道",
        overdue_label="留言未及时办理",
        threshold=3,
        lookback_months=12,
        excluded_categories=["在线访谈", "访谈", "调查征集", "征集", "信访", "纪检"],
        late_answer_counts=True,
        confidence=Confidence.confirmed,
    ),
    services=ServiceRule(
        indicator_id="W-V6",
        name="服务不实用",
        no_service_label="未提供办事服务",
        guide_label="办事指南要素不准确",
        threshold=1,
        key_elements=["事项名称", "设定依据", "申请条件", "办理材料", "办理地点", "办理时间", "联系电话", "办理流程"],
        source=f"{SOURCE_2019}；不合格指南数量线未见原文",
        confidence=Confidence.unconfirmed,
    ),
    newmedia_interaction=NewMediaInteractionRule(
        indicator_id="N-V3",
        name="互动回应差",
        label="未提供有效互动功能",
        threshold=1,
        unknown_is_insufficient=False,
        confidence=Confidence.confirmed,
    ),
    closure=ClosureRule(
        indicator_id="N-Z",
        name="未及时注销",
        label="未及时注销",
        veto=True,
        threshold=30,
        window_days=30,
        source=f"{SOURCE_123}；注销期限为本地规则",
        confidence=Confidence.unconfirmed,
    ),
    scoring=ScoringRule(
        indicator_id="W-S",
        name="扣分指标",
        label="扣分指标得分低于60分",
        veto=False,
        threshold=60,
        full_marks=100,
        groups=GROUPS_2019,
        items=ITEMS_2019,
        source=f"{SOURCE_2019}；扣分细项参照各地通报与{SOURCE_CENSUS}",
        confidence=Confidence.partial,
    ),
    warnings=WarningRules(
        unreachable_ratio=0.03,
        unreachable_window_days=7,
        homepage_days=10,
        empty_columns=2,
        stale_columns=6,
        message_days=80,
    ),
)
