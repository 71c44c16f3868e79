"""The notice's attachment lists as XLSX, one sheet per attachment, ready to print on A4 (pure).

Offices pass the lists on as spreadsheets (to the counties that must rectify, to the 整改台账), so every sheet carries
the attachment's title, its header, its rows in the notice's order with the platform sub-headings, and the monitoring
window, exactly as the DOCX and the PDF print them.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.writer.excel import ExcelWriter

from services.reporter.document import Attachment, NoticeDocument
from services.reporter.ooxml import issued_at, repack

TITLE_SIZE, BODY_SIZE = 16, 11  # pt
GB2312 = 134  # the font charset Excel and WPS expect for simplified Chinese font names
THIN = Side(style="thin", color="000000")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRED = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
# Named cell styles (they show in Excel's style gallery): name → font, bold, size, alignment, ruled.
STYLES = {
    "附件标题": ("方正小标宋简体", False, TITLE_SIZE, CENTRED, False),
    "附件表头": ("宋体", True, BODY_SIZE, CENTRED, True),
    "附件表格": ("宋体", False, BODY_SIZE, CENTRED, True),
    "附件分组": ("宋体", True, BODY_SIZE, LEFT, True),
    "附件说明": ("宋体", False, BODY_SIZE, LEFT, False),
}
# Column widths in Excel's units (about one Latin 11 pt character); a Chinese character takes two.
MIN_WIDTH, MAX_WIDTH = 6, 60
USUAL_WIDTHS = (6, 12, 24, 30)  # 序号, 县（区）, 名称, 存在问题


def render_xlsx(doc: NoticeDocument) -> bytes:
    """Sheets 附件1, 附件2, …; the same document always gives the same bytes."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, (font, bold, size, alignment, ruled) in STYLES.items():
        style = NamedStyle(name=name, font=Font(name=font, size=size, bold=bold, charset=GB2312))
        style.alignment = alignment
        if ruled:
            style.border = GRID
        workbook.add_named_style(style)
    for annex in doc.attachments:
        write_sheet(workbook.create_sheet(f"附件{annex.number}"), annex)
    at = issued_at(doc)
    properties = workbook.properties
    properties.creator = properties.lastModifiedBy = doc.issuer
    properties.title, properties.subject = doc.title, doc.document_number
    properties.created = properties.modified = at
    buffer = io.BytesIO()
    # ExcelWriter rather than Workbook.save: save() stamps `modified` with the clock
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return repack(buffer.getvalue(), at)


def write_sheet(sheet: Any, annex: Attachment) -> None:
    lines = Lines(sheet, len(annex.columns))
    column_widths = widths(annex)
    lines.add([annex.title], "附件标题", merged=True)
    sheet.row_dimensions[1].height = title_height(annex.title, column_widths)
    lines.add(annex.columns, "附件表头")
    for group in annex.groups:
        if group.label:
            lines.add([group.label], "附件分组", merged=True)
        for row in group.rows:
            lines.add([row.serial, *row.cells[1:]], "附件表格")  # 序号 a number: the office sorts and counts
    if annex.empty:
        lines.add(["无"], "附件表格", merged=True)
    lines.add([annex.window], "附件说明", merged=True)
    for n, column in enumerate(column_widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = column
    sheet.freeze_panes = "A3"
    print_setup(sheet, len(annex.columns), lines.count)


class Lines:
    """Writes a sheet row by row, counting the rows itself (openpyxl's max_row scans every cell at each call)."""

    def __init__(self, sheet: Any, columns: int) -> None:
        self.sheet, self.columns, self.count = sheet, columns, 0

    def add(self, values: list[Any], style: str, *, merged: bool = False) -> None:
        self.count += 1
        row = self.count
        if merged:  # title, platform sub-heading, 「无」, window: one value across the table's columns
            self.sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=self.columns)
        # every merged cell carries the style too, or Excel draws the border with gaps
        for n in range(1, self.columns + 1):
            cell = self.sheet.cell(row=row, column=n)
            if n <= len(values):
                cell.value = values[n - 1]
            cell.style = style


def widths(annex: Attachment) -> list[int]:
    """Wide enough for the longest value in each column (a Chinese character counting two), never narrower than a
    printed list's usual columns, nor so wide that one long problem text squeezes the page."""
    columns = [[name] for name in annex.columns]
    for group in annex.groups:
        for row in group.rows:
            for values, value in zip(columns, row.cells, strict=True):
                values.append(value)
    least = USUAL_WIDTHS if len(columns) == len(USUAL_WIDTHS) else (MIN_WIDTH,) * len(columns)
    return [
        min(MAX_WIDTH, max(low, *(display_width(v) + 2 for v in values)))
        for low, values in zip(least, columns, strict=True)
    ]


def title_height(title: str, widths: list[int]) -> float:
    """The title row tall enough for the lines its 16 pt title wraps into across the merged width."""
    lines = -(-display_width(title) * TITLE_SIZE // (BODY_SIZE * sum(widths)))
    return 8 + 22 * max(1, lines)


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def print_setup(sheet: Any, columns: int, rows: int) -> None:
    """A4 portrait, all columns on one page's width, the header row repeated on every printed page."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the list needs
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = "2:2"
    sheet.print_options.horizontalCentered = True
    sheet.print_area = f"A1:{get_column_letter(columns)}{rows}"
