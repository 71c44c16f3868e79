"""The 「检查范围」 and 「规则集」 cells of the 监测周期 sheet: which rules a period checks, and by which rule set.

A 「检查范围」 cell lists rules separated by 「、」「，」「；」 or new lines, each written as its label
(「站点无法访问（W-V2）」, shared.events.RULES), its short problem words (「站点无法访问」), its indicator code
(「W-V2」) or its rule name (「availability」). W-V4 is two rules: the site-wide veto (site_columns) and the
per-column check (column). 「严重表述错误」 and 「互动回应差」 name a website rule and a new-media rule alike, so they
mean both. Empty means every rule; 「无」 alone means none (an empty scope, kept so that export → import is exact).
"""

from __future__ import annotations

import re
import unicodedata

from shared import events
from shared.events import RULES

from .cells import Cell, CellError, clean_text, fold

SEPARATORS = frozenset("、,;\n\r")  # after NFKC: 「，」→「,」 and 「；」→「;」
LIST_SEPARATOR = "、"
NONE_WORD = "无"
ALL_WORDS = frozenset({"全部", "全部规则", "全部检查项", "全部指标"})
RULE_SET_REF = re.compile(events.RULE_SET_REF)
RULE_SET_EXAMPLE = "national-2019、lincang-2022@1"

_CODE = re.compile(r"[WN]-V\d")
_TRAILING_NOTE = re.compile(r"[（(][^（()）]*[)）]$")
# Other ways offices write a problem (the notices' wording), beyond the labels' short words.
_ALIASES = {
    "网站无法访问": ("availability",),
    "首页长期不更新": ("homepage",),
    "栏目长期不更新": ("site_columns",),
    "内容长期不更新": ("newmedia",),
    "僵尸账号": ("closure",),
}


def indicator_codes() -> dict[str, tuple[str, ...]]:
    """Indicator code → the rules that check it, read from the labels; W-V4 adds the per-column rule."""
    codes: dict[str, tuple[str, ...]] = {}
    for name, label in RULES.items():
        for code in _CODE.findall(label):
            codes[code] = (*codes.get(code, ()), name)
    if "W-V4" in codes and "column" in RULES:
        codes["W-V4"] = (*codes["W-V4"], "column")
    return codes


def _spellings() -> dict[str, tuple[str, ...]]:
    """Folded spelling → rules; later entries win, so a full label or a rule name always means exactly itself."""
    found: dict[str, tuple[str, ...]] = {}
    for name, label in RULES.items():  # short words: one may name two rules (website and new media)
        short = fold(_TRAILING_NOTE.sub("", label))
        found[short] = (*found.get(short, ()), name)
    found |= {fold(word): names for word, names in _ALIASES.items() if all(n in RULES for n in names)}
    for code, names in indicator_codes().items():
        found[fold(code)] = names
        found[fold(code.replace("-", ""))] = names
    found |= {fold(label): (name,) for name, label in RULES.items()}
    found |= {fold(name): (name,) for name in RULES}
    return found


_SPELLINGS = _spellings()


def split_entries(text: str) -> list[str]:
    """Entries separated by 、，；or new lines, but not inside parentheses (「栏目不更新（W-V4，全站）」 is one)."""
    entries: list[str] = []
    current: list[str] = []
    depth = 0
    for char in unicodedata.normalize("NFKC", text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        if char in SEPARATORS and depth == 0:
            entries.append("".join(current))
            current = []
        else:
            current.append(char)
    entries.append("".join(current))
    return [e.strip() for e in entries if e.strip()]


def as_scope(value: Cell) -> list[str] | None:
    """The rules a 「检查范围」 cell names, in the order written, each once; None for every rule."""
    text = clean_text(value)
    if fold(text) == NONE_WORD:
        return []
    if not text or fold(text) in ALL_WORDS:
        return None
    entries = split_entries(text)
    unknown = [e for e in entries if fold(e) not in _SPELLINGS]
    if unknown or not entries:
        shown = "、".join(f"「{e}」" for e in unknown)
        raise CellError((f"{shown}不是可识别的检查项" if unknown else "没有填写检查项") + f"；{accepted_entries()}")
    scope: list[str] = []
    for entry in entries:
        scope += [name for name in _SPELLINGS[fold(entry)] if name not in scope]
    return scope


def accepted_entries() -> str:
    """What a 「检查范围」 cell may hold, for problems and the template's instructions."""
    labels = "、".join(RULES.values())
    codes = "、".join(sorted(indicator_codes(), key=lambda code: (code[0] != "W", code)))
    return (
        f"可填写：{labels}，或括号前的问题（如「站点无法访问」）；也可写指标编号 {codes}（W-V4 含全站和逐栏目两项），"
        f"或规则名 {'、'.join(RULES)}；多项用「、」分隔，留空为全部检查"
    )


def format_scope(scope: list[str] | None) -> str | None:
    """The cell text of a scope, in the form ``as_scope`` reads back: the labels, or 「无」 for an empty scope."""
    if scope is None:
        return None
    return LIST_SEPARATOR.join(RULES[name] for name in scope) if scope else NONE_WORD


def as_rule_set(value: Cell) -> str:
    """A rule set's id or id@version, as the evaluator names them (lower case; spaces and full-width folded)."""
    text = fold(value)
    if not RULE_SET_REF.match(text):
        raise CellError(
            f"规则集应写作规则集编号或“编号@版本号”（小写字母、数字和连字符），如 {RULE_SET_EXAMPLE}；留空为默认规则集"
        )
    return text
