"""The attachment lists as XLSX, read back with openpyxl: one sheet per list, every row in order, ready to print."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any

import openpyxl

from services.reporter.document import Attachment
from services.reporter.xlsx import render_xlsx
from tests.reporter.notice_documents import empty_document, listed, long_document, seed_document


def workbook(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def values(sheet: Any) -> list[list[str]]:
    """Each row's non-empty cells as text (a merged row shows its one value)."""
    return [[str(v) for v in row if v is not None] for row in sheet.iter_rows(values_only=True)]


def merged_rows(sheet: Any) -> list[int]:
    """The rows merged across all the table's columns."""
    return sorted(r.min_row for r in sheet.merged_cells.ranges if r.min_col == 1 and r.max_col == sheet.max_column)


def expected_rows(annex: Attachment) -> list[list[str]]:
    return [[annex.title], annex.columns, *listed(annex), [annex.window]]


def test_each_attachment_is_a_sheet_with_its_title_header_rows_and_window_in_order() -> None:
    doc = seed_document()
    book = workbook(render_xlsx(doc))
    assert book.sheetnames == ["附件1", "附件2"]
    for annex, sheet in zip(doc.attachments, book.worksheets, strict=True):
        assert values(sheet) == expected_rows(annex)
        assert sheet.cell(row=3, column=1).value == (1 if annex.number == 1 else "微信公众号")
    websites, accounts = book.worksheets
    assert merged_rows(websites) == [1, 4]  # title, window
    assert merged_rows(accounts) == [1, 3, 8]  # title, 微信公众号, window
    assert accounts.cell(row=3, column=1).font.b  # the platform row stands out
    assert accounts.cell(row=4, column=1).value == 1  # 序号 a number, so the list sorts and sums


def test_the_header_is_bold_and_every_table_cell_is_ruled() -> None:
    sheet = workbook(render_xlsx(seed_document()))["附件2"]
    header = [sheet.cell(row=2, column=n) for n in range(1, 5)]
    assert all(cell.font.b for cell in header)
    table = [sheet.cell(row=r, column=n) for r in range(2, 8) for n in range(1, 5)]
    assert all(cell.border.top.style == cell.border.bottom.style == "thin" for cell in table)
    assert all(sheet.cell(row=r, column=1).border.left.style == "thin" for r in range(2, 8))
    assert all(sheet.cell(row=r, column=4).border.right.style == "thin" for r in range(2, 8))
    window = sheet.cell(row=8, column=1).border.bottom
    assert window is None or window.style is None  # the window line is not part of the table
    assert sheet.cell(row=1, column=1).font.sz == 16 and sheet.cell(row=1, column=1).alignment.horizontal == "center"


def test_columns_are_wide_enough_for_chinese_text_and_the_sheet_prints_on_a4_fitted_to_width() -> None:
    doc = long_document(8)
    long_name = "临沧市临翔区人民政府办公室政府信息公开专栏网站"
    websites = doc.attachments[0]
    first = websites.groups[0].rows[0].model_copy(update={"name": long_name})
    group = websites.groups[0].model_copy(update={"rows": [first, *websites.groups[0].rows[1:]]})
    doc = doc.model_copy(update={"attachments": [websites.model_copy(update={"groups": [group]}), doc.attachments[1]]})
    sheet = workbook(render_xlsx(doc))["附件1"]
    assert sheet.column_dimensions["C"].width >= 2 * len(long_name)  # a Chinese character is two columns wide
    assert sheet.column_dimensions["A"].width < sheet.column_dimensions["B"].width
    assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "portrait"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$2:$2"  # the header on every printed page
    assert sheet.freeze_panes == "A3"


def test_two_thousand_listed_targets_are_all_in_order_under_their_platforms() -> None:
    doc = long_document(2000)
    book = workbook(render_xlsx(doc))
    for annex, sheet in zip(doc.attachments, book.worksheets, strict=True):
        assert values(sheet) == expected_rows(annex)
    assert [r for r in merged_rows(book["附件2"]) if r not in (1, book["附件2"].max_row)] == [3, 3 + 500 + 1]


def test_an_empty_list_says_none() -> None:
    book = workbook(render_xlsx(empty_document()))
    for sheet in book.worksheets:
        assert values(sheet)[2] == ["无"]
        assert 3 in merged_rows(sheet)


def test_the_same_document_gives_the_same_bytes_dated_the_day_it_was_signed() -> None:
    doc = seed_document()
    first = render_xlsx(doc)
    assert render_xlsx(seed_document()) == first
    assert render_xlsx(doc.model_copy(update={"signed_on": "2022 年 10 月 8 日"})) != first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(2022, 10, 7, 0, 0, 0)}
    properties = workbook(first).properties
    assert properties.creator == doc.issuer and properties.title == doc.title
    assert properties.created == properties.modified == datetime(2022, 10, 7)
