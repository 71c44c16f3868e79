"""Files to sheets: XLSX workbooks, CSV files (UTF-8 with or without BOM, GB18030, UTF-16) and ZIPs of them.

Each sheet is recognised by its name or, failing that, by its header row (the first of the top rows that carries the
sheet's identifying header, so title rows above the header are fine); unknown headers are ignored.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from .cells import Cell, clean_text, is_blank
from .headers import IGNORED_SHEET_WORDS, SheetSpec, fold_header, sheet_by_headers, sheet_by_title
from .problems import ImportProblem

HEADER_SEARCH_ROWS = 20
MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # a ZIP bomb stops here, far above any real registry
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Sheet:
    """One recognised sheet: which kind, where its columns are, and its data rows with their spreadsheet numbers."""

    file: str
    title: str
    spec: SheetSpec
    header_row: int
    columns: dict[str, int] = field(default_factory=dict)  # column key → cell index
    headers: dict[str, str] = field(default_factory=dict)  # column key → header as written in the file
    rows: list[tuple[int, tuple[Cell, ...]]] = field(default_factory=list)

    def header(self, key: str) -> str:
        return self.headers.get(key) or self.spec.column(key).header

    def problem(self, row: int, key: str, value: Cell, reason: str) -> ImportProblem:
        column = self.header(key) if key else ""
        return ImportProblem(
            sheet=self.spec.title, row=row, column=column, value=clean_text(value), reason=reason, file=self.file
        )


@dataclass
class Workbook:
    sheets: list[Sheet] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    def file_problem(self, file: str, reason: str, sheet: str = "") -> None:
        self.problems.append(ImportProblem(sheet=sheet, row=0, column="", value="", reason=reason, file=file))


def read_files(files: list[tuple[str, bytes]]) -> Workbook:
    book = Workbook()
    budget = [MAX_UNPACKED_BYTES]
    for name, data in files:
        _read_one(book, name, data, budget, depth=0)
    return book


def _read_one(book: Workbook, name: str, data: bytes, budget: list[int], depth: int) -> None:
    if data.startswith(_OLE_MAGIC):
        book.file_problem(name, "是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 格式后再导入")
    elif data.startswith(b"PK"):
        _read_zip(book, name, data, budget, depth)
    elif not data.strip():
        book.file_problem(name, "文件是空的")
    else:
        _read_csv(book, name, data)


# What zipfile can inflate; anything else (Deflate64 from some Windows tools) is refused before reading.
READABLE_COMPRESSION = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})


def _read_zip(book: Workbook, name: str, data: bytes, budget: list[int], depth: int) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
        if any(m.compress_type not in READABLE_COMPRESSION for m in members):
            book.file_problem(name, "压缩包使用了无法识别的压缩方式（如 Deflate64），请用常见的 ZIP 格式重新压缩")
            return
        if any(m.filename == "xl/workbook.xml" for m in members):
            _read_xlsx(book, name, data)
            return
        if depth > 0:
            book.file_problem(name, "压缩包里不能再套压缩包")
            return
        for member in members:
            if _hidden(member.filename):
                continue
            budget[0] -= member.file_size
            if budget[0] < 0:
                book.file_problem(name, "压缩包解压后过大")
                return
            _read_one(book, f"{name}/{_member_name(member)}", archive.read(member), budget, depth + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        book.file_problem(name, "文件已损坏或不是有效的 XLSX / ZIP 文件")


def _hidden(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return any(p.startswith((".", "__MACOSX", "~$")) for p in parts)


def _member_name(member: zipfile.ZipInfo) -> str:
    if member.flag_bits & 0x800:
        return member.filename
    try:  # Windows archivers store Chinese names in GBK without saying so
        return member.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return member.filename


def _read_xlsx(book: Workbook, name: str, data: bytes) -> None:
    import openpyxl  # imported here: CSV-only imports do not pay for it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on damaged files; all mean the same to the office
        book.file_problem(name, "文件已损坏或不是有效的 XLSX 文件")
        return
    try:
        for worksheet in workbook.worksheets:
            if getattr(worksheet, "sheet_state", "visible") != "visible" and not sheet_by_title(worksheet.title):
                continue
            worksheet.reset_dimensions()  # some writers store a wrong size; read every row there is
            rows = [tuple(row) for row in worksheet.iter_rows(min_row=1, values_only=True)]
            _add_sheet(book, name, worksheet.title, rows, by_title=True)
    except Exception:
        book.file_problem(name, "文件已损坏，无法读出全部内容")
    finally:
        workbook.close()


def _read_csv(book: Workbook, name: str, data: bytes) -> None:
    text = _decode(data)
    if text is None:
        book.file_problem(name, "无法识别文件编码，请另存为“CSV UTF-8”或 GB18030 编码的 CSV 文件")
        return
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",\t;", key=first.count) if first else ","
    try:
        rows: list[tuple[Cell, ...]] = [
            tuple(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        ]
    except csv.Error:
        book.file_problem(name, "不是有效的 CSV 文件（引号不配对或含有非法字符）")
        return
    title = PurePosixPath(name).stem
    _add_sheet(book, name, title, rows, by_title=False)


def _decode(data: bytes) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _add_sheet(book: Workbook, file: str, title: str, rows: list[tuple[Cell, ...]], by_title: bool) -> None:
    if all(all(is_blank(c) for c in row) for row in rows):
        return  # an empty sheet of the template, left unfilled
    named = sheet_by_title(title)
    if by_title and named is None and any(w in fold_header(title) for w in IGNORED_SHEET_WORDS):
        return  # 填写说明 and similar sheets
    found = _find_header(rows, named)
    if found is None:
        if named is None:
            reason = (
                "无法识别是哪一类表格：表头应包含「单位名称」「网站名称」「栏目名称」「留言板名称」「指南名称」"
                "「账号名称」或「监测周期」之一"
            )
        else:
            reason = f"找不到表头行（前{HEADER_SEARCH_ROWS}行中应有「{named.column(named.marker).header}」列）"
        book.file_problem(file, reason, sheet=title if by_title else "")
        return
    index, spec = found
    if isinstance(spec, list):
        names = "、".join(f"「{s.title}」" for s in spec)
        book.file_problem(
            file, f"无法判断是哪一类表格（可能是{names}），请删去无关的列", sheet=title if by_title else ""
        )
        return
    sheet = Sheet(file=file, title=title, spec=spec, header_row=index + 1)
    _map_columns(book, sheet, rows[index])
    sheet.rows = [(n + 1, row) for n, row in enumerate(rows) if n > index and not all(is_blank(c) for c in row)]
    book.sheets.append(sheet)


def _find_header(rows: list[tuple[Cell, ...]], named: SheetSpec | None) -> tuple[int, Any] | None:
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if named is not None:
            if named.marker in {named.key_for(cell) for cell in row}:
                return index, named
            continue
        candidates = sheet_by_headers(row)
        if len(candidates) == 1:
            return index, candidates[0]
        if candidates:
            return index, candidates
    return None


def _map_columns(book: Workbook, sheet: Sheet, header: tuple[Cell, ...]) -> None:
    for index, cell in enumerate(header):
        key = sheet.spec.key_for(cell)
        if key is None:
            continue
        if key in sheet.columns:
            duplicate = sheet.problem(sheet.header_row, key, None, f"与「{sheet.headers[key]}」是同一列，只能保留一列")
            book.problems.append(duplicate.model_copy(update={"column": clean_text(cell)}))
            continue
        sheet.columns[key] = index
        sheet.headers[key] = clean_text(cell)
    for column in sheet.spec.columns:
        if column.required and column.key not in sheet.columns:
            book.problems.append(sheet.problem(sheet.header_row, column.key, None, "缺少必填列"))


def iter_sheets(book: Workbook, kind: str) -> Iterator[Sheet]:
    return (s for s in book.sheets if s.spec.kind == kind)
