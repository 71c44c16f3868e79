"""Cell values as offices type them, turned into plain values; a bad value raises CellError with a Chinese reason.

Every function takes what openpyxl or the csv module hands over (str, int, float, bool, date, datetime, None) and
never raises anything but CellError, so a row can always be reported instead of crashing the import.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

EARLIEST = date(1980, 1, 1)
LATEST = date(2099, 12, 31)
_EXCEL_EPOCH = date(1899, 12, 30)
_FIRST_SERIAL = (EARLIEST - _EXCEL_EPOCH).days
_LAST_SERIAL = (LATEST - _EXCEL_EPOCH).days

# Spaces offices leave around values: ASCII and ideographic spaces, no-break and zero-width spaces, stray BOMs.
_EDGE = " \t\r\n\u3000\u00a0\u200b\u200c\u200d\u2060\ufeff"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ALL_SPACE = re.compile(r"[\s\u3000\u00a0\u200b\u200c\u200d\u2060\ufeff]+")
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE]\+?\d+$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s;,；，、]+@[^@\s;,；，、]+\.[^@\s;,；，、]+$")
_MOBILE = re.compile(r"^1\d{10}$")
_SITE_CODE = re.compile(r"^\d{10}$")
_LIST_SEPARATORS = re.compile(r"[;；,，、/\s\u3000]+")
_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$"
)
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class CellError(ValueError):
    """A cell that cannot be used; the message is the reason in Chinese, shown to the person who filled it."""


Cell = object


def clean_text(value: Cell) -> str:
    """A cell as text: numbers without a spurious '.0', control characters dropped, edges stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return _CONTROL.sub("", str(value)).strip(_EDGE)


def is_blank(value: Cell) -> bool:
    return clean_text(value) == ""


def fold(value: Cell) -> str:
    """Text for comparing codes and choices: full-width folded to half-width, spaces removed, lower case."""
    return _ALL_SPACE.sub("", unicodedata.normalize("NFKC", clean_text(value))).lower()


def as_text(value: Cell, max_len: int = 200) -> str:
    text = clean_text(value)
    if len(text) > max_len:
        raise CellError(f"内容过长（最多{max_len}个字）")
    return text


def as_code(value: Cell) -> str:
    """A code typed as text or turned into a number by Excel."""
    text = _ALL_SPACE.sub("", unicodedata.normalize("NFKC", clean_text(value)))
    if _SCIENTIFIC.match(text):
        raise CellError("被 Excel 改写成了科学计数法，请把该列设为“文本”格式后重新填写")
    return text


def as_id(value: Cell) -> str:
    text = as_code(value)
    if not _ID.match(text):
        raise CellError("编码只能由字母、数字和 - _ . : 组成，以字母或数字开头，不超过64个字符")
    return text


def as_url(value: Cell) -> str:
    text = unicodedata.normalize("NFKC", clean_text(value))
    bad = CellError("不是有效的网址（应以 http:// 或 https:// 开头）")
    if _ALL_SPACE.search(text) or len(text) > 2000:
        raise bad
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises on a port out of range
    except ValueError:
        raise bad from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "." not in parts.hostname + ".":
        raise bad
    return text


def url_key(url: str) -> str:
    """What makes two addresses the same page: host (lower case) and port, path without a trailing slash, query."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port else ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{port}{parts.path.rstrip('/')}{query}"


def as_site_code(value: Cell) -> str:
    text = as_code(value)
    if not _SITE_CODE.match(text):
        raise CellError("网站标识码应为10位数字")
    return text


def as_mobile(value: Cell) -> str:
    text = as_code(value).replace("-", "")
    if text.startswith("+86"):
        text = text[3:]
    elif len(text) == 13 and text.startswith("86"):
        text = text[2:]
    if not _MOBILE.match(text):
        raise CellError("不是有效的手机号码（应为以1开头的11位数字）")
    return text


def as_email(value: Cell) -> str:
    text = unicodedata.normalize("NFKC", clean_text(value))
    if len(text) > 200 or not _EMAIL.match(text):
        raise CellError("不是有效的电子邮箱地址")
    return text


def _split(value: Cell) -> list[str]:
    return [part for part in _LIST_SEPARATORS.split(unicodedata.normalize("NFKC", clean_text(value))) if part]


def as_emails(value: Cell) -> list[str]:
    """Several mailboxes in one cell, separated by ；, ，, 、, spaces or new lines."""
    emails = []
    for part in _split(value):
        try:
            emails.append(as_email(part))
        except CellError:
            raise CellError(f"「{part}」不是有效的电子邮箱地址（多个邮箱用“；”分隔）") from None
    return emails


def as_mobiles(value: Cell) -> list[str]:
    mobiles = []
    for part in _split(value):
        try:
            mobiles.append(as_mobile(part))
        except CellError:
            raise CellError(f"「{part}」不是有效的手机号码（应为以1开头的11位数字，多个号码用“；”分隔）") from None
    return mobiles


def as_date(value: Cell) -> date:
    """A date as Excel stores it or as people type it: 2022-09-28, 2022/9/28, 2022年9月28日, 20220928."""
    bad = CellError("不是有效的日期（可写作 2022-09-28、2022/9/28、2022年9月28日 或 20220928）")
    found = _date_of(value, bad)
    if not EARLIEST <= found <= LATEST:
        raise CellError(f"日期超出合理范围（{EARLIEST.year}年至{LATEST.year}年）")
    return found


def _date_of(value: Cell, bad: CellError) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise bad
    if isinstance(value, int | float):
        return _date_of_number(value, bad)
    text = unicodedata.normalize("NFKC", clean_text(value))
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _date_of_number(float(text), bad)
    if re.fullmatch(r"\d{8}", text):
        return _make_date(int(text[:4]), int(text[4:6]), int(text[6:]), bad)
    match = _DATE_TEXT.match(text)
    if not match:
        raise bad
    return _make_date(int(match[1]), int(match[2]), int(match[3]), bad)


def _date_of_number(number: float, bad: CellError) -> date:
    if 19000101 <= number <= 21001231 and float(number).is_integer():
        digits = str(int(number))
        return _make_date(int(digits[:4]), int(digits[4:6]), int(digits[6:]), bad)
    if _FIRST_SERIAL <= number <= _LAST_SERIAL:  # an Excel date serial in a cell formatted as a number
        return _EXCEL_EPOCH + timedelta(days=int(number))
    raise bad


def _make_date(year: int, month: int, day: int, bad: CellError) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise bad from None


def as_datetime(value: Cell, default: time) -> tuple[date, time]:
    """A date, or a date with a time of day (for monitoring periods); a bare date takes ``default``."""
    if isinstance(value, datetime) and value.time() != time(0):
        return as_date(value), value.time().replace(microsecond=0)
    day = as_date(value)  # Excel hands a date cell over as midnight: it means the date alone
    match = _DATE_TEXT.match(unicodedata.normalize("NFKC", clean_text(value)))
    if match and match[4] is not None:
        try:
            return day, time(int(match[4]), int(match[5]), int(match[6] or 0))
        except ValueError:
            raise CellError("不是有效的时间（应为 时:分:秒，如 23:59:59）") from None
    return day, default


_TRUE = frozenset({"是", "有", "y", "yes", "true", "1", "√", "✓", "✔", "对"})
_FALSE = frozenset({"否", "无", "n", "no", "false", "0", "×", "✗", "✘", "不是"})


def as_bool(value: Cell) -> bool:
    if isinstance(value, bool):
        return value
    text = fold(value)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError("应填写“是”或“否”")


def as_int(value: Cell, low: int, high: int, suffix: str = "") -> int:
    bad = CellError(f"应为{low}到{high}之间的整数" + (f"（单位：{suffix}）" if suffix else ""))
    if isinstance(value, bool):
        raise bad
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise bad
        number = int(value)
    else:
        text = fold(value).removesuffix(fold(suffix)) if suffix else fold(value)
        if not re.fullmatch(r"[+-]?\d{1,9}(\.0+)?", text):
            raise bad
        number = int(float(text))
    if not low <= number <= high:
        raise bad
    return number


def as_choice(value: Cell, choices: Mapping[str, str], shown: str) -> str:
    """One of a fixed set of values; ``choices`` maps folded spellings (see ``fold``) to the stored value."""
    found = choices.get(fold(value))
    if found is None:
        raise CellError(f"应为{shown}之一")
    return found


def as_profile(value: Cell) -> dict[str, str]:
    bad = CellError('应为 JSON 对象，键和值都是文本，如 {"list": "ul.news li"}')
    try:
        data = json.loads(clean_text(value))
    except ValueError:
        raise bad from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise bad
    return {str(k): v for k, v in data.items()}


def credit_code_check(body: str) -> str:
    """The 18th character of a 统一社会信用代码 (GB 32100-2015) for its first 17."""
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(body, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def as_credit_code(value: Cell) -> str:
    text = as_code(value).upper()
    if len(text) != 18 or any(c not in _CREDIT_ALPHABET for c in text):
        raise CellError("统一社会信用代码应为18位（数字或大写字母，不含 I、O、Z、S、V）")
    if credit_code_check(text[:17]) != text[17]:
        raise CellError("统一社会信用代码校验位不正确，请核对")
    return text


_QUARTERS = {"1": "1", "2": "2", "3": "3", "4": "4", "一": "1", "二": "2", "三": "3", "四": "4"}


def as_period_id(value: Cell) -> str:
    """2022Q3, 2022-Q3, 2022年第三季度, 2022年三季度, 2022年第3季度 → 2022Q3."""
    text = fold(value)
    match = re.fullmatch(r"(\d{4})(?:-?q([1-4])|年第?([1-4一二三四])季度)", text)
    if not match:
        raise CellError("监测周期应写作 2022Q3 或 2022年第三季度")
    return f"{match[1]}Q{_QUARTERS[match[2] or match[3]]}"
