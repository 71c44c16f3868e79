"""Rule sets from YAML: parse, resolve ``extends``, validate, and refuse a local set that loosens its base.

A local rule set lists only what it changes; it is merged over the rule set it extends (nested mappings merge,
lists and ``ATOMIC`` values replace), then checked field by field against it (``tightening``). Every problem found is
reported at once, in one ``RuleSetError``, each naming the file, the line when the field is written in the file, the
English field path and, in Chinese, what is wrong. Pure: the only I/O is ``builtin_rule_sets`` reading the shipped
directory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .problems import Problem, RuleSetError
from .ruleset import BUILTIN_DIR, META_FIELDS, RuleSet
from .tightening import loosened

__all__ = [
    "ATOMIC",
    "Builtin",
    "Parsed",
    "Problem",
    "RuleSetError",
    "build",
    "builtin_rule_sets",
    "load_rule_set",
    "merge",
    "parse",
]

# Values a local set replaces whole: a reply limit is one of months / working_days / hours, so merging
# ``{working_days: 5}`` into the national ``{months: 3}`` would give two limits.
ATOMIC = {("interaction", "reply_limit")}


@dataclass(frozen=True)
class Parsed:
    """A YAML rule set file, parsed but not yet validated: its mapping and the node tree that knows the lines."""

    source: str
    text: str
    document: dict[str, Any]
    node: yaml.Node

    @property
    def extends(self) -> str | None:
        value = self.document.get("extends")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Builtin:
    rule_set: RuleSet
    text: str
    source: str


def parse(text: str, source: str) -> Parsed:
    """YAML text → mapping; a syntax error or a duplicated key is a ``RuleSetError`` with its line and column."""
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # the reader refuses control characters here already (yaml.reader.ReaderError)
        node = loader.get_single_node()
        document = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise RuleSetError(source, [Problem("", f"YAML格式错误：{exc.problem or exc}", line, column)]) from exc
    except yaml.YAMLError as exc:
        raise RuleSetError(source, [Problem("", f"YAML格式错误：{exc}")]) from exc
    finally:
        if loader is not None:
            loader.dispose()
    if node is None or not isinstance(document, dict):
        raise RuleSetError(source, [Problem("", "规则集文件应为「字段: 值」形式的映射（YAML mapping）", 1, 1)])
    return Parsed(source, text, document, node)


def build(parsed: Parsed, base: RuleSet | None = None) -> RuleSet:
    """The rule set a parsed file describes, merged over ``base`` (the rule set its ``extends`` names)."""
    problems = _extends_problems(parsed, base)
    if problems:
        raise RuleSetError(parsed.source, _located(parsed, problems))
    document = parsed.document
    if base is not None:
        # Recorded as id@version: the stored set says exactly which base it was checked against.
        document = {**merge(base.model_dump(mode="json", exclude=set(META_FIELDS)), document), "extends": base.ref}
    try:
        rule_set = RuleSet.model_validate(document)
    except ValidationError as exc:
        raise RuleSetError(parsed.source, _located(parsed, [_problem(e) for e in exc.errors()])) from exc
    problems = consistency(rule_set) + (loosened(rule_set, base) if base is not None else [])
    if problems:
        raise RuleSetError(parsed.source, _located(parsed, problems))
    return rule_set


def load_rule_set(text: str, source: str, bases: Mapping[str, RuleSet] | None = None) -> RuleSet:
    """Parse and build in one step; ``bases`` holds the rule sets a file may extend, by id or id@version."""
    parsed = parse(text, source)
    base = find_base(bases or {}, parsed.extends) if parsed.extends else None
    return build(parsed, base)


def find_base(bases: Mapping[str, RuleSet], ref: str) -> RuleSet | None:
    if ref in bases:
        return bases[ref]
    rule_set_id, _, version = ref.partition("@")
    found = bases.get(rule_set_id)
    return found if found is not None and (not version or str(found.version) == version) else None


def merge(base: Mapping[str, Any], local: Mapping[str, Any], at: tuple[str, ...] = ()) -> dict[str, Any]:
    """``local`` over ``base``: nested mappings merge, everything else (lists, ``ATOMIC`` values) replaces."""
    merged = dict(base)
    for key, value in local.items():
        here = (*at, str(key))
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping) and here not in ATOMIC:
            merged[key] = merge(merged[key], value, here)
        else:
            merged[key] = value
    return merged


def builtin_rule_sets(directory: Path = BUILTIN_DIR) -> list[Builtin]:
    """Every ``*.yaml`` of the shipped directory, built, a base before the sets that extend it."""
    pending = [parse(path.read_text(encoding="utf-8"), path.name) for path in sorted(directory.glob("*.yaml"))]
    built: dict[str, RuleSet] = {}
    ordered: list[Builtin] = []
    while pending:
        ready = [p for p in pending if p.extends is None or find_base(built, p.extends) is not None]
        if not ready:  # a missing base or a cycle: each file says which base it could not find
            build(pending[0])
        for p in ready:
            rule_set = build(p, find_base(built, p.extends) if p.extends else None)
            built[rule_set.id] = rule_set
            ordered.append(Builtin(rule_set, p.text, p.source))
        pending = [p for p in pending if p not in ready]
    return ordered


# --- checks beyond the field types ----------------------------------------------------------------------------

# Rules whose ``threshold`` is a number of days, months, columns or findings: the rules read it as a whole number.
WHOLE_THRESHOLDS = (
    "homepage",
    "column",
    "newmedia",
    "content",
    "newmedia_content",
    "site_columns",
    "interaction",
    "services",
    "newmedia_interaction",
    "closure",
)


def consistency(rule_set: RuleSet) -> list[Problem]:
    """What the types cannot say: ranges, whole numbers, and a deduction part whose parts fit together."""
    found: list[Problem] = []
    if not 0 < rule_set.availability.threshold <= 1:
        found.append(Problem("availability.threshold", "应为0到1之间的比例（5%写作0.05）"))
    for section in WHOLE_THRESHOLDS:
        threshold = getattr(rule_set, section).threshold
        if threshold < 1 or threshold != int(threshold):
            found.append(Problem(f"{section}.threshold", f"应为正整数，现为{threshold:g}"))
    if not 0 <= rule_set.warnings.unreachable_ratio <= 1:
        found.append(Problem("warnings.unreachable_ratio", "应为0到1之间的比例（3%写作0.03）"))
    return found + _scoring_consistency(rule_set)


def _scoring_consistency(rule_set: RuleSet) -> list[Problem]:
    scoring = rule_set.scoring
    found: list[Problem] = []
    groups = [g.group_id for g in scoring.groups]
    found += _duplicates("scoring.groups", "group_id", groups)
    found += _duplicates("scoring.items", "item_id", [i.item_id for i in scoring.items])
    for i, item in enumerate(scoring.items):
        if item.group_id not in groups:
            message = f"扣分项所属指标「{item.group_id}」不在 scoring.groups 中"
            found.append(Problem(f"scoring.items[{i}].group_id", message))
    total = sum(g.total for g in scoring.groups)
    if total != scoring.full_marks:
        message = f"各扣分指标分值合计{total:g}分，应等于满分{scoring.full_marks:g}分"
        found.append(Problem("scoring.groups", message))
    if not 0 < scoring.threshold <= scoring.full_marks:
        found.append(Problem("scoring.threshold", f"合格线应在0分到满分{scoring.full_marks:g}分之间"))
    return found


def _duplicates(path: str, field: str, values: Sequence[str]) -> list[Problem]:
    return [
        Problem(f"{path}[{i}].{field}", f"「{v}」重复出现")
        for i, v in enumerate(values)
        if v in values[:i]  # the second and later occurrences
    ]


def _extends_problems(parsed: Parsed, base: RuleSet | None) -> list[Problem]:
    ref = parsed.extends
    if ref is None:
        return []
    if base is None:
        return [Problem("extends", f"找不到所依据的规则集「{ref}」")]
    if base.id == parsed.document.get("id"):
        return [Problem("extends", "规则集不能依据自身；修改国家规则请提交新的版本号")]
    if find_base({base.id: base}, ref) is None:
        return [Problem("extends", f"所依据的规则集应为「{ref}」，实际提供的是「{base.ref}」")]
    return []


# --- pydantic's errors in an office user's words ----------------------------------------------------------------

TYPE_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不认识的字段（请检查拼写，或删去）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文字",
    "list_type": "应为列表（[甲, 乙] 或逐行“- 甲”）",
    "dict_type": "应为「字段: 值」形式的映射",
    "model_type": "应为「字段: 值」形式的映射",
    "model_attributes_type": "应为「字段: 值」形式的映射",
    "string_too_short": "不能为空",
    "string_pattern_mismatch": "只能由小写字母、数字和连字符组成（extends 可加“@版本号”，如 national-2019@1）",
}

# A model's own checks, by their English reason.
VALUE_MESSAGES = {
    "a reply limit is exactly one of months, working_days, hours": (
        "答复时限应在 months（个月）、working_days（个工作日）、hours（小时）中恰好写一项"
    ),
}


def _problem(error: ErrorDetails) -> Problem:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind in TYPE_MESSAGES:
        message = TYPE_MESSAGES[kind]
    elif kind == "enum":
        message = f"应为{ctx.get('expected', '')}之一"
    elif kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        message = f"不得小于{bound}" if kind == "greater_than_equal" else f"应大于{bound}"
    elif kind == "value_error":
        reason = str(ctx.get("error", error["msg"]))
        message = VALUE_MESSAGES.get(reason, f"取值无效：{reason}")
    else:
        message = f"取值无效：{error['msg']}"
    value = error.get("input")
    if kind not in ("missing", "extra_forbidden") and isinstance(value, str | int | float | bool):
        message += f"，现为「{value}」"
    return Problem(_path(error["loc"]), message)


def _path(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --- lines: where a field is written in the file ----------------------------------------------------------------


def _located(parsed: Parsed, problems: list[Problem]) -> list[Problem]:
    located: list[Problem] = []
    for p in problems:
        mark = _mark(parsed.node, _parts(p.path)) if p.path else None
        located.append(Problem(p.path, p.message, *mark) if mark and p.line is None else p)
    return located


def _parts(path: str) -> list[str | int]:
    return [int(t[1:-1]) if t.startswith("[") else t for t in re.findall(r"\[\d+\]|[^.\[\]]+", path)]


def _mark(node: yaml.Node, parts: Sequence[str | int]) -> tuple[int, int] | None:
    """The line and column of the deepest part of ``path`` written in the file (a key's own line when found)."""
    found: tuple[int, int] | None = None
    for part in parts:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    found, child = (key.start_mark.line + 1, key.start_mark.column + 1), value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            found = (child.start_mark.line + 1, child.start_mark.column + 1)
        if child is None:
            return found
        node = child
    return found


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key written twice (it would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # an unhashable key: the safe loader reports it itself
            if duplicate:
                raise yaml.constructor.ConstructorError(None, None, f"字段「{key}」重复出现", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)
