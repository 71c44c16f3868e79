"""The page extractor on realistic samples (tests/prober/pages/), UTF-8 and GBK, list and table layouts."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from services.prober.extract.charset import decode
from services.prober.extract.pages import PageItems, extract_items

PAGES = Path(__file__).parent / "pages"
BASE = "http://127.0.0.1:8000/sites/lc/col/"
REF = date(2022, 9, 29)


@dataclass(frozen=True)
class Expected:
    page: str
    codec: str
    newest: date | None
    dated: int
    empty: bool
    reference: date = REF


SAMPLES = [
    Expected("city_homepage_utf8.html", "utf-8", date(2022, 9, 28), 6, False),
    Expected("county_homepage_gbk.html", "gb18030", date(2022, 9, 12), 5, False),
    Expected("column_list_utf8.html", "utf-8", date(2022, 9, 16), 5, False),
    Expected("column_policy_table_gbk.html", "gb18030", date(2022, 6, 15), 3, False),
    Expected("column_dl_layout.html", "utf-8", date(2022, 9, 21), 4, False),
    Expected("column_empty.html", "utf-8", None, 0, True),
    Expected("column_undated.html", "utf-8", None, 0, False),
    Expected("homepage_new_year.html", "utf-8", date(2023, 1, 2), 4, False, date(2023, 1, 3)),
]


def read(name: str, reference: date = REF) -> tuple[PageItems, str]:
    text, codec = decode((PAGES / name).read_bytes())
    return extract_items(text, BASE, reference), codec


@pytest.mark.parametrize("expected", SAMPLES, ids=[s.page for s in SAMPLES])
def test_each_sample_page_yields_its_newest_date_item_count_and_emptiness(expected: Expected) -> None:
    found, codec = read(expected.page, expected.reference)
    assert codec == expected.codec
    assert found.newest_on == expected.newest
    assert len(found.dated) == expected.dated
    assert found.column_is_empty() is expected.empty


def test_homepage_items_keep_title_absolute_url_and_date_newest_first() -> None:
    found, _ = read("city_homepage_utf8.html")
    first = found.dated[0]
    assert first.title == "临沧市召开2022年第三季度经济运行分析会"
    assert first.url == "http://127.0.0.1:8000/zwdt/lcyw/202209/t20220928_1188.html"
    days = [i.published_on or date.min for i in found.dated]
    assert days == sorted(days, reverse=True)


def test_a_truncated_link_text_gives_way_to_the_title_attribute() -> None:
    found, _ = read("city_homepage_utf8.html")
    assert "市委常委会召开会议 研究部署国庆期间安全生产工作" in [i.title for i in found.dated]


def test_greeting_footer_script_and_future_dates_do_not_make_a_homepage_fresh() -> None:
    # The page greets with 今天是2022年9月29日, its footer and a script print 2022-09-29/30, and one notice is
    # dated 2022-10-08: none of them is the newest item.
    found, _ = read("city_homepage_utf8.html")
    dates = {i.published_on for i in found.dated}
    assert date(2022, 9, 29) not in dates
    assert all(on is not None and on <= REF for on in dates)
    assert "关于我们" not in [i.title for i in found.dated + found.undated]
    assert "临沧市2022年秋季征兵工作公告" in [i.title for i in found.undated]


def test_a_date_in_the_title_is_not_the_publication_date() -> None:
    found, _ = read("city_homepage_utf8.html")
    notice = next(i for i in found.dated if i.title.startswith("关于做好2022年10月1日前"))
    assert notice.published_on == date(2022, 9, 20)


def test_gbk_page_declared_gb2312_is_read_with_characters_beyond_gb2312() -> None:
    found, _ = read("county_homepage_gbk.html")
    titles = [i.title for i in found.dated]
    assert "镇康县开展“喆”字辈乡村振兴调研（生僻字测试）" in titles
    assert "县农业农村局开展秋收生产指导" in titles  # date written 09月10日 after the link


def test_table_layout_takes_the_latest_date_of_the_row_as_its_publication_date() -> None:
    found, _ = read("column_policy_table_gbk.html")
    first = found.dated[0]
    assert first.published_on == date(2022, 6, 15)  # 发布日期, not 成文日期 2022年6月10日
    assert first.title.endswith("综合交通运输发展规划的通知")


def test_definition_lists_pair_each_title_with_its_own_date() -> None:
    found, _ = read("column_dl_layout.html")
    by_title = {i.title: i.published_on for i in found.dated}
    assert by_title["双江自治县2022年第三批就业见习岗位公告"] == date(2022, 9, 21)
    assert by_title["关于开展2022年度农村危房改造验收工作的通知"] == date(2022, 9, 14)
    assert by_title["双江自治县2022年秋季学期学生资助政策公告"] == date(2022, 8, 29)


def test_a_date_cell_inside_the_link_is_not_part_of_the_title() -> None:
    found, _ = read("homepage_new_year.html", date(2023, 1, 3))
    assert found.dated[0].title == "沧源县召开2023年第一次县政府常务会议"
    assert [i.published_on for i in found.dated][-2:] == [date(2022, 12, 30), date(2022, 12, 28)]


def test_a_column_whose_items_carry_no_date_is_not_empty_but_has_no_newest_date() -> None:
    found, _ = read("column_undated.html")
    assert found.newest_on is None
    assert "临沧市民政局主要职责和内设机构" in [i.title for i in found.undated]


def test_a_column_with_an_empty_list_and_only_menus_is_empty_even_without_a_marker() -> None:
    html = "<ul><li><a href='/'>首页</a></li><li><a href='/zwgk/'>政务公开</a></li></ul><ul class='list'></ul>"
    found = extract_items(html, BASE, REF)
    assert found.column_is_empty()
    assert not found.empty_marker


def test_unclosed_list_items_are_still_separate_items() -> None:
    html = "<ul><li><a href='a.html'>第一条通知标题内容</a> 2022-09-01<li><a href='b.html'>第二条通知标题内容</a> 2022-09-02</ul>"
    found = extract_items(html, BASE, REF)
    assert [(i.title, i.published_on) for i in found.dated] == [
        ("第二条通知标题内容", date(2022, 9, 2)),
        ("第一条通知标题内容", date(2022, 9, 1)),
    ]


def test_the_article_url_gives_the_year_of_a_shown_month_day_when_they_agree() -> None:
    # Read two years later, [09-25] alone would be 2024-09-25; its URL /t20220925_ says which year it was.
    found, _ = read("city_homepage_utf8.html", date(2024, 10, 1))
    by_title = {i.title: i.published_on for i in found.dated}
    assert by_title["临沧市人民政府办公室关于2022年国庆节放假的通知"] == date(2022, 9, 25)
    assert found.newest_on == date(2022, 10, 8)  # no longer in the future of the reference
