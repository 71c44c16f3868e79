"""Rule sets as YAML: the national file is the national rules, a local file may only tighten them."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from services.evaluator.rules import NATIONAL_2019, RuleSet
from services.evaluator.rules.loading import (
    Problem,
    RuleSetError,
    builtin_rule_sets,
    load_rule_set,
    merge,
    parse,
)
from services.evaluator.rules.replies import ReplyLimit
from services.evaluator.rules.ruleset import BUILTIN_DIR, META_FIELDS
from services.evaluator.rules.specs import Confidence
from services.evaluator.rules.tightening import DIRECTIONS, loosened

NATIONAL_TEXT = (BUILTIN_DIR / "national-2019.yaml").read_text(encoding="utf-8")
BASES = {"national-2019": NATIONAL_2019}
HEADER = "id: lincang-2022\ntitle: 临沧市政府网站检查细则\nextends: national-2019\nversion: 1\n"


def local(body: str) -> RuleSet:
    return load_rule_set(HEADER + dedent(body), "lincang-2022.yaml", BASES)


def problems(body: str) -> list[Problem]:
    with pytest.raises(RuleSetError) as caught:
        local(body)
    assert caught.value.source == "lincang-2022.yaml"
    return caught.value.problems


# --- the national file ------------------------------------------------------------------------------------------


def test_the_shipped_national_file_is_the_rule_set_the_evaluator_uses() -> None:
    [builtin] = builtin_rule_sets()
    assert builtin.rule_set == NATIONAL_2019
    assert builtin.source == "national-2019.yaml" and builtin.text == NATIONAL_TEXT
    assert NATIONAL_2019.ref == "national-2019@1" and NATIONAL_2019.extends is None
    assert NATIONAL_2019.title and NATIONAL_2019.description


def test_the_national_file_holds_every_line_of_the_2019_text() -> None:
    r = NATIONAL_2019
    assert (r.availability.threshold, r.availability.window_days, r.availability.min_daily_visits) == (0.05, 7, 20)
    assert (r.homepage.threshold, r.homepage.window_days) == (14, 14)
    assert (r.newmedia.threshold, r.newmedia.window_days) == (14, 14)
    columns = r.site_columns
    assert (columns.threshold, columns.long_stale_line, columns.empty_line) == (5, 10, 5)
    assert (columns.frequent_days, columns.first_level_months, columns.fallback_period_days) == (14, 6, 180)
    assert columns.frequent_types == ["动态要闻", "动态", "要闻"] and columns.first_level_types == [
        "通知公告",
        "政策文件",
    ]
    assert r.column.period_days_by_type == columns.period_days_by_type
    assert columns.period_days_by_type["动态要闻"] == 14 and columns.period_days_by_type["人事信息"] == 365
    assert r.interaction.threshold == 3 and r.interaction.reply_limit == ReplyLimit(months=3)
    assert r.interaction.lookback_months == 12 and r.interaction.late_answer_counts
    assert {"在线访谈", "调查征集", "信访", "纪检"} <= set(r.interaction.excluded_categories)
    assert r.services.key_elements[:4] == ["事项名称", "设定依据", "申请条件", "办理材料"]
    assert (r.content.threshold, r.content.veto_severities) == (1, ["严重"])
    assert (r.closure.threshold, r.newmedia_interaction.unknown_is_insufficient) == (30, False)
    assert (r.scoring.threshold, r.scoring.full_marks, r.scoring.veto) == (60, 100, False)
    assert {g.group_id: g.total for g in r.scoring.groups} == {
        "publish": 40,
        "services": 25,
        "interaction": 15,
        "design": 20,
    }
    assert r.scoring.item("policy_column_stale").points == 5 and r.scoring.item("dead_link").points == 0.1
    assert (r.warnings.unreachable_ratio, r.warnings.homepage_days, r.warnings.message_days) == (0.03, 10, 80)


def test_every_indicator_is_there_with_its_source_and_confidence_tag() -> None:
    rules = [getattr(NATIONAL_2019, name) for name in DIRECTIONS if name != "warnings"]
    assert {r.indicator_id for r in rules} == {
        *(f"W-V{i}" for i in range(1, 7)),
        *(f"N-V{i}" for i in range(1, 4)),
        "N-Z",
        "W-S",
    }
    assert all(r.source and isinstance(r.confidence, Confidence) for r in rules)
    assert all(r.veto for r in rules if r.indicator_id != "W-S")
    assert NATIONAL_2019.content.confidence is Confidence.confirmed
    assert NATIONAL_2019.services.confidence is Confidence.unconfirmed


def test_every_field_of_every_rule_has_a_tightening_direction() -> None:
    sections = [name for name in RuleSet.model_fields if name not in META_FIELDS]
    assert sorted(DIRECTIONS) == sorted(sections)
    for name in sections:
        model = type(getattr(NATIONAL_2019, name))
        assert sorted(DIRECTIONS[name]) == sorted(model.model_fields), name


# --- a local rule set lists only what it changes ----------------------------------------------------------------


def test_a_local_rule_set_is_the_national_one_with_its_changes() -> None:
    lincang = local("homepage: {threshold: 10}\ninteraction: {reply_limit: {working_days: 5}}\n")
    assert lincang.ref == "lincang-2022@1" and lincang.extends == "national-2019@1"
    assert lincang.homepage.threshold == 10 and lincang.homepage.label == NATIONAL_2019.homepage.label
    assert lincang.interaction.reply_limit == ReplyLimit(working_days=5)
    assert lincang.interaction.lookback_months == 12
    unchanged = {"availability", "site_columns", "scoring", "warnings", "newmedia", "services"}
    assert all(getattr(lincang, name) == getattr(NATIONAL_2019, name) for name in unchanged)


def test_nested_mappings_merge_and_lists_replace() -> None:
    merged = merge({"a": {"x": 1, "y": {"p": 1, "q": 2}}, "l": [1, 2, 3]}, {"a": {"y": {"q": 9}}, "l": [4]})
    assert merged == {"a": {"x": 1, "y": {"p": 1, "q": 9}}, "l": [4]}
    county = local(
        "column: {period_days_by_type: {动态: 7}}\nservices: {key_elements: [事项名称, 设定依据, 申请条件,"
        " 办理材料, 办理地点, 办理时间, 联系电话, 办理流程, 收费标准]}\n"
    )
    assert county.column.period_days_by_type["动态"] == 7 and county.column.period_days_by_type["通知公告"] == 180
    assert county.services.key_elements[-1] == "收费标准" and len(county.services.key_elements) == 9


@pytest.mark.parametrize(
    "body",
    [
        "interaction: {reply_limit: {hours: 72}}\n",  # 芒市: replies within 72 hours
        "homepage: {threshold: 10, window_days: 10}\nnewmedia: {threshold: 10}\n",  # update every 10 days
        "site_columns: {threshold: 3, long_stale_line: 3, empty_line: 3}\n",
        "availability: {threshold: 0.03, min_daily_visits: 48}\n",
        "content: {veto_severities: [严重, 疑似]}\ninteraction: {excluded_categories: [在线访谈, 信访, 纪检]}\n",
        "scoring: {threshold: 70}\nclosure: {threshold: 15, window_days: 15}\n",
        "warnings: {homepage_days: 13, unreachable_ratio: 0.045, message_days: 30}\n",  # advisory: anything goes
        "homepage: {name: 首页长期未更新, source: 临沧市通报, confidence: P}\n",  # wording and sources are free
    ],
)
def test_a_tightening_is_accepted(body: str) -> None:
    assert local(body).ref == "lincang-2022@1"


def test_a_local_item_may_be_added_and_national_points_raised() -> None:
    items = [i.model_dump(mode="json") for i in NATIONAL_2019.scoring.items]
    items[0]["points"] = 8
    lines = "".join(f"    - {{{', '.join(f'{k}: {v}' for k, v in i.items() if v is not None)}}}\n" for i in items)
    extra = "    - {item_id: no_ipv6, group_id: design, name: 未支持IPv6访问, points: 1, confidence: P}\n"
    county = local(f"scoring:\n  items:\n{lines}{extra}")
    assert county.scoring.item("policy_column_stale").points == 8 and county.scoring.item("no_ipv6").points == 1


# --- a loosening is refused, naming the field -------------------------------------------------------------------


def test_a_loosened_veto_is_refused_with_both_values_in_the_words_of_the_office() -> None:
    [problem] = problems("homepage: {threshold: 20}\n")
    assert problem.text == "homepage.threshold：本地规则为20天，宽于国家规则14天，不能放宽单项否决指标"
    assert problem.line == 5


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        ("availability: {threshold: 0.1}", "availability.threshold", "本地规则为10%，宽于国家规则5%"),
        ("availability: {window_days: 3}", "availability.window_days", "此项不得修改"),
        ("availability: {min_daily_visits: 10}", "availability.min_daily_visits", "本地规则为10次，宽于国家规则20次"),
        ("availability: {veto: false}", "availability.veto", "取消了单项否决"),
        ("newmedia: {threshold: 30}", "newmedia.threshold", "本地规则为30天，宽于国家规则14天"),
        ("homepage: {window_days: 21}", "homepage.window_days", "宽于国家规则14天"),
        ("column: {threshold: 365}", "column.threshold", "宽于国家规则180天"),
        ("column: {period_days_by_type: {动态: 30}}", "column.period_days_by_type.动态", "宽于国家规则14天"),
        ("column: {period_days_by_type: {其他: 400}}", "column.period_days_by_type.其他", "宽于国家规则180天"),
        ("content: {threshold: 2}", "content.threshold", "本地规则为2个，宽于国家规则1个"),
        ("content: {veto_severities: []}", "content.veto_severities", "删去了「严重」"),
        ("newmedia_content: {veto: false}", "newmedia_content.veto", "不能放宽单项否决指标"),
        ("site_columns: {threshold: 6}", "site_columns.threshold", "宽于国家规则5个"),
        ("site_columns: {long_stale_line: 12}", "site_columns.long_stale_line", "宽于国家规则10个"),
        ("site_columns: {empty_line: 6}", "site_columns.empty_line", "宽于国家规则5个"),
        ("site_columns: {frequent_days: 21}", "site_columns.frequent_days", "宽于国家规则14天"),
        ("site_columns: {first_level_months: 12}", "site_columns.first_level_months", "宽于国家规则6个月"),
        ("site_columns: {frequent_types: [动态要闻]}", "site_columns.frequent_types", "删去了「动态」、「要闻」"),
        ("site_columns: {first_level_types: [通知公告]}", "site_columns.first_level_types", "删去了「政策文件」"),
        ("site_columns: {fallback_period_days: 365}", "site_columns.fallback_period_days", "宽于国家规则180天"),
        ("site_columns: {period_days_by_type: {人事信息: 730}}", "site_columns.period_days_by_type.人事信息", "365天"),
        ("interaction: {threshold: 4}", "interaction.threshold", "本地规则为4个月，宽于国家规则3个月"),
        ("interaction: {reply_limit: {months: 4}}", "interaction.reply_limit", "本地规则为4个月，宽于国家规则3个月"),
        ("interaction: {reply_limit: {working_days: 90}}", "interaction.reply_limit", "90个工作日"),
        ("interaction: {lookback_months: 6}", "interaction.lookback_months", "本地规则为6个月，宽于国家规则12个月"),
        (
            "interaction: {excluded_categories: [访谈, 信访, 纪检, 咨询]}",
            "interaction.excluded_categories",
            "增加了「咨询」",
        ),
        ("interaction: {late_answer_counts: false}", "interaction.late_answer_counts", "国家规则为true"),
        ("services: {threshold: 3}", "services.threshold", "宽于国家规则1个"),
        ("services: {key_elements: [事项名称]}", "services.key_elements", "删去了「设定依据」"),
        ("newmedia_interaction: {veto: false}", "newmedia_interaction.veto", "取消了单项否决"),
        ("closure: {threshold: 60}", "closure.threshold", "本地规则为60天，宽于国家规则30天"),
        ("scoring: {threshold: 55}", "scoring.threshold", "本地规则为55分，宽于国家规则60分，不能放宽扣分指标"),
        ("homepage: {indicator_id: W-V9}", "homepage.indicator_id", "此项不得修改"),
    ],
)
def test_every_loosening_is_refused_naming_its_field(body: str, path: str, words: str) -> None:
    found = problems(body + "\n")
    assert [p.path for p in found] == [path]
    assert words in found[0].message
    assert found[0].line == 5  # the line of the field in the local file


def test_a_deduction_item_dropped_or_cheapened_and_a_group_total_changed_are_refused() -> None:
    items = NATIONAL_2019.scoring.model_dump(mode="json")["items"]
    cheaper = [{**i, "points": 0.2} if i["item_id"] == "wrong_word" else i for i in items[:-1]]  # drops the last
    groups = [
        {**g, "total": 30} if g["group_id"] == "publish" else g for g in NATIONAL_2019.scoring.model_dump()["groups"]
    ]
    scoring = NATIONAL_2019.scoring.model_dump(mode="json")
    scoring.update(items=cheaper, groups=groups, full_marks=90)  # 90 so the totals still add up
    rebuilt = RuleSet.model_validate({**NATIONAL_2019.model_dump(mode="json"), "id": "x", "scoring": scoring})
    found = {p.path: p.message for p in loosened(rebuilt, NATIONAL_2019)}
    assert "删去了扣分项「未提供「我为政府网站找错」入口」" in found["scoring.items"]
    assert found["scoring.items[1].points"] == "本地规则为0.2分，宽于国家规则0.5分，不能放宽扣分指标"
    assert "此项不得修改" in found["scoring.groups[0].total"] and "scoring.full_marks" in found


def test_every_loosened_field_is_listed_at_once() -> None:
    found = problems("homepage: {threshold: 20}\nscoring: {threshold: 50}\nservices: {veto: false}\n")
    assert [p.path for p in found] == ["homepage.threshold", "services.veto", "scoring.threshold"]
    with pytest.raises(RuleSetError) as caught:
        local("homepage: {threshold: 20}\n")
    assert str(caught.value).startswith("lincang-2022.yaml，第5行第12列：homepage.threshold：本地规则为20天")


def test_a_county_extending_a_city_may_not_loosen_the_city() -> None:
    city = local("homepage: {threshold: 10}\n")
    county = "id: yunxian-2022\ntitle: 云县细则\nextends: lincang-2022\nversion: 1\nhomepage: {threshold: 12}\n"
    with pytest.raises(RuleSetError) as caught:
        load_rule_set(county, "yunxian-2022.yaml", {"lincang-2022": city})
    assert caught.value.problems[0].text == (
        "homepage.threshold：本地规则为12天，宽于所依据规则（lincang-2022@1）10天，不能放宽单项否决指标"
    )


# --- malformed files: file, line and field named ----------------------------------------------------------------


def test_a_yaml_syntax_error_gives_its_line_and_column() -> None:
    with pytest.raises(RuleSetError) as caught:
        load_rule_set(HEADER + "homepage: {threshold: 10\nclosure: 5\n", "bad.yaml", BASES)
    [problem] = caught.value.problems
    assert problem.line == 6 and problem.column is not None and problem.message.startswith("YAML格式错误")
    assert str(caught.value).startswith("bad.yaml，第6行")


def test_an_unknown_field_is_named_with_its_line() -> None:
    [problem] = problems("homepage:\n  treshold: 10\n")
    assert (problem.path, problem.line, problem.column) == ("homepage.treshold", 6, 3)
    assert "不认识的字段" in problem.message


def test_a_key_written_twice_is_refused() -> None:
    [problem] = problems("homepage: {threshold: 10}\nhomepage: {threshold: 12}\n")
    assert problem.line == 6 and "「homepage」重复出现" in problem.message


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        ("homepage: {threshold: 十天}", "homepage.threshold", "应为数字，现为「十天」"),
        ("homepage: 10", "homepage", "应为「字段: 值」形式的映射"),
        ("content: {confidence: X}", "content.confidence", "应为'C', 'P' or 'U'之一"),
        ("interaction: {reply_limit: {months: 2, hours: 72}}", "interaction.reply_limit", "恰好写一项"),
        ("homepage: {threshold: 10.5}", "homepage.threshold", "应为正整数"),
    ],
)
def test_a_wrong_value_is_named_with_its_field(body: str, path: str, words: str) -> None:
    found = problems(body + "\n")
    assert [p.path for p in found] == [path]
    assert words in found[0].message and found[0].line == 5


def test_a_missing_base_a_missing_title_and_a_bad_version_are_reported() -> None:
    with pytest.raises(RuleSetError) as caught:
        load_rule_set("id: x\ntitle: 细则\nextends: provincial-2020\nversion: 1\n", "x.yaml", BASES)
    assert caught.value.problems[0].text == "extends：找不到所依据的规则集「provincial-2020」"
    with pytest.raises(RuleSetError) as caught:
        load_rule_set("id: x\nextends: national-2019\nversion: 0\n", "x.yaml", BASES)
    assert {p.path: p.line for p in caught.value.problems} == {"title": None, "version": 3}


def test_a_rule_set_cannot_extend_itself() -> None:
    with pytest.raises(RuleSetError) as caught:
        load_rule_set("id: national-2019\ntitle: 改\nextends: national-2019\nversion: 2\n", "n.yaml", BASES)
    assert caught.value.problems[0].path == "extends"


def test_a_deduction_part_that_does_not_add_up_is_refused() -> None:
    text = NATIONAL_TEXT.replace("total: 40,", "total: 45,")
    with pytest.raises(RuleSetError) as caught:
        load_rule_set(text, "national-2019.yaml")
    assert [p.text for p in caught.value.problems] == ["scoring.groups：各扣分指标分值合计105分，应等于满分100分"]


def test_an_empty_or_non_mapping_file_is_refused() -> None:
    for text in ("", "- homepage\n"):
        with pytest.raises(RuleSetError) as caught:
            parse(text, "x.yaml")
        assert "映射" in caught.value.problems[0].message


def test_the_builtin_directory_loads_a_base_before_the_sets_extending_it(tmp_path: Path) -> None:
    (tmp_path / "a-lincang.yaml").write_text(HEADER + "homepage: {threshold: 10}\n", encoding="utf-8")
    (tmp_path / "national-2019.yaml").write_text(NATIONAL_TEXT, encoding="utf-8")
    assert [b.rule_set.ref for b in builtin_rule_sets(tmp_path)] == ["national-2019@1", "lincang-2022@1"]
    (tmp_path / "national-2019.yaml").unlink()
    with pytest.raises(RuleSetError, match="找不到所依据的规则集"):
        builtin_rule_sets(tmp_path)
