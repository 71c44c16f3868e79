"""Inventory → the same layout the import reads: an XLSX workbook (one sheet per kind) or one CSV file per sheet.

Export then import gives back an equal Inventory (targets grouped by sheet, in the sheets' order). ``version`` is not
written: the registry assigns versions itself.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from shared.clock import CHINA_TZ
from shared.events import Inventory, Period, Target, TargetType, Unit

from .checks import format_scope
from .choices import (
    ACCOUNT_STATUS_LABELS,
    BOOL_LABELS,
    FEED_KIND_LABELS,
    LEVEL_LABELS,
    PERIOD_MODE_LABELS,
    PRESENCE_LABELS,
    SITE_STATUS_LABELS,
    UNIT_STATE_LABELS,
)
from .headers import SHEETS, TARGET_SHEETS, UNITS, SheetSpec
from .periods import END_OF_DAY, START_OF_DAY, format_sample_rules

Value = str | int | date | datetime | None
SEPARATOR = "；"
_KIND_OF_SHEET = {
    "website": TargetType.website,
    "column": TargetType.column,
    "message_board": TargetType.message_board,
    "service_guide": TargetType.service_guide,
    "account": TargetType.account,
}


def sheet_rows(inventory: Inventory) -> dict[SheetSpec, list[list[Value]]]:
    """Every sheet's data rows, cells in the order of its columns (typed: text, int, date, datetime or None)."""
    rows: dict[SheetSpec, list[list[Value]]] = {UNITS: [r for u in inventory.units for r in _unit_rows(u)]}
    for spec in TARGET_SHEETS:
        kind = _KIND_OF_SHEET[spec.kind]
        rows[spec] = [_row(spec, _target_values(t)) for t in inventory.targets if t.type is kind]
    rows[SHEETS[-1]] = [_row(SHEETS[-1], _period_values(p)) for p in inventory.periods]
    return rows


def _row(spec: SheetSpec, values: dict[str, Value]) -> list[Value]:
    return [values.get(column.key) for column in spec.columns]


def _unit_rows(unit: Unit) -> list[list[Value]]:
    values: dict[str, Value] = {
        "unit_id": unit.unit_id,
        "name": unit.name,
        "short_name": unit.short_name or None,
        "code": unit.code or None,
        "level": LEVEL_LABELS[unit.level],
        "county": unit.county,
        "parent_id": unit.parent_id,
        "supervisor_id": unit.supervisor_id,
        "order": unit.order,
        "emails": SEPARATOR.join(unit.emails) or None,
        "mobiles": SEPARATOR.join(unit.mobiles) or None,
        "active": UNIT_STATE_LABELS[unit.active],
    }
    rows = []
    for n, contact in enumerate(unit.contacts or [None]):
        # later contacts repeat only the unit code: the import reads them as more contacts of the same unit
        row: dict[str, Value] = dict(values) if n == 0 else {"unit_id": unit.unit_id}
        if contact is not None:
            row |= {
                "contact_name": contact.name,
                "contact_role": contact.role or None,
                "contact_mobile": contact.mobile or None,
                "contact_email": contact.email or None,
                "contact_chatbot": contact.chatbot or None,
            }
        rows.append(_row(UNITS, row))
    return rows


def _target_values(t: Target) -> dict[str, Value]:
    labels = ACCOUNT_STATUS_LABELS if t.type is TargetType.account else SITE_STATUS_LABELS
    values: dict[str, Value] = {
        "target_id": t.target_id,
        "name": t.name,
        "url": t.url or None,
        "unit_id": t.unit_id,
        "status": labels.get(t.status, t.status.value),
        "registered_on": t.registered_on,
        "closed_on": t.closed_on,
        "profile": json.dumps(t.profile, ensure_ascii=False) if t.profile else None,
    }
    if t.type is TargetType.website:
        values |= {
            "site_code": t.site_code or None,
            "site_kind": t.site_kind or None,
            "has_message_board": BOOL_LABELS[t.has_message_board],
            "public_services": PRESENCE_LABELS[t.public_services],
        }
    elif t.type is TargetType.account:
        values |= {
            "platform": t.platform or None,
            "account_id": t.account_id or None,
            "feed_kind": FEED_KIND_LABELS.get(t.feed_kind, t.feed_kind) or None,
            "closure_required_by": t.closure_required_by,
        }
    else:
        values |= {
            "site": t.site_id,
            "column_type": t.column_type or None,
            "update_period_days": t.update_period_days,
            "first_level": BOOL_LABELS[t.first_level],
            "reply_days": t.reply_days,
        }
    return values


def _period_values(p: Period) -> dict[str, Value]:
    return {
        "period_id": p.period_id,
        "window_start": _moment(p.window_start, START_OF_DAY),
        "monitoring_point": _moment(p.monitoring_point, END_OF_DAY),
        "mode": PERIOD_MODE_LABELS[p.mode],
        "sample_rules": format_sample_rules(p.sampling) if p.sampling else None,
        "sample_seed": p.sampling.seed if p.sampling else None,
        "scope": format_scope(p.scope),
        "rule_set": p.rule_set or None,
    }


def _moment(at: datetime, usual: time) -> date | str:
    """A date when the instant is that day's usual start or end in Beijing time, else Beijing date and time as text.

    Text, because Excel hands a date cell back as midnight, which the import reads as the date alone.
    """
    local = at.astimezone(CHINA_TZ)
    return local.date() if local.time() == usual else local.strftime("%Y-%m-%d %H:%M:%S")


# --- XLSX -----------------------------------------------------------------------------------------------------------


def export_xlsx(inventory: Inventory) -> bytes:
    """The inventory as an XLSX workbook: sheets 单位, 网站, 栏目, 留言板, 办事指南, 政务新媒体, 监测周期, 填写说明."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for spec, rows in sheet_rows(inventory).items():
        sheet = workbook.create_sheet(spec.title)
        sheet.freeze_panes = "A2"
        for n, column in enumerate(spec.columns, start=1):
            sheet.column_dimensions[get_column_letter(n)].width = _width(column.header, column.key)
        header = []
        for column in spec.columns:
            cell = WriteOnlyCell(sheet, column.header)
            cell.font, cell.fill, cell.alignment = bold, fill, Alignment(wrap_text=True, vertical="center")
            header.append(cell)
        sheet.append(header)
        for row in rows:
            sheet.append([_xlsx_cell(sheet, value, WriteOnlyCell) for value in row])
    _instructions(workbook.create_sheet("填写说明"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _width(header: str, key: str) -> float:
    wide = {"name": 30, "url": 40, "profile": 30, "emails": 30, "contact_chatbot": 40, "contact_email": 26}
    return max(wide.get(key, 14), len(header) * 2 + 2)


# The C0 control characters XML 1.0 cannot carry (openpyxl's ILLEGAL_CHARACTERS_RE, without importing openpyxl here).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _xlsx_cell(sheet: Any, value: Value, make: Callable[..., Any]) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        # XML cannot carry most C0 control characters: openpyxl would refuse the whole workbook (a 500 on
        # GET /exports for one unit named with a stray \x1f). They are invisible in any name, so they are dropped.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = make(sheet, value)
    if isinstance(value, str):
        cell.data_type = "s"  # text stays text: never a formula, never a number that loses its leading zeros
        cell.number_format = "@"
    elif isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def _instructions(sheet: Any) -> None:
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 34
    sheet.column_dimensions["C"].width = 8
    sheet.column_dimensions["D"].width = 70
    sheet.append(["工作表", "列", "必填", "填写要求"])
    for spec in SHEETS:
        for column in spec.columns:
            sheet.append([spec.title, column.header, "是" if column.required else "", column.note])
    sheet.append([])
    sheet.append(["说明", "导入时逐行检查，发现任何问题则整批不导入，并列出每个问题所在的行、列和原因。"])


# --- CSV ------------------------------------------------------------------------------------------------------------


def export_csv(inventory: Inventory) -> dict[str, bytes]:
    """One CSV per sheet, ``<sheet>.csv`` → UTF-8 with BOM (so Excel opens it), CRLF line ends."""
    files = {}
    for spec, rows in sheet_rows(inventory).items():
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([column.header for column in spec.columns])
        writer.writerows([[_csv_text(value) for value in row] for row in rows])
        files[f"{spec.title}.csv"] = buffer.getvalue().encode("utf-8-sig")
    return files


def export_csv_zip(inventory: Inventory) -> bytes:
    """The CSV files in one ZIP (names in UTF-8), for a single download."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in export_csv(inventory).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _csv_text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
