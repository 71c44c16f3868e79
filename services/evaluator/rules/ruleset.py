"""Rule sets: every indicator's rule as data, in one versioned value (``national-2019``).

A city can tighten a threshold without a code change: see ``loading`` for YAML and the tightening check.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from .specs import (
    SOURCE_47,
    SOURCE_123,
    SOURCE_2019,
    SOURCE_CENSUS,
    SOURCE_VENDOR,
    AvailabilityRule,
    ClosureRule,
    ColumnRule,
    Confidence,
    ContentRule,
    DeductionGroup,
    DeductionItem,
    InteractionRule,
    NewMediaInteractionRule,
    ScoringRule,
    ServiceRule,
    SiteColumnsRule,
    StalenessRule,
    WarningRules,
)


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    availability: AvailabilityRule
    homepage: StalenessRule
    column: ColumnRule
    newmedia: StalenessRule
    content: ContentRule
    newmedia_content: ContentRule
    site_columns: SiteColumnsRule
    interaction: InteractionRule
    services: ServiceRule
    newmedia_interaction: NewMediaInteractionRule
    closure: ClosureRule
    scoring: ScoringRule
    warnings: WarningRules


# Typical update periods by column type, when a column target names none (各地通报、普查评分表).
COLUMN_PERIODS = {
    "动态要闻": 14,
    "动态": 14,
    "要闻": 14,
    "通知公告": 180,
    "政策文件": 180,
    "信息公开专栏": 180,
    "人事信息": 365,
    "规划计划": 365,
}

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

NATIONAL_2019 = RuleSet(
    id="national-2019",
    availability=AvailabilityRule(
        indicator_id="W-V2",
        name="站点无法访问",
        label="站点无法访问",
        threshold=0.05,
        window_days=7,
        min_daily_visits=20,
        confidence=Confidence.confirmed,
    ),
    homepage=StalenessRule(
        indicator_id="W-V3",
        name="首页不更新",
        label="首页长期不更新",
        threshold=14,
        window_days=14,
        confidence=Confidence.confirmed,
    ),
    column=ColumnRule(
        indicator_id="W-V4",
        name="栏目不更新",
        empty_label="空白栏目",
        stale_label="栏目长期不更新",
        threshold=180,
        source=f"{SOURCE_2019}；更新周期参照各地通报与普查评分表",
        confidence=Confidence.partial,
        period_days_by_type=dict(COLUMN_PERIODS),
    ),
    newmedia=StalenessRule(
        indicator_id="N-V2",
        name="内容不更新",
        label="内容长期不更新",
        threshold=14,
        window_days=14,
        confidence=Confidence.confirmed,
    ),
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
        period_days_by_type=dict(COLUMN_PERIODS),
        fallback_period_days=180,
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
