"""The optional 「监测周期」 sheet: a period's data-collection window, in Beijing time, and for a spot check (抽查) its
sampling rules and random seed; optionally the rules it checks (「检查范围」) and its rule set (「规则集」, see checks.py).

A 「抽查规则」 cell holds one rule per line or separated by 「；」, each 「对象类型：分组：数量」, e.g.
「政务新媒体：按县（区）、平台：每组5个；政府网站：按县（区）：30%」. Types: 政府网站, 栏目, 政务新媒体, 留言板, 办事指南;
groups: 县（区）, 平台 (new media only) or 全市 (no grouping); size: at most n per group, or a percentage rounded up.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.clock import CHINA_TZ
from shared.events import Period
from shared.sampling import GROUP_NAMES, TYPE_NAMES, SampleRule, Sampling, percent_text

from .cells import Cell, CellError, as_choice, as_datetime, as_period_id, as_text, clean_text, fold
from .checks import as_rule_set, as_scope
from .choices import PERIOD_MODES
from .problems import ImportProblem
from .read import Sheet
from .rows import Row, rows_of

START_OF_DAY = time(0, 0, 0)
END_OF_DAY = time(23, 59, 59)


def _at(default: time) -> Any:
    def parse(value: Cell) -> datetime:
        day, clock = as_datetime(value, default)
        return datetime.combine(day, clock, CHINA_TZ)

    return parse


def read_periods(sheets: list[Sheet], problems: list[ImportProblem]) -> list[tuple[Row, dict[str, Any]]]:
    found: list[tuple[Row, dict[str, Any]]] = []
    seen: dict[str, Row] = {}
    for sheet in sheets:
        for row in rows_of(sheet, problems):
            values: dict[str, Any] = {
                "period_id": row.get("period_id", as_period_id, required=True),
                "window_start": row.get("window_start", _at(START_OF_DAY), required=True),
                "monitoring_point": row.get("monitoring_point", _at(END_OF_DAY), required=True),
                "mode": row.get("mode", lambda v: as_choice(v, PERIOD_MODES, "全面检查、抽查")),
                "rules": row.get("sample_rules", as_sample_rules),
                "seed": row.get("sample_seed", lambda v: as_text(v, 100)),
                "scope": row.get("scope", as_scope),
                "rule_set": row.get("rule_set", as_rule_set),
            }
            _check_sampling(row, values)
            start, point = values["window_start"], values["monitoring_point"]
            if start and point and point < start:
                row.problem("monitoring_point", "早于开始日期")
            period_id = values["period_id"]
            if period_id in seen:
                row.problem("period_id", f"与第{seen[period_id].number}行重复")
            elif period_id:
                seen[period_id] = row
            found.append((row, values))
    return found


def build_period(values: dict[str, Any]) -> Period:
    return Period(
        period_id=values["period_id"],
        window_start=values["window_start"],
        monitoring_point=values["monitoring_point"],
        mode=values["mode"] or ("spot_check" if values.get("rules") else "census"),
        sampling=Sampling(seed=values["seed"], rules=values["rules"]) if values.get("rules") else None,
        rule_set=values.get("rule_set") or "",
        scope=values.get("scope"),
    )


def _check_sampling(row: Row, values: dict[str, Any]) -> None:
    """A spot check names its rules and seed; a census names neither. A blank mode with rules is a spot check."""
    mode, has_rules, has_seed = values["mode"], row.has("sample_rules"), row.has("sample_seed")
    if mode == "census":
        if has_rules or has_seed:
            row.problem("mode", "全面检查不设抽查规则和随机种子")
    elif mode == "spot_check" or has_rules:
        if not has_rules:
            row.problem("sample_rules", f"抽查须填写抽查规则，如「{RULES_EXAMPLE}」")
        if not has_seed:
            row.problem("sample_seed", "抽查须填写随机种子")
    elif has_seed:
        row.problem("sample_rules", "填写了随机种子，但没有抽查规则")


# --- the 「抽查规则」 cell ---------------------------------------------------------------------------------------------

_RULE_SEPARATORS = re.compile(r"[;；\n]+")
_PART_SEPARATORS = re.compile(r"[:：]")
_LIST_SEPARATORS = re.compile(r"[、,，+/]+")
_TYPES = {fold(name): key for key, name in TYPE_NAMES.items()} | {
    fold(alias): key
    for alias, key in {
        "网站": "website", "专栏": "column", "信息公开专栏": "column", "新媒体": "account", "政府系统政务新媒体": "account",
        "账号": "account", "互动交流": "message_board", "办事指南来源": "service_guide",
    }.items()
}  # fmt: skip
_GROUPS = {
    "县（区）": "county",
    "县区": "county",
    "县": "county",
    "区县": "county",
    "县市区": "county",
    "平台": "platform",
}
_WHOLE_CITY = {"全市", "不分组"}
_PER_GROUP = re.compile(r"^(?:每组)?(?:不超过|最多)?(\d{1,6})个?$")
_RATIO = re.compile(r"^(?:每组)?(?:抽取|抽查)?(\d{1,3}(?:\.\d{1,4})?)[%％]$")
RULES_EXAMPLE = "政务新媒体：按县（区）、平台：每组5个"


def as_sample_rules(value: Cell) -> list[SampleRule]:
    """The rules of a 「抽查规则」 cell; a rule that cannot be read raises CellError saying which and why."""
    rules = []
    for number, text in enumerate((t for t in _RULE_SEPARATORS.split(clean_text(value)) if t.strip()), 1):
        parts = [p.strip() for p in _PART_SEPARATORS.split(text)]
        if len(parts) != 3:
            raise CellError(f"第{number}条规则应写作「对象类型：分组：数量」，如「{RULES_EXAMPLE}」")
        try:
            rules.append(SampleRule(types=_types(parts[0]), group_by=_groups(parts[1]), **_size(parts[2])))
        except ValueError as exc:
            raise CellError(f"第{number}条规则{_reason(exc)}") from None
    named = [t for rule in rules for t in rule.types]
    if len(set(named)) != len(named):
        raise CellError("同一对象类型只能有一条抽查规则")
    if not rules:
        raise CellError(f"应填写抽查规则，如「{RULES_EXAMPLE}」")
    return rules


def _reason(exc: ValueError) -> str:
    if isinstance(exc, CellError):
        return str(exc)
    return "：按平台分组只适用于政务新媒体" if "platform" in str(exc) else "不合规"


def _types(text: str) -> list[Any]:
    found = []
    for name in _LIST_SEPARATORS.split(text):
        key = _TYPES.get(fold(name))
        if key is None:
            raise CellError(f"：对象类型「{name}」应为{'、'.join(TYPE_NAMES.values())}之一")
        found.append(key)
    return found


def _groups(text: str) -> list[Any]:
    text = text.strip().removeprefix("按").removesuffix("分组")
    if text in _WHOLE_CITY:
        return []
    names = [n.replace("(", "（").replace(")", "）") for n in _LIST_SEPARATORS.split(text)]
    found = [_GROUPS.get(n) for n in names]
    if not names or None in found:
        raise CellError("：分组应为县（区）、平台或全市")
    return found


def _size(text: str) -> dict[str, Any]:
    folded = text.replace(" ", "").replace("　", "")
    per_group = _PER_GROUP.match(folded)
    if per_group and int(per_group.group(1)) >= 1:
        return {"per_group": int(per_group.group(1))}
    ratio = _RATIO.match(folded)
    if ratio:
        try:
            share = Decimal(ratio.group(1)) / 100
        except InvalidOperation:
            share = Decimal(0)
        if 0 < share <= 1:
            return {"ratio": float(share)}
    raise CellError("：数量应为每组个数（如「每组5个」）或比例（如「30%」）")


def format_sample_rules(sampling: Sampling) -> str:
    """The cell text of a sampling's rules, in the form ``as_sample_rules`` reads back."""
    return "；".join(_format_rule(rule) for rule in sampling.rules)


def _format_rule(rule: SampleRule) -> str:
    types = "、".join(TYPE_NAMES[t] for t in rule.types)
    groups = "按" + "、".join(GROUP_NAMES[g] for g in rule.group_by) if rule.group_by else "全市"
    size = f"{rule.per_group}个" if rule.per_group is not None else percent_text(rule.ratio or 1)
    size = f"每组{size}" if rule.group_by else size
    return f"{types}：{groups}：{size}"
