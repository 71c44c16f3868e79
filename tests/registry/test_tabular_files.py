"""Files as offices produce them: encodings, Excel dates and numbers, header spellings, title rows, ZIPs, merges."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import openpyxl

from services.registry.tabular import parse_import
from tests.registry.sheets import workbook
from tests.registry.test_tabular_rules import SITE, SITE_HEADER, UNIT_HEADER, UNITS, csv_file


def test_a_gb18030_csv_without_bom_is_read() -> None:
    result = parse_import([csv_file("单位.csv", UNIT_HEADER, UNITS, encoding="gb18030")])
    assert result.inventory is not None
    assert result.inventory.units[1].name == "翠湖区人民政府"


def test_utf8_without_bom_and_utf16_tab_separated_text_are_read() -> None:
    plain = csv_file("u.csv", UNIT_HEADER, UNITS, encoding="utf-8")
    text = "\r\n".join("\t".join(row) for row in [UNIT_HEADER, *UNITS]).encode("utf-16")
    for files in ([plain], [("单位.txt", text)]):
        result = parse_import(files)
        assert result.inventory is not None, [p.message for p in result.problems]
        assert [u.unit_id for u in result.inventory.units] == ["yl-zfb", "ch-gov", "ch-jyj"]


def test_excel_dates_serials_and_typed_dates_all_read_as_the_same_day() -> None:
    header = ["网站名称", "网站地址", "网站类型", "主办单位编码", "登记日期"]
    spellings: list[object] = [
        datetime(2022, 9, 28),
        date(2022, 9, 28),
        44832,  # the Excel serial of 2022-09-28 in a cell formatted as a number
        20220928,
        "2022-09-28",
        "2022/9/28",
        "2022年9月28日",
        "20220928",
        "2022.09.28",
        "2022-09-28 00:00:00",
    ]
    rows = [[f"站{n}", f"https://s{n}.example.gov.cn/", "部门", "yl-zfb", d] for n, d in enumerate(spellings)]
    data = workbook({"单位": [UNIT_HEADER, *UNITS], "网站": [header, *rows]})
    result = parse_import([("a.xlsx", data)])
    assert result.inventory is not None, [p.message for p in result.problems]
    assert {t.registered_on for t in result.inventory.targets} == {date(2022, 9, 28)}


def test_codes_and_mobiles_stored_as_numbers_by_excel_are_read_as_text() -> None:
    units: list[list[object]] = [
        list(UNIT_HEADER),
        ["yl-zfb", "云岭市人民政府办公室", "市", None, None, "李明", None, 13908830001, None],
    ]
    sites: list[list[object]] = [list(SITE_HEADER), [*SITE[:2], 5399000001, *SITE[3:]]]
    result = parse_import([("a.xlsx", workbook({"单位": units, "网站": sites}))])
    assert result.inventory is not None, [p.message for p in result.problems]
    assert result.inventory.units[0].contacts[0].mobile == "13908830001"
    assert result.inventory.targets[0].site_code == "5399000001"


def test_a_code_mangled_into_scientific_notation_is_explained() -> None:
    row = [*SITE[:2], "5.399E+09", *SITE[3:]]
    result = parse_import([csv_file("u.csv", UNIT_HEADER, UNITS), csv_file("s.csv", SITE_HEADER, [row])])
    assert result.problems[0].reason.startswith("被 Excel 改写成了科学计数法")


def test_header_spellings_full_width_spaces_markers_and_a_title_row_are_tolerated() -> None:
    header = [
        "*单位代码",
        " 单位名称（必填） ",
        "层级（市／县／部门）",
        "所属县区",
        "上级单位",
        "联系人姓名",
        "联系人职务",
        "手机号码",
        "电子邮箱",
        "备注",
    ]
    rows = [["云岭市单位名单（2022年9月）"], [], header, *[[f"　{c}　" for c in [*u, "随便写"]] for u in UNITS]]
    result = parse_import([("名单.xlsx", workbook({"Sheet1": rows}))])
    assert result.inventory is not None, [p.message for p in result.problems]
    assert [u.county for u in result.inventory.units] == ["市直", "翠湖区", "翠湖区"]
    assert result.inventory.units[0].contacts[0].email == "liming@example.gov.cn"


def test_full_width_characters_in_codes_urls_and_dates_are_folded() -> None:
    row = [
        "云岭市人民政府",
        "ｈｔｔｐｓ：／／www.yl.example.gov.cn/",
        "５３９９０００００１",
        "门户网站",
        "yl-zfb",
        "正常",
        "２０１４年３月１日",
        "",
    ]
    result = parse_import([csv_file("u.csv", UNIT_HEADER, UNITS), csv_file("s.csv", SITE_HEADER, [row])])
    assert result.inventory is not None, [p.message for p in result.problems]
    site = result.inventory.targets[0]
    assert (site.url, site.site_code, site.registered_on) == (
        "https://www.yl.example.gov.cn/",
        "5399000001",
        date(2014, 3, 1),
    )


def test_booleans_accept_the_usual_spellings() -> None:
    header = [*SITE_HEADER, "是否有留言板"]
    rows = [
        [*SITE[:1], f"https://s{n}.x.cn/", f"539900000{n}", *SITE[3:], v]
        for n, v in enumerate(["是", "√", "Y", "否", "无", ""])
    ]
    result = parse_import([csv_file("u.csv", UNIT_HEADER, UNITS), csv_file("s.csv", header, rows)])
    assert result.inventory is not None
    assert [t.has_message_board for t in result.inventory.targets] == [True, True, True, False, False, False]
    bad = parse_import([csv_file("u.csv", UNIT_HEADER, UNITS), csv_file("s.csv", header, [[*SITE, "也许"]])])
    assert bad.problems[0].message == "「网站」第2行「是否有留言板」：应填写“是”或“否”（填写的是“也许”）"


def test_a_zip_of_csv_files_with_gbk_names_is_read_and_instructions_sheets_are_skipped() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("单位.csv".encode("gbk").decode("cp437")), csv_file("", UNIT_HEADER, UNITS)[1])
        archive.writestr("网站.csv", csv_file("", SITE_HEADER, [SITE])[1])
        archive.writestr("__MACOSX/._网站.csv", b"\x00\x05")
    result = parse_import([("registry.zip", buffer.getvalue())])
    assert result.inventory is not None and len(result.inventory.targets) == 1
    notes = workbook({"填表说明": [["工作表", "列"], ["单位", "单位名称"]], "单位": [UNIT_HEADER, *UNITS]})
    assert parse_import([("a.xlsx", notes)]).ok


def test_a_problem_inside_a_zip_names_the_member_file() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bad.csv", "姓名\r\n张三\r\n")
    result = parse_import([("registry.zip", buffer.getvalue())])
    assert result.problems[0].file == "registry.zip/bad.csv"


def test_a_zip_made_with_a_compression_zipfile_cannot_read_is_refused_with_a_reason() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("单位.csv", "单位名称\r\n云县人民政府\r\n")
    data = bytearray(buffer.getvalue())
    # Mark the member as Deflate64 (method 9, which some Windows tools write) in its local and central headers.
    data[8:10] = (9).to_bytes(2, "little")
    central = data.rfind(b"PK\x01\x02")
    data[central + 10 : central + 12] = (9).to_bytes(2, "little")
    result = parse_import([("清单.zip", bytes(data))])
    assert [(p.file, "无法识别的压缩方式" in p.reason) for p in result.problems] == [("清单.zip", True)]


def test_merged_unit_cells_give_one_unit_with_several_contacts() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "单位"
    sheet.append(UNIT_HEADER)
    sheet.append(UNITS[0])
    sheet.append([None] * 5 + ["王芳", "网站管理员", "13908830901", None])
    for column in "ABCDE":
        sheet.merge_cells(f"{column}2:{column}3")
    buffer = io.BytesIO()
    book.save(buffer)
    result = parse_import([("a.xlsx", buffer.getvalue())])
    assert result.inventory is not None
    assert [c.name for c in result.inventory.units[0].contacts] == ["李明", "王芳"]


def test_a_damaged_workbook_and_an_empty_file_are_problems_not_crashes() -> None:
    data = workbook({"单位": [UNIT_HEADER, *UNITS]})
    result = parse_import([("a.xlsx", data[: len(data) // 2]), ("b.csv", b"")])
    assert [p.reason for p in result.problems] == ["文件已损坏或不是有效的 XLSX / ZIP 文件", "文件是空的"]
