"""Census (普查) and spot checks (抽查): which targets a monitoring period checks.

A period is either a census (every target) or a spot check: for the target types a rule names, a seeded random
sample per group (county, and for new-media accounts also platform); the types no rule names are still checked in
full. The seed notice does both: websites and columns in full, new-media accounts 市级抽查.

How the sample is drawn, and why: every target of a group is ranked by ``sha256(seed|target_id)`` and the first n
of the ranking are taken. Python's ``random`` depends on the order targets are fed to it (and its algorithms may
change between versions); ``hash()`` is salted per process. The digest depends on nothing but the seed and the id,
so the sample is reproducible by anyone holding the seed and the list (a published sample can be checked), it does
not depend on input order, groups never influence each other (adding a target to another county changes nothing
here), and adding a target to the same group changes the sample by at most that target, which enters only when it
ranks among the first n.

Which list: the targets running on the day the period's window opens (``drawn_on``), by their own registration and
closure dates. The sample is thus known when monitoring starts (the office can publish it and every sampled target
is probed from the first day), and a target registered during the quarter does not reshuffle it halfway.

Pure: no I/O. ``Target`` and ``Period`` are only annotations here, so shared.events can import this module.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.clock import CHINA_TZ

if TYPE_CHECKING:
    from shared.events import Period, Target

# The values of shared.events.TargetType (a test keeps the two in step).
SampledType = Literal["website", "column", "account", "message_board", "service_guide"]
GroupBy = Literal["county", "platform"]

TYPE_NAMES: dict[str, str] = {
    "website": "政府网站",
    "column": "栏目",
    "account": "政务新媒体",
    "message_board": "留言板",
    "service_guide": "办事指南",
}
GROUP_NAMES: dict[str, str] = {"county": "县（区）", "platform": "平台"}
_GROUP_ORDER: tuple[GroupBy, ...] = ("county", "platform")


def _county_only() -> list[GroupBy]:
    return ["county"]


class SampleRule(BaseModel):
    """How to sample some target types: per group, at most ``per_group`` targets or a ``ratio`` of them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    types: list[SampledType] = Field(min_length=1, description="the target types this rule samples")
    group_by: list[GroupBy] = Field(
        default_factory=_county_only,
        description="county, and for accounts platform; empty: the whole city",
    )
    per_group: int | None = Field(default=None, ge=1, description="at most this many per group")
    ratio: float | None = Field(default=None, gt=0, le=1, description="this share of each group, rounded up")

    @field_validator("types")
    @classmethod
    def _distinct_types(cls, types: list[SampledType]) -> list[SampledType]:
        if len(set(types)) != len(types):
            raise ValueError("a target type is named twice")
        return types

    @field_validator("group_by")
    @classmethod
    def _canonical_groups(cls, group_by: list[GroupBy]) -> list[GroupBy]:
        # One spelling per grouping, so equal rules compare equal and export the same way.
        return [g for g in _GROUP_ORDER if g in group_by]

    @model_validator(mode="after")
    def _one_size(self) -> SampleRule:
        if (self.per_group is None) == (self.ratio is None):
            raise ValueError("give exactly one of per_group and ratio")
        if "platform" in self.group_by and self.types != ["account"]:
            raise ValueError("grouping by platform applies to new-media accounts only")
        return self

    def size(self, population: int) -> int:
        """How many of a group of ``population`` are checked: never more than there are, at least 1 if any."""
        if population <= 0:
            return 0
        if self.per_group is not None:
            return min(self.per_group, population)
        assert self.ratio is not None
        # Fraction of the decimal text: 0.3 × 10 is 3 exactly, where float arithmetic gives 3.0000000000000004 → 4.
        return max(1, min(population, math.ceil(Fraction(str(self.ratio)) * population)))


class Sampling(BaseModel):
    """A spot check's sample: the seed and, per target type, how to sample; unnamed types are checked in full."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: str = Field(min_length=1, max_length=100, description="published with the sample, e.g. 2022Q3")
    rules: list[SampleRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _each_type_once(self) -> Sampling:
        named = [t for rule in self.rules for t in rule.types]
        if len(set(named)) != len(named):
            raise ValueError("a target type is sampled by more than one rule")
        return self

    def rule_for(self, target_type: str) -> SampleRule | None:
        return next((rule for rule in self.rules if target_type in rule.types), None)


@dataclass(frozen=True)
class SampleGroup:
    """One group of a drawn sample: its key, how many it had and which were drawn (in rank order)."""

    target_type: str
    county: str
    platform: str
    population: int
    sampled: tuple[str, ...]


def by_county(target: Target) -> str:
    return target.county


def rank(seed: str, target_id: str) -> bytes:
    """The target's place in the seed's ranking (smaller first): sha256 of seed and id, nothing else."""
    return hashlib.sha256(f"{seed}|{target_id}".encode()).digest()


def draw(
    sampling: Sampling, targets: Iterable[Target], county_of: Callable[[Target], str] = by_county
) -> list[SampleGroup]:
    """Every group of the sampled types with its sample, sorted by type, county and platform."""
    members: dict[tuple[str, str, str], list[str]] = {}
    for target in targets:
        rule = sampling.rule_for(target.type)
        if rule is None:
            continue
        county = county_of(target) if "county" in rule.group_by else ""
        platform = target.platform if "platform" in rule.group_by else ""
        members.setdefault((str(target.type), county, platform), []).append(target.target_id)
    groups: list[SampleGroup] = []
    for (target_type, county, platform), ids in sorted(members.items()):
        rule = sampling.rule_for(target_type)
        assert rule is not None
        unique = sorted(set(ids), key=lambda target_id: (rank(sampling.seed, target_id), target_id))
        groups.append(SampleGroup(target_type, county, platform, len(unique), tuple(unique[: rule.size(len(unique))])))
    return groups


def select(sampling: Sampling, targets: Iterable[Target], county_of: Callable[[Target], str] = by_county) -> set[str]:
    """The ids of every target checked: the sample of each sampled type, and every target of the other types."""
    targets = list(targets)
    chosen = {target_id for group in draw(sampling, targets, county_of) for target_id in group.sampled}
    return chosen | {t.target_id for t in targets if sampling.rule_for(t.type) is None}


def drawn_on(period: Period) -> date:
    """The day whose running targets a period's sample is drawn from: the day its window opens, in Beijing."""
    return period.window_start.astimezone(CHINA_TZ).date()


def checked(
    sampling: Sampling | None,
    targets: Sequence[Target],
    day: date,
    county_of: Callable[[Target], str] = by_county,
) -> list[Target]:
    """The targets a period checks, in the given order: all in a census; else the unsampled types in full and,
    of the sampled types, those drawn from the targets running on ``day``."""
    if sampling is None:
        return list(targets)
    sample = select(sampling, [t for t in targets if t.is_running_at(day)], county_of)
    return [t for t in targets if sampling.rule_for(t.type) is None or t.target_id in sample]


def checked_in(
    period: Period, targets: Sequence[Target], county_of: Callable[[Target], str] = by_county
) -> list[Target]:
    """``checked`` for a period: its sampling, drawn on the day its window opens."""
    return checked(period.sampling, targets, drawn_on(period), county_of)


def describe(sampling: Sampling | None) -> str:
    """The sampling in a document's words, e.g. 政务新媒体按县（区）、平台随机抽查，每组不超过5个（随机种子 2022Q3）."""
    if sampling is None:
        return "全面检查"
    return "；".join(_describe_rule(rule) for rule in sampling.rules) + f"（随机种子 {sampling.seed}）"


def _describe_rule(rule: SampleRule) -> str:
    types = "、".join(TYPE_NAMES[t] for t in rule.types)
    if rule.group_by:
        how = "按" + "、".join(GROUP_NAMES[g] for g in rule.group_by) + "随机抽查，"
        each = "每组"
    else:
        how, each = "全市随机抽查，", "共"
    if rule.per_group is not None:
        return f"{types}{how}{each}不超过{rule.per_group}个"
    assert rule.ratio is not None
    return f"{types}{how}{each}抽取{percent_text(rule.ratio)}、至少1个"


def percent_text(ratio: float) -> str:
    """0.3 → 30%, 0.125 → 12.5%: the ratio as a percentage without trailing zeros."""
    value = Fraction(str(ratio)) * 100
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return f"{text}%"
