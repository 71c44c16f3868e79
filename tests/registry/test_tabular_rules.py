"""Import validation: every rule reports the sheet, row, column and a reason in Chinese; nothing is imported then."""

from __future__ import annotations

import csv
import io
from datetime import date

from services.registry.tabular import ImportResult, parse_import
from shared.events import Target, TargetStatus, TargetType, Unit, UnitLevel

UNIT_HEADER = ["单位编码", "单位名称", "层级(市/县/部门)", "县（区）", "上级单位编码", "联系人", "职务", "手机", "邮箱"]
UNITS = [
    ["yl-zfb", "云岭市人民政府办公室", "市", "", "", "李明", "分管领导", "13908830001", "liming@example.gov.cn"],
    ["ch-gov", "翠湖区人民政府", "县", "翠湖区", "", "", "", "", ""],
    ["ch-jyj", "翠湖区教育体育局", "部门", "", "ch-gov", "", "", "", ""],
]
SITE_HEADER = [
    "网站名称",
    "网站地址",
    "网站标识码",
    "网站类型(门户/部门)",
    "主办单位编码",
    "运行状态",
    "登记日期",
    "关停日期",
]
SITE = ["云岭市人民政府", "https://www.yl.example.gov.cn/", "5399000001", "门户", "yl-zfb", "运行", "2014-03-01", ""]
COLUMN_HEADER = ["栏目名称", "栏目地址", "所属网站", "栏目类型", "更新周期（天）", "是否一级栏目"]
COLUMN = ["通知公告", "https://www.yl.example.gov.cn/tzgg/", "5399000001", "通知公告", "180", "是"]
ACCOUNT_HEADER = ["账号名称", "平台", "账号ID", "订阅地址", "数据来源", "主办单位编码", "状态", "登记日期", "注销日期"]
ACCOUNT = [
    "云岭发布",
    "微信公众号",
    "ylfb",
    "https://feeds.example.cn/ylfb.xml",
    "RSS",
    "yl-zfb",
    "运行",
    "2015-03-01",
    "",
]


def csv_file(name: str, header: list[str], rows: list[list[str]], encoding: str = "utf-8-sig") -> tuple[str, bytes]:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows])
    return name, buffer.getvalue().encode(encoding)


def files(
    units: list[list[str]] | None = None,
    sites: list[list[str]] | None = None,
    columns: list[list[str]] | None = None,
    accounts: list[list[str]] | None = None,
) -> list[tuple[str, bytes]]:
    found = [csv_file("units.csv", UNIT_HEADER, UNITS if units is None else units)]
    found.append(csv_file("sites.csv", SITE_HEADER, [SITE] if sites is None else sites))
    if columns is not None:
        found.append(csv_file("columns.csv", COLUMN_HEADER, columns))
    if accounts is not None:
        found.append(csv_file("accounts.csv", ACCOUNT_HEADER, accounts))
    return found


def with_cell(row: list[str], header: list[str], column: str, value: str) -> list[str]:
    changed = list(row)
    changed[header.index(column)] = value
    return changed


def messages(result: ImportResult) -> list[str]:
    assert result.inventory is None, "an import with problems must not give an inventory"
    return [p.message for p in result.problems]


def test_a_valid_set_of_files_gives_the_inventory_with_derived_ids_and_counties() -> None:
    result = parse_import(files(columns=[COLUMN], accounts=[ACCOUNT]))
    assert result.problems == []
    assert result.inventory is not None
    units = {u.unit_id: u for u in result.inventory.units}
    assert units["yl-zfb"].county == "市直" and units["yl-zfb"].level is UnitLevel.city
    assert units["ch-jyj"].county == "翠湖区", "a department takes its parent's county"
    site, column, account = result.inventory.targets
    assert site.target_id == "site-5399000001"
    assert column.site_id == site.target_id and column.site_code == "5399000001" and column.first_level
    assert column.unit_id == "yl-zfb" and column.registered_on == date(2014, 3, 1), "inherited from the website"
    assert account.target_id.startswith("acct-") and account.feed_kind == "rss" and account.county == "市直"


def test_an_invalid_url_names_row_and_column() -> None:
    bad = with_cell(with_cell(SITE, SITE_HEADER, "网站地址", "www.yl.example.gov.cn"), SITE_HEADER, "网站标识码", "")
    assert messages(parse_import(files(sites=[SITE, bad]))) == [
        "「网站」第3行「网站地址」：不是有效的网址（应以 http:// 或 https:// 开头）（填写的是“www.yl.example.gov.cn”）"
    ]


def test_a_blank_required_cell_is_reported() -> None:
    bad = with_cell(SITE, SITE_HEADER, "网站名称", "  ")
    assert messages(parse_import(files(sites=[bad]))) == ["「网站」第2行「网站名称」：必须填写"]


def test_a_missing_required_column_is_reported_once() -> None:
    header = [h for h in SITE_HEADER if h != "主办单位编码"]
    row = [v for h, v in zip(SITE_HEADER, SITE, strict=True) if h != "主办单位编码"]
    result = parse_import([files()[0], csv_file("sites.csv", header, [row])])
    assert messages(result) == ["「网站」第1行「主办单位编码」：缺少必填列"]


def test_site_code_must_be_ten_digits() -> None:
    bad = with_cell(SITE, SITE_HEADER, "网站标识码", "539900001")
    assert "「网站」第2行「网站标识码」：网站标识码应为10位数字" in messages(parse_import(files(sites=[bad])))[0]


def test_mobile_and_email_formats_are_checked() -> None:
    unit = ["yl-zfb", "云岭市人民政府办公室", "市", "", "", "李明", "", "2390883000", "liming#example.gov.cn"]
    found = messages(parse_import(files(units=[unit, *UNITS[1:]])))
    assert found[0].startswith("「单位」第2行「手机」：不是有效的手机号码（应为以1开头的11位数字）")
    assert found[1].startswith("「单位」第2行「邮箱」：不是有效的电子邮箱地址")


def test_an_impossible_date_is_reported() -> None:
    bad = with_cell(SITE, SITE_HEADER, "登记日期", "2022年2月30日")
    assert messages(parse_import(files(sites=[bad])))[0].startswith("「网站」第2行「登记日期」：不是有效的日期")


def test_a_value_outside_the_choices_lists_the_allowed_ones() -> None:
    bad = with_cell(SITE, SITE_HEADER, "运行状态", "维护中")
    assert messages(parse_import(files(sites=[bad])))[0].startswith(
        "「网站」第2行「运行状态」：应为运行、临时关停、迁移、关停之一"
    )


def test_an_unknown_unit_is_reported_but_a_registered_one_is_accepted_with_its_county() -> None:
    site = with_cell(SITE, SITE_HEADER, "主办单位编码", "sx-gov")
    found = messages(parse_import(files(sites=[site])))
    assert found == [
        "「网站」第2行「主办单位编码」：单位编码「sx-gov」不存在（既不在本次导入的「单位」表中，也未在系统中登记）"
        "（填写的是“sx-gov”）"
    ]
    registered = Unit(unit_id="sx-gov", name="松溪县人民政府", level=UnitLevel.county, county="松溪县")
    result = parse_import(files(sites=[site]), known_units=[registered])
    assert result.inventory is not None and result.inventory.targets[0].county == "松溪县"


def test_a_column_of_an_unknown_website_is_reported() -> None:
    column = with_cell(COLUMN, COLUMN_HEADER, "所属网站", "5399009999")
    assert messages(parse_import(files(columns=[column])))[0].startswith(
        "「栏目」第2行「所属网站」：找不到网站「5399009999」"
    )


def test_a_column_may_belong_to_a_registered_website() -> None:
    site = Target(
        target_id="yl-portal",
        type=TargetType.website,
        name="云岭市人民政府",
        url="https://www.yl.example.gov.cn/",
        unit_id="yl-zfb",
        county="市直",
        site_code="5399000001",
        registered_on=date(2014, 3, 1),
    )
    result = parse_import(files(sites=[], columns=[COLUMN]), known_targets=[site])
    assert result.inventory is not None
    assert result.inventory.targets[0].site_id == "yl-portal"


def test_the_same_address_twice_is_a_duplicate() -> None:
    twice = with_cell(SITE, SITE_HEADER, "网站标识码", "5399000002")
    found = messages(parse_import(files(sites=[SITE, twice])))
    assert found == ["「网站」第3行「网站地址」：与第2行重复（填写的是“https://www.yl.example.gov.cn/”）"]


def test_the_same_site_code_twice_is_a_duplicate() -> None:
    other = with_cell(SITE, SITE_HEADER, "网站地址", "https://other.example.gov.cn/")
    found = messages(parse_import(files(sites=[SITE, other])))
    assert found == ["「网站」第3行「网站标识码」：与第2行重复（填写的是“5399000001”）"]


def test_the_same_account_on_the_same_platform_twice_is_a_duplicate() -> None:
    again = with_cell(ACCOUNT, ACCOUNT_HEADER, "订阅地址", "https://feeds.example.cn/other.xml")
    found = messages(parse_import(files(accounts=[ACCOUNT, again])))
    assert found == ["「政务新媒体」第3行「账号ID」：与第2行重复（填写的是“ylfb”）"]


def test_a_closing_date_before_the_registration_date_is_reported() -> None:
    bad = with_cell(with_cell(SITE, SITE_HEADER, "运行状态", "关停"), SITE_HEADER, "关停日期", "2013/5/1")
    assert messages(parse_import(files(sites=[bad]))) == [
        "「网站」第2行「关停日期」：早于登记日期（2014-03-01）（填写的是“2013/5/1”）"
    ]


def test_a_closed_website_needs_its_closing_date() -> None:
    bad = with_cell(SITE, SITE_HEADER, "运行状态", "关停")
    assert messages(parse_import(files(sites=[bad]))) == ["「网站」第2行「关停日期」：状态为“关停”时必须填写关停日期"]


def test_a_deregistered_account_needs_its_deregistration_date() -> None:
    bad = with_cell(ACCOUNT, ACCOUNT_HEADER, "状态", "已注销")
    found = messages(parse_import(files(accounts=[bad])))
    assert found == ["「政务新媒体」第2行「注销日期」：状态为“已注销”时必须填写注销日期"]


def test_a_department_cannot_claim_another_county_than_its_parent() -> None:
    units = [*UNITS[:2], ["ch-jyj", "翠湖区教育体育局", "部门", "松溪县", "ch-gov", "", "", "", ""]]
    found = messages(parse_import(files(units=units)))
    assert found[0].startswith("「单位」第4行「县（区）」：与上级单位「ch-gov」所在的“翠湖区”不一致")


def test_a_county_level_unit_must_name_its_county_and_a_city_unit_is_shizhi() -> None:
    units = [["yl-zfb", "云岭市人民政府办公室", "市", "翠湖区", "", "", "", "", ""], ["ch-gov", "翠湖区人民政府", "县"]]
    units[1] += [""] * 6
    found = messages(parse_import(files(units=units)))
    assert found[0].startswith("「单位」第2行「县（区）」：市级单位的县（区）应为“市直”或留空")
    assert found[1] == "「单位」第3行「县（区）」：县级单位必须填写所在县（区）"


def test_a_loop_of_parent_units_is_reported() -> None:
    units = [
        ["a", "甲局", "部门", "", "b", "", "", "", ""],
        ["b", "乙局", "部门", "", "a", "", "", "", ""],
    ]
    found = messages(parse_import(files(units=units, sites=[])))
    assert any(m.startswith("「单位」第2行「上级单位编码」：上级单位形成循环（a → b → a）") for m in found)


def test_several_contacts_of_a_unit_are_read_from_repeated_and_blank_rows() -> None:
    units = [
        UNITS[0],
        ["yl-zfb", "", "", "", "", "王芳", "网站管理员", "13908830901", "wangfang@example.gov.cn"],
        ["", "", "", "", "", "赵丽", "", "", ""],  # a merged unit cell reads as blank
        *UNITS[1:],
    ]
    result = parse_import(files(units=units))
    assert result.inventory is not None
    contacts = result.inventory.units[0].contacts
    assert [c.name for c in contacts] == ["李明", "王芳", "赵丽"]
    assert contacts[1].mobile == "13908830901"


def test_a_repeated_unit_row_that_contradicts_the_first_is_reported() -> None:
    units = [UNITS[0], ["yl-zfb", "云岭市政府办", "", "", "", "王芳", "", "", ""], *UNITS[1:]]
    found = messages(parse_import(files(units=units)))
    assert found[0].startswith("「单位」第3行「单位名称」：与第2行（同一单位）填写的不一致")


def test_a_file_with_several_errors_reports_every_one_of_them_in_order() -> None:
    units = [*UNITS, ["bad id!", "", "部门", "", "nowhere", "", "", "1", ""]]
    sites = [
        with_cell(SITE, SITE_HEADER, "网站地址", "ftp://x"),
        with_cell(with_cell(SITE, SITE_HEADER, "登记日期", "明天"), SITE_HEADER, "网站标识码", "5399000002"),
    ]
    columns = [with_cell(COLUMN, COLUMN_HEADER, "更新周期（天）", "0")]
    found = messages(parse_import(files(units=units, sites=sites, columns=columns)))
    assert [m.split("：")[0] for m in found] == [
        "「单位」第5行「单位编码」",
        "「单位」第5行「单位名称」",
        "「单位」第5行「手机」",
        "「单位」第5行「联系人」",
        "「网站」第2行「网站地址」",
        "「网站」第3行「登记日期」",
        "「栏目」第2行「更新周期（天）」",
    ]


def test_rows_without_target_id_get_the_id_of_the_registered_target_they_match() -> None:
    registered = Target(
        target_id="yl-portal",
        type=TargetType.website,
        name="云岭市人民政府",
        url="http://www.yl.example.gov.cn",
        unit_id="yl-zfb",
        county="市直",
        registered_on=date(2014, 3, 1),
    )
    result = parse_import(files(), known_targets=[registered])
    assert result.inventory is not None and result.inventory.targets[0].target_id == "yl-portal"


def test_derived_ids_are_stable_across_imports_and_spellings() -> None:
    first = parse_import(files(columns=[COLUMN], accounts=[ACCOUNT])).inventory
    respelled = with_cell(COLUMN, COLUMN_HEADER, "栏目地址", "HTTP://WWW.YL.EXAMPLE.GOV.CN/tzgg")
    second = parse_import(files(columns=[respelled], accounts=[ACCOUNT])).inventory
    assert first is not None and second is not None
    assert [t.target_id for t in first.targets] == [t.target_id for t in second.targets]


def test_an_account_exported_from_the_platform_needs_an_account_id_but_no_feed() -> None:
    export = with_cell(with_cell(ACCOUNT, ACCOUNT_HEADER, "订阅地址", ""), ACCOUNT_HEADER, "数据来源", "平台导出")
    result = parse_import(files(accounts=[export]))
    assert result.inventory is not None and result.inventory.targets[1].url == ""
    no_id = with_cell(export, ACCOUNT_HEADER, "账号ID", "")
    assert messages(parse_import(files(accounts=[no_id]))) == [
        "「政务新媒体」第2行「账号ID」：数据来源为“平台导出”且没有订阅地址时，必须填写账号ID"
    ]
    no_feed = with_cell(ACCOUNT, ACCOUNT_HEADER, "订阅地址", "")
    assert messages(parse_import(files(accounts=[no_feed])))[0].startswith("「政务新媒体」第2行「订阅地址」：必须填写")


def test_account_status_closure_announced_is_read() -> None:
    announced = with_cell(ACCOUNT, ACCOUNT_HEADER, "状态", "已发停更公告")
    result = parse_import(files(accounts=[announced]))
    assert result.inventory is not None and result.inventory.targets[1].status is TargetStatus.closure_announced


def test_an_unrecognisable_file_and_an_old_xls_file_are_reported() -> None:
    found = messages(
        parse_import([("x.csv", "姓名,年龄\r\n张三,30\r\n".encode()), ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")])
    )
    assert found[0].startswith("文件「x.csv」：无法识别是哪一类表格：表头应包含「单位名称」")
    assert found[1] == "文件「old.xls」：是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 格式后再导入"
