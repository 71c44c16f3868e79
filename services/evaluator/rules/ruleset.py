"""Rule sets: every threshold is data, with its source and how sure we are of it.

A rule set is a versioned value (``national-2019``). Later issues load local rule sets from YAML
(``RuleSet.model_validate(yaml.safe_load(...))``), so a city can tighten a threshold without a code change.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

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


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    availability: AvailabilityRule
    homepage: StalenessRule
    column: ColumnRule
    newmedia: StalenessRule


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
        period_days_by_type={
            "动态要闻": 14,
            "动态": 14,
            "要闻": 14,
            "通知公告": 180,
            "政策文件": 180,
            "信息公开专栏": 180,
            "人事信息": 365,
            "规划计划": 365,
        },
    ),
    newmedia=StalenessRule(
        indicator_id="N-V2",
        name="内容不更新",
        label="内容长期不更新",
        threshold=14,
        window_days=14,
        confidence=Confidence.confirmed,
    ),
)
