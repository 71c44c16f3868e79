"""The inventory list: what the filters ask the registry, what is left to filter here, the order and the pages.

Pure: the query string in, the registry's query parameters and plain rows out. The registry filters what it can
(type, county, status, text in name, URL or 网站标识码, platform); the verdict's outcome lives in the evaluator, so
that filter is applied here, on the current period's verdicts. Rows follow administrative order: counties by the
smallest ``order`` of their units (市直 last when its units are numbered last, as the notices print them), then the
unit's ``order``, then the kind of target as the notices list them, then the target's id. The outcomes are the
evaluator's /outcomes rows (outcome and the failed indicators' labels), by target id.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

Doc = Mapping[str, Any]

PAGE_SIZE = 50

TYPE_LABELS: dict[str, str] = {
    "website": "政府网站",
    "column": "栏目",
    "message_board": "留言板",
    "service_guide": "办事指南",
    "account": "政务新媒体",
}
STATUS_LABELS: dict[str, str] = {
    "running": "运行",
    "suspended": "临时关停",
    "migrated": "迁移",
    "closure_announced": "已发停更公告",
    "closed": "关停/注销",
}
OUTCOME_LABELS: dict[str, str] = {
    "qualified": "合格",
    "unqualified": "不合格",
    "insufficient": "数据不足",
    "none": "尚无判定",
}
_TYPE_RANK = {t: n for n, t in enumerate(TYPE_LABELS)}


@dataclass(frozen=True)
class Filters:
    """The inventory's filters as the user set them (every field a string from the query; empty means any)."""

    q: str = ""
    type: str = ""
    county: str = ""
    status: str = ""
    platform: str = ""
    outcome: str = ""
    page: int = 1

    @classmethod
    def of(cls, params: Mapping[str, str]) -> Filters:
        """From the query string: unknown choices are dropped, not passed on (the registry would answer 422)."""

        def choice(name: str, allowed: Iterable[str]) -> str:
            value = params.get(name, "").strip()
            return value if value in set(allowed) else ""

        try:
            page = max(1, int(params.get("page", "1")))
        except ValueError:
            page = 1
        return cls(
            q=params.get("q", "").strip()[:100],
            type=choice("type", TYPE_LABELS),
            county=params.get("county", "").strip()[:50],
            status=choice("status", STATUS_LABELS),
            platform=params.get("platform", "").strip()[:50],
            outcome=choice("outcome", OUTCOME_LABELS),
            page=page,
        )

    def registry_params(self) -> dict[str, str]:
        """What GET /targets filters on (everything but the outcome and the page)."""
        wanted = {
            "q": self.q,
            "type": self.type,
            "county": self.county,
            "status": self.status,
            "platform": self.platform,
        }
        return {k: v for k, v in wanted.items() if v}

    def query(self, **changes: Any) -> str:
        """The query string of these filters with ``changes`` (e.g. another page), for links."""
        values = {**self.__dict__, **changes}
        if values.get("page") == 1:
            values.pop("page")
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})

    @property
    def active(self) -> bool:
        return any((self.q, self.type, self.county, self.status, self.platform, self.outcome))


@dataclass(frozen=True)
class Row:
    target: Doc
    unit_name: str
    outcome: str  # qualified / unqualified / insufficient / none
    labels: list[str] = field(default_factory=list)  # the failed indicators' labels


@dataclass(frozen=True)
class Listing:
    rows: list[Row]
    total: int
    page: int
    pages: int


def county_order(units: Iterable[Doc]) -> list[str]:
    """Counties in administrative order: by the smallest ``order`` of their units, then by name."""
    first: dict[str, tuple[int, str]] = {}
    for unit in units:
        county = str(unit.get("county", ""))
        key = (int(unit.get("order", 0)), str(unit.get("unit_id", "")))
        if county not in first or key < first[county]:
            first[county] = key
    return sorted(first, key=lambda c: (first[c], c))


def admin_sort_key(units: Mapping[str, Doc], counties: Sequence[str]) -> Any:
    """The sort key of a target in administrative order, given the units by id and the counties in order."""
    rank = {c: n for n, c in enumerate(counties)}

    def key(target: Doc) -> tuple[int, int, str, int, str]:
        unit = units.get(str(target.get("unit_id", "")), {})
        return (
            rank.get(str(target.get("county", "")), len(rank)),
            int(unit.get("order", 0)),
            str(target.get("unit_id", "")),
            _TYPE_RANK.get(str(target.get("type", "")), len(_TYPE_RANK)),
            str(target.get("target_id", "")),
        )

    return key


def verdict_summary(brief: Doc | None) -> tuple[str, list[str]]:
    """A verdict's outcome and its failed indicators' labels, from the evaluator's /outcomes row (``none``: no verdict)."""
    if not brief:
        return "none", []
    return str(brief.get("outcome") or "none"), [str(label) for label in brief.get("labels", [])]


def build_listing(
    targets: Sequence[Doc],
    units: Sequence[Doc],
    verdicts: Mapping[str, Doc],
    filters: Filters,
    page_size: int = PAGE_SIZE,
) -> Listing:
    """The page of rows the filters select, in administrative order, with the current period's outcome."""
    by_id = {str(u["unit_id"]): u for u in units}
    ordered = sorted(targets, key=admin_sort_key(by_id, county_order(units)))
    rows = []
    for target in ordered:
        outcome, labels = verdict_summary(verdicts.get(str(target["target_id"])))
        if filters.outcome and outcome != filters.outcome:
            continue
        unit = by_id.get(str(target.get("unit_id", "")), {})
        rows.append(Row(target, str(unit.get("name", target.get("unit_id", ""))), outcome, labels))
    pages = max(1, math.ceil(len(rows) / page_size))
    page = min(filters.page, pages)
    start = (page - 1) * page_size
    return Listing(rows[start : start + page_size], len(rows), page, pages)


# The platforms the notices group accounts by; others found in the list are added after them.
COMMON_PLATFORMS = ("微信公众号", "微博", "抖音", "今日头条", "快手", "视频号")


def platforms(targets: Iterable[Doc], selected: str = "") -> list[str]:
    """The platform filter's choices: the common platforms, then any other the listed accounts (or the filter) name."""
    found = {str(t["platform"]) for t in targets if t.get("platform")} | ({selected} if selected else set())
    return [*COMMON_PLATFORMS, *sorted(found - set(COMMON_PLATFORMS))]


def unit_matches(unit: Doc, q: str, county: str) -> bool:
    """The unit list's search: part of the name, short name or id, and the county."""
    if county and unit.get("county") != county:
        return False
    if not q:
        return True
    return any(q in str(unit.get(k, "")) for k in ("name", "short_name", "unit_id", "code"))
