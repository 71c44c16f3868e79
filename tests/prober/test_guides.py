"""service_guides: key elements, time limits in working days and the inconsistencies the notices name."""

from __future__ import annotations

import pytest

from services.prober.extract.guides import (
    INCONSISTENT_LIMIT,
    KEY_ELEMENTS,
    LONGER_THAN_STATUTORY,
    NO_CONCRETE_LIMIT,
    limit_days,
    read_guide,
)

from .test_corpus import CorpusSite, observe

URL = "http://www.example.gov.cn/bszn/1.html"


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("20个工作日", 20),
        ("自受理之日起20个工作日内作出决定", 20),
        ("即办件", 0),
        ("当场办结", 0),
        ("5日", 5),
        ("二十个工作日", 20),
        ("十五个工作日", 15),
        ("1个月", 30),
        ("按规定时限", "按规定时限"),
        ("无", None),
        ("", None),
    ],
)
def test_time_limits_become_working_days(text: str, days: int | str | None) -> None:
    assert limit_days(text) == days


def guide(rows: str) -> object:
    return read_guide(f"<h1>测试事项</h1><table>{rows}</table>", URL)


def row(label: str, value: str) -> str:
    return f"<tr><th>{label}</th><td>{value}</td></tr>"


def test_a_guide_with_all_labels_misses_nothing_and_has_no_problem() -> None:
    values = {e: "内容" for e in KEY_ELEMENTS} | {"法定办结时限": "20个工作日", "承诺办结时限": "10个工作日"}
    found = read_guide("<table>" + "".join(row(k, v) for k, v in values.items()) + "</table>", URL)
    assert found.missing == [] and found.problems == []
    assert found.elements == list(KEY_ELEMENTS)


def test_an_empty_or_placeholder_value_counts_as_missing() -> None:
    found = read_guide("<h1>某事项</h1><table>" + row("设定依据", "无") + row("办理地点", "/") + "</table>", URL)
    assert "设定依据" in found.missing and "办理地点" in found.missing
    assert found.elements == ["事项名称"]


def test_a_promised_limit_longer_than_the_statutory_one_is_a_problem() -> None:
    found = read_guide("<table>" + row("法定期限", "10个工作日") + row("承诺期限", "15个工作日") + "</table>", URL)
    assert found.problems == [LONGER_THAN_STATUTORY]


def test_a_limit_without_a_number_or_no_limit_at_all_is_no_concrete_limit() -> None:
    vague = read_guide("<p>法定办结时限：依法定时限办理</p><p>承诺办结时限：5个工作日</p>", URL)
    assert vague.problems == [NO_CONCRETE_LIMIT]
    assert vague.statutory_days is None and vague.promised_days == 5
    assert read_guide("<p>申请条件：无特殊要求的公民</p>", URL).problems == [NO_CONCRETE_LIMIT]


def test_a_stated_handling_time_that_differs_from_the_promised_one_is_inconsistent() -> None:
    html = "<p>办理时限：7个工作日</p><p>法定办结时限：20个工作日</p><p>承诺办结时限：5个工作日</p>"
    assert read_guide(html, URL).problems == [INCONSISTENT_LIMIT]
    twice = "<p>承诺时限：5个工作日</p><p>法定时限：20个工作日</p><p>承诺办结时限：3个工作日</p>"
    assert read_guide(twice, URL).problems == [INCONSISTENT_LIMIT]


def test_the_footer_telephone_is_not_the_guide_telephone() -> None:
    html = "<h1>某事项</h1><p>办理地点：政务服务中心</p><div class='footer'><p>联系电话：0883-2122019</p></div>"
    assert "联系电话" in read_guide(html, URL).missing


async def test_the_observer_reads_the_listed_guides() -> None:
    routes: dict[str, str | bytes] = {
        "/zwfw/": "guides_list_utf8.html",
        "/zwfw/bszn/202203/t20220310_90011.html": "guide_trs_table_utf8.html",
        "/zwfw/bszn/202203/t20220310_90012.html": "guide_jcms_table_gbk.html",
        "/zwfw/bszn/202204/t20220412_90230.html": "guide_paragraph_vague_utf8.html",
    }
    async with CorpusSite(routes) as site:
        seen = await observe("service_guides", site.url("/zwfw/"))
    facts = seen.facts
    assert facts.service_offered
    assert [g.name for g in facts.guides] == [
        "个体工商户设立登记",
        "道路运输经营许可（道路旅客运输经营许可）",
        "城乡居民最低生活保障对象认定",
    ]
    assert facts.guides[1].problems == [LONGER_THAN_STATUTORY]
    assert any("t20220516_90401" in f for f in seen.findings)  # the fourth guide's page is missing: said so


async def test_the_observer_takes_a_guide_page_itself_and_says_when_no_service_is_offered() -> None:
    routes: dict[str, str | bytes] = {"/g/": "guide_instant_gbk.html", "/none/": "guides_list_empty_utf8.html"}
    async with CorpusSite(routes) as site:
        single = await observe("service_guides", site.url("/g/"))
        none = await observe("service_guides", site.url("/none/"))
    assert single.facts.service_offered and single.facts.guides[0].promised_days == 0
    assert not none.facts.service_offered and none.facts.guides == []
