"""The 监测周期 sheet's 「检查范围」 and 「规则集」, and the 网站 sheet's 「对外服务职能」, as offices write them."""

from __future__ import annotations

from services.registry.tabular import export_csv, parse_import
from services.registry.tabular.checks import as_scope, format_scope, indicator_codes
from shared.events import RULES, Period

from .test_tabular_rules import SITE, SITE_HEADER, csv_file, files, messages

PERIOD_HEADER = ["监测周期", "开始日期", "监测时间点", "检查范围", "规则集"]


def period_files(scope: str = "", rule_set: str = "") -> list[tuple[str, bytes]]:
    row = ["2022Q3", "2022-07-01", "2022-09-29", scope, rule_set]
    return [*files(), csv_file("periods.csv", PERIOD_HEADER, [row])]


def imported_period(scope: str = "", rule_set: str = "") -> Period:
    result = parse_import(period_files(scope, rule_set))
    assert [p.message for p in result.problems] == []
    assert result.inventory is not None
    [period] = result.inventory.periods
    return period


def test_a_blank_scope_and_rule_set_mean_every_rule_by_the_default_rule_set() -> None:
    period = imported_period()
    assert period.scope is None and period.rule_set == ""


def test_scope_is_read_from_labels_short_words_codes_and_rule_names_in_the_order_written() -> None:
    cell = "站点无法访问（W-V2）、首页不更新，N-V2；closure\n服务不实用"
    assert imported_period(cell).scope == ["availability", "homepage", "newmedia", "closure", "services"]


def test_w_v4_checks_both_the_site_wide_veto_and_every_column() -> None:
    assert imported_period("W-V4").scope == ["site_columns", "column"]
    assert imported_period("栏目不更新（W-V4，全站）").scope == ["site_columns"], "the comma inside is not a separator"


def test_a_short_word_shared_by_websites_and_new_media_means_both() -> None:
    assert imported_period("严重表述错误、互动回应差").scope == [
        "content",
        "newmedia_content",
        "interaction",
        "newmedia_interaction",
    ]
    assert as_scope("严重表述错误（N-V1）") == ["newmedia_content"]


def test_full_width_and_repeated_entries_are_folded() -> None:
    assert as_scope("Ｗ－Ｖ２、availability、站点无法访问") == ["availability"]


def test_every_indicator_code_maps_to_known_rules() -> None:
    codes = indicator_codes()
    assert sorted(codes) == [f"N-V{n}" for n in (1, 2, 3)] + [f"W-V{n}" for n in range(1, 7)]
    assert all(name in RULES for names in codes.values() for name in names)


def test_every_scope_is_written_back_in_a_form_read_back_exactly() -> None:
    for scope in ([], list(RULES), list(reversed(RULES)), ["column"], None):
        assert as_scope(format_scope(scope)) == scope


def test_an_unknown_scope_entry_names_sheet_row_column_value_and_the_accepted_entries() -> None:
    [message] = messages(parse_import(period_files("W-V2、首页没更新、W-V9")))
    assert message.startswith("「监测周期」第2行「检查范围」：「首页没更新」、「W-V9」不是可识别的检查项")
    assert "站点无法访问（W-V2）" in message and "W-V6" in message and "availability" in message
    assert message.endswith("（填写的是“W-V2、首页没更新、W-V9”）")


def test_a_rule_set_is_an_id_or_id_at_version() -> None:
    assert imported_period(rule_set="national-2019").rule_set == "national-2019"
    assert imported_period(rule_set=" Lincang-2022@1 ").rule_set == "lincang-2022@1"
    [message] = messages(parse_import(period_files(rule_set="临沧细则")))
    assert message.startswith("「监测周期」第2行「规则集」：规则集应写作规则集编号或“编号@版本号”")
    assert "national-2019" in message and message.endswith("（填写的是“临沧细则”）")


def test_public_services_is_read_as_you_or_wu_and_blank_means_it_has_them() -> None:
    header = [*SITE_HEADER, "对外服务职能"]
    rows = [[*SITE, "无"]]
    second = [*SITE, "有"]
    second[:3] = ["云岭市气象局", "https://qxj.yl.example.gov.cn/", "5399000002"]
    third = [*SITE, ""]
    third[:3] = ["云岭市档案局", "https://daj.yl.example.gov.cn/", "5399000003"]
    result = parse_import([files()[0], csv_file("sites.csv", header, [*rows, second, third])])
    assert result.inventory is not None, [p.message for p in result.problems]
    assert [t.public_services for t in result.inventory.targets] == [False, True, True]
    exported = export_csv(result.inventory)["网站.csv"].decode("utf-8-sig").splitlines()
    assert exported[0].split(",").count("对外服务职能") == 1
    assert [line.split(",")[exported[0].split(",").index("对外服务职能")] for line in exported[1:]] == [
        "无",
        "有",
        "有",
    ]


def test_a_bad_public_services_cell_is_reported() -> None:
    result = parse_import([files()[0], csv_file("sites.csv", [*SITE_HEADER, "对外服务职能"], [[*SITE, "部分"]])])
    assert messages(result) == [
        "「网站」第2行「对外服务职能」：应填写“有”或“无”（也认“是”或“否”），留空为有（填写的是“部分”）"
    ]
