"""Posting activity from a platform's back-office export (CSV or XLSX), for accounts with no feed at all.

微信公众平台, 微博 and 抖音 back offices export their posts with Chinese headers that differ by platform and
year; the date column and the title column are found by name, the interaction function by a comment or message
count column.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import openpyxl

from shared.clock import CHINA_TZ, ensure_aware

from .feeds import Post, parse_any_stamp

DATE_HEADERS = ("发布时间", "发表时间", "群发时间", "发文时间", "发送时间", "创建时间", "时间", "日期", "publish_time")
TITLE_HEADERS = ("标题", "文章标题", "微博正文", "正文", "作品描述", "作品名称", "内容", "title")
INTERACTION_HEADERS = ("留言", "留言数", "评论", "评论数", "评论量", "回复数")
MAX_BYTES = 20 * 1024 * 1024  # an export of a few years of posts is well under this


class ExportError(ValueError):
    """The file cannot be read as an export; the message says why, in Chinese, for the person who uploaded it."""


@dataclass(frozen=True)
class ExportRead:
    posts: list[Post]
    has_interaction: bool | None
    skipped_rows: list[int] = field(default_factory=list)  # rows whose date could not be read (1-based)


def read_export(filename: str, body: bytes) -> ExportRead:
    if len(body) > MAX_BYTES:
        raise ExportError(f"文件超过 {MAX_BYTES // 1024 // 1024} MB，请按季度分段导出")
    rows = _xlsx_rows(body) if filename.lower().endswith(".xlsx") else _csv_rows(body)
    header_at, header = _find_header(rows)
    date_col = _column(header, DATE_HEADERS)
    if date_col is None:
        raise ExportError(f"未找到发布时间列（应为 {'、'.join(DATE_HEADERS[:5])} 之一）")
    title_col = _column(header, TITLE_HEADERS)
    posts: list[Post] = []
    skipped: list[int] = []
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(str(cell).strip() for cell in row if cell is not None):
            continue
        at = _when(row[date_col] if date_col < len(row) else None)
        if at is None:
            skipped.append(number)
            continue
        title = str(row[title_col]) if title_col is not None and title_col < len(row) and row[title_col] else ""
        posts.append((at, title))
    if not posts:
        raise ExportError("文件中没有可识别发布时间的内容")
    interaction = True if _column(header, INTERACTION_HEADERS) is not None else None
    return ExportRead(posts, interaction, skipped)


def _xlsx_rows(body: bytes) -> list[list[Any]]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ExportError("不是有效的 XLSX 文件") from exc
    try:
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError, TypeError) as exc:
        # A workbook whose parts are missing or malformed fails while its rows are read, not when it is opened.
        raise ExportError("不是有效的 XLSX 文件") from exc


def _csv_rows(body: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            # newline="": the csv module reads \r, \n and \r\n endings itself (a bare \r used to raise csv.Error → 500).
            return [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
        except csv.Error as exc:
            raise ExportError(f"不是有效的 CSV 文件：{exc}") from exc
    raise ExportError("无法识别文件编码（应为 UTF-8 或 GB18030 的 CSV）")


def _find_header(rows: list[list[Any]]) -> tuple[int, list[str]]:
    """Back-office exports often put a title or a date range above the header: look in the first rows."""
    for index, row in enumerate(rows[:10]):
        names = [str(cell).strip() if cell is not None else "" for cell in row]
        if _column(names, DATE_HEADERS) is not None:
            return index, names
    raise ExportError(f"未找到表头（前 10 行中没有 {'、'.join(DATE_HEADERS[:5])} 等列）")


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def _when(cell: Any) -> datetime | None:
    if isinstance(cell, datetime):
        return ensure_aware(cell)
    if isinstance(cell, date):
        return datetime.combine(cell, time(12), CHINA_TZ)
    if isinstance(cell, str):
        found = _STAMP.search(cell)
        if found is None:
            return parse_any_stamp(cell)
        year, month, day, hour, minute, second = (int(g) if g else None for g in found.groups())
        try:
            return datetime(year or 0, month or 0, day or 0, hour or 12, minute or 0, second or 0, tzinfo=CHINA_TZ)
        except ValueError:
            return None
    return parse_any_stamp(cell)


# 2022-09-20 10:00, 2022/9/25, 2022.9.25 8:05:01, 2022年9月25日 — as back offices and spreadsheets write them.
_STAMP = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
