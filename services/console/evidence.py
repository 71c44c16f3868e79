"""The evidence viewer's pure core: the archived page decoded as the prober read it, its item dates marked.

The prober archives the raw bytes of every page it read (by SHA-256) and names the hash in the observation; the
observation's facts say which items it found and their dates. Here the bytes are decoded (the declared charset,
the page's own <meta>, then UTF-8, then GB18030: GBK sites included) and every date in the page's text that is the
date of a found item is wrapped in ``<mark>`` — the newest item's with ``class="xj-newest"``, so the reader sees at
once what 「首页长期不更新」 rests on. Only text between tags is touched (never attributes, scripts or styles), and
a date after 「今天是」 or a copyright/ICP mark is the page's greeting or footer, not an item's, so it is left alone.

The copy is served under ``SANDBOX_CSP`` inside ``<iframe sandbox>``: no script runs, nothing is loaded from
anywhere, forms go nowhere.
"""

from __future__ import annotations

import codecs
import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

# The greetings and footers the prober skips when it dates items; the highlighter skips the same.
from services.prober.extract.dates import MARKER_REACH, is_greeting_or_footer

# The sandboxed copy: no scripts (sandbox, no script-src), no external loads (default-src 'none'), inline styles
# only; framed only by the console itself.
SANDBOX_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
# The viewer page itself: the frame may show only the console's own copy (a link clicked inside it cannot
# navigate the frame to the archived site).
VIEWER_CSP = "frame-src 'self'; object-src 'none'; base-uri 'self'"

MARK_STYLE = (
    "<style>mark.xj-newest{background:#ffd666;outline:2px solid #d4380d;color:#000}"
    "mark.xj-item{background:#fff1b8;color:#000}</style>"
)

_GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "ms936", "csgb2312"}
_WEAK = {"iso8859-1", "ascii", "cp1252"}
_DECLARED = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)|<\?xml[^>]+?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    if name in _GB_FAMILY:
        return "gb18030"  # GB2312 and GBK are subsets; sites that declare them use characters beyond them
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(body: bytes, content_type: str = "") -> tuple[str, str]:
    """The page's text and the codec that read it: the header's charset, the page's own, UTF-8, GB18030."""
    header = _HEADER_CHARSET.search(content_type)
    declared = _DECLARED.search(body[:4096])
    in_page = (declared.group(1) or declared.group(2)).decode("ascii", "ignore") if declared else None
    named = [c for c in (_codec(header.group(1) if header else None), _codec(in_page)) if c]
    strong = [c for c in named if c not in _WEAK]
    if strong and strong[0] == "gb18030" and not body.isascii() and _is_utf8(body):
        strong.insert(0, "utf-8")  # a GB label on valid UTF-8 is a mislabelled UTF-8 page
    ordered = list(dict.fromkeys([*strong, "utf-8", "gb18030", *(c for c in named if c in _WEAK)]))
    for codec in ordered:
        try:
            return body.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return body.decode(ordered[0], errors="replace"), ordered[0]


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --- the dated items the prober found ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DatedItem:
    title: str
    url: str
    published_on: date | None
    newest: bool


def dated_items(facts: Mapping[str, Any]) -> list[DatedItem]:
    """The items of a homepage or column observation, newest first, the newest ones flagged."""
    newest = _date(facts.get("newest_item_on"))
    items = [
        DatedItem(str(i.get("title", "")), str(i.get("url", "")), _date(i.get("published_on")), False)
        for i in facts.get("items", []) or []
    ]
    items.sort(key=lambda i: i.published_on or date.min, reverse=True)
    return [DatedItem(i.title, i.url, i.published_on, i.published_on == newest and newest is not None) for i in items]


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


# --- marking dates in the page's text ----------------------------------------------------------------------------

_DATES = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*"
    r"(?:(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})|年\s*(?P<cm>\d{1,2})\s*月\s*(?P<cd>\d{1,2})\s*日?)"
    r"(?!\d)"
    r"|(?<![\d年])(?P<mm>\d{1,2})\s*月\s*(?P<md>\d{1,2})\s*日"
    r"|[\[【(（]\s*(?P<bm>\d{1,2})\s*[-/.]\s*(?P<bd>\d{1,2})\s*[\]】)）]"
)
_CELL = re.compile(r"^(?P<lead>\s*)(?P<date>(?P<m>\d{1,2})\s*[-/]\s*(?P<d>\d{1,2}))\s*$")
_TOKENS = re.compile(r"<!--.*?-->|<![^>]*>|<[^>]*>", re.DOTALL)
_RAW_TEXT = re.compile(r"<(script|style|title|textarea|noscript)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Marked:
    html: str
    marks: int  # dates marked
    newest_marks: int  # of them, the newest item's date


def mark_dates(page: str, dates: Iterable[date], newest: date | None) -> Marked:
    """``page`` with every text occurrence of one of ``dates`` wrapped in <mark> (the newest: class xj-newest).

    A full date (2022-09-28, 2022/9/28, 2022年9月28日) must match exactly; a month-day (09月28日, [09-28], a text
    that is only 09-28) matches an item date with that month and day, as the prober read it.
    """
    full = set(dates) | ({newest} if newest else set())
    month_days = {(d.month, d.day) for d in full}
    out: list[str] = []
    counts = [0, 0]
    raw_until: str | None = None
    position = 0
    recent = ""  # the visible text just before, across tags: 今天是<span>2022年9月29日</span> is a greeting
    for token in _TOKENS.finditer(page):
        text = page[position : token.start()]
        if not raw_until:
            out.append(_mark_text(text, recent, full, month_days, newest, counts))
            recent = (recent + text)[-MARKER_REACH:]
        else:
            out.append(text)
        tag = token.group(0)
        out.append(tag)
        position = token.end()
        if raw_until:
            if tag.lower().startswith(f"</{raw_until}"):
                raw_until = None
        else:
            opened = _RAW_TEXT.match(tag)
            if opened and not tag.endswith("/>"):
                raw_until = opened.group(1).lower()
    tail = page[position:]
    out.append(tail if raw_until else _mark_text(tail, recent, full, month_days, newest, counts))
    return Marked("".join(out), counts[0], counts[1])


def _mark_text(
    text: str,
    recent: str,
    full: set[date],
    month_days: set[tuple[int, int]],
    newest: date | None,
    counts: list[int],
) -> str:
    if not text.strip() or not full:
        return text
    cell = _CELL.match(text)
    if cell is not None:  # a list's date cell: <span>09-28</span>
        found = _month_day(cell.group("m"), cell.group("d"))
        if found in month_days and not is_greeting_or_footer(recent + text, len(recent) + cell.start("date")):
            start, end = cell.span("date")
            return text[:start] + _mark(text[start:end], _is_newest_md(found, newest), counts) + text[end:]
        return text
    pieces: list[str] = []
    last = 0
    for match in _DATES.finditer(text):
        hit = _hit(match, full, month_days, newest)
        if hit is None or is_greeting_or_footer(recent + text, len(recent) + match.start()):
            continue
        pieces += [text[last : match.start()], _mark(match.group(0), hit, counts)]
        last = match.end()
    return "".join(pieces) + text[last:] if pieces else text


def _hit(match: re.Match[str], full: set[date], month_days: set[tuple[int, int]], newest: date | None) -> bool | None:
    """None: not an item date; else whether it is the newest item's date."""
    if match.group("y"):
        month, day = match.group("m") or match.group("cm"), match.group("d") or match.group("cd")
        try:
            on = date(int(match.group("y")), int(month), int(day))
        except ValueError:
            return None
        return on == newest if on in full else None
    md = _month_day(match.group("mm") or match.group("bm"), match.group("md") or match.group("bd"))
    return _is_newest_md(md, newest) if md in month_days else None


def _month_day(month: str, day: str) -> tuple[int, int]:
    return int(month), int(day)


def _is_newest_md(md: tuple[int, int], newest: date | None) -> bool:
    return newest is not None and md == (newest.month, newest.day)


def _mark(shown: str, newest: bool, counts: list[int]) -> str:
    counts[0] += 1
    counts[1] += int(newest)
    return f'<mark class="{"xj-newest" if newest else "xj-item"}">{shown}</mark>'


def sandboxed_copy(page: str, facts: Mapping[str, Any]) -> Marked:
    """The page as the prober saw it with its item dates marked and the marks' style added (inline, allowed)."""
    items = dated_items(facts)
    marked = mark_dates(page, [i.published_on for i in items if i.published_on], _date(facts.get("newest_item_on")))
    head = re.search(r"<head\b[^>]*>", marked.html, re.IGNORECASE)
    at = head.end() if head else 0
    return Marked(marked.html[:at] + MARK_STYLE + marked.html[at:], marked.marks, marked.newest_marks)


def plain_text_page(text: str) -> str:
    """A body that is not HTML (a feed, an export) shown as text, escaped."""
    return f"<!doctype html><meta charset=utf-8><pre style='white-space:pre-wrap'>{html.escape(text)}</pre>"
