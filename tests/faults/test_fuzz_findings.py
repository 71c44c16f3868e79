"""What schemathesis found (tests/faults/test_api_fuzz.py), pinned as plain tests: each used to be a 500."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from services.evaluator.rules.loading import parse
from services.evaluator.rules.problems import RuleSetError
from services.prober.extract.exports import ExportError, read_export
from services.registry.tabular.export import export_csv_zip, export_xlsx
from shared.events import Inventory, Unit


def test_a_csv_with_old_mac_line_endings_is_read_row_by_row() -> None:
    body = "发布时间,标题\r2022-09-01 10:00,临沧发布\r2022-09-02,国庆出行提示\r".encode()
    read = read_export("export.csv", body)
    assert [title for _, title in read.posts] == ["临沧发布", "国庆出行提示"]


@pytest.mark.parametrize("body", [b"\r0", b'"unclosed\r\x00', "发布时间\r\x00".encode()])
def test_a_csv_that_cannot_be_read_is_refused_with_a_reason_not_a_crash(body: bytes) -> None:
    with pytest.raises(ExportError):
        read_export("export.csv", body)


def test_an_xlsx_whose_parts_are_missing_is_refused_with_a_reason() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(ExportError, match="XLSX"):
        read_export("export.xlsx", buffer.getvalue())


def test_a_rule_set_with_a_control_character_is_a_yaml_error_with_its_position() -> None:
    with pytest.raises(RuleSetError, match="YAML格式错误"):
        parse("id: local\x1f\n", "submitted")


def test_an_inventory_with_control_characters_in_names_still_exports() -> None:
    inventory = Inventory(units=[Unit(unit_id="u1", name="青山县\x1f人民政府", county="青山县")])
    book = openpyxl.load_workbook(io.BytesIO(export_xlsx(inventory)), read_only=True)
    cells = {str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row}
    assert "青山县人民政府" in cells
    assert export_csv_zip(inventory)
