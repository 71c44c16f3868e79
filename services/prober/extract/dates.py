"""Dates as Chinese government sites print them, with the year of a bare month-day inferred.

Forms: 2022-09-28, 2022/9/28, 2022.09.28, 2022年9月28日 (full dates); [09-28], 【09-28】, 09月28日 (month and
day: the year is that of the latest such date not after the reference day); a list item's date cell holding only
09-28; and /t20220928_ in article URLs. Dates after the reference day are never returned: a page cannot have
published tomorrow's item, so such a date is an event date, a typo or a clock error. A date right after
「今天是」 or a copyright/ICP mark is the page's greeting or footer, not an item date.
"""

from __future__ import annotations

import re
from datetime import date

_FULL = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*"
    r"(?:(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})|年\s*(?P<cm>\d{1,2})\s*月\s*(?P<cd>\d{1,2})\s*日?)"
    r"(?!\d)"
)
_MONTH_DAY_CN = re.compile(r"(?<![\d年])(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
_MONTH_DAY_BRACKETED = re.compile(r"[\[【(（]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})\s*[\]】)）]")
# Only when the whole text is the date: a list's date cell <span>09-28</span>. Elsewhere it would match scores; 1.5 is a size.
_MONTH_DAY_CELL = re.compile(r"^\s*(?P<m>\d{1,2})\s*[-/]\s*(?P<d>\d{1,2})\s*$")
_URL = re.compile(r"(?:^|/)t(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})_")

# Text right before a date that makes it the page's greeting or its footer rather than an item date.
NOT_ITEM_MARKERS = (
    "今天是",
    "今天：",
    "今天:",
    "今日：",
    "今日:",
    "当前日期",
    "当前时间",
    "现在是",
    "©",
    "copyright",
    "版权",
    "icp",
    "备案",
)
MARKER_REACH = 12
_YEARS_BACK = 8  # a 02-29 looks back to the last leap year


def find_dates(text: str, reference: date, *, cell: bool = False) -> list[date]:
    """Every item date in ``text``, in order of appearance; ``cell`` also reads a text that is only 09-28."""
    found: list[tuple[int, date]] = []
    masked = list(text)
    for match in _FULL.finditer(text):
        masked[match.start() : match.end()] = " " * (match.end() - match.start())
        if is_greeting_or_footer(text, match.start()):
            continue
        month, day = match.group("m") or match.group("cm"), match.group("d") or match.group("cd")
        on = _valid(int(match.group("y")), int(month), int(day))
        if on is not None and on <= reference:
            found.append((match.start(), on))
    rest = "".join(masked)
    for pattern in (_MONTH_DAY_CN, _MONTH_DAY_BRACKETED):
        for match in pattern.finditer(rest):
            if not is_greeting_or_footer(text, match.start()):
                _append_inferred(found, match, reference)
    if cell and not found:
        only = _MONTH_DAY_CELL.match(text)
        if only is not None:
            _append_inferred(found, only, reference)
    return [on for _, on in sorted(found, key=lambda pair: pair[0])]


def date_in_url(url: str, reference: date) -> date | None:
    """The date of an article URL such as .../202209/t20220928_123456.html."""
    match = _URL.search(url)
    if match is None:
        return None
    on = _valid(int(match.group("y")), int(match.group("m")), int(match.group("d")))
    return on if on is not None and on <= reference else None


def infer_year(month: int, day: int, reference: date) -> date | None:
    """The latest date with this month and day that is not after ``reference``."""
    for year in range(reference.year, reference.year - _YEARS_BACK, -1):
        on = _valid(year, month, day)
        if on is not None and on <= reference:
            return on
    return None


def _append_inferred(found: list[tuple[int, date]], match: re.Match[str], reference: date) -> None:
    on = infer_year(int(match.group("m")), int(match.group("d")), reference)
    if on is not None:
        found.append((match.start(), on))


def is_greeting_or_footer(text: str, start: int) -> bool:
    before = text[max(0, start - MARKER_REACH) : start].lower()
    return any(marker in before for marker in NOT_ITEM_MARKERS)


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
