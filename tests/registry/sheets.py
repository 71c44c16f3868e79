"""Building spreadsheets in tests, cell by cell, as offices fill them in."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import openpyxl


def workbook(sheets: Mapping[str, Sequence[Sequence[object]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
