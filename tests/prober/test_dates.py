from datetime import date

import pytest

from services.prober.extract.dates import date_in_url, find_dates, infer_year

REF = date(2022, 9, 29)


@pytest.mark.parametrize(
    "text",
    [
        "2022-09-28",
        "2022-9-28",
        "2022/9/28",
        "2022/09/28",
        "2022.09.28",
        "2022年9月28日",
        "2022年09月28日",
        "2022 年 9 月 28 日",
        "[09-28]",
        "【09-28】",
        "（09-28）",
        "09月28日",
        "9月28日",
        "发布时间：2022-09-28 10:30:00",
        "[2022-09-28]",
    ],
)
def test_every_form_government_sites_use_reads_as_the_same_day(text: str) -> None:
    assert find_dates(text, REF) == [date(2022, 9, 28)]


def test_several_dates_come_back_in_the_order_they_appear() -> None:
    text = "成文日期：2022年6月10日 发布日期：2022-06-15 更新：[06-20]"
    assert find_dates(text, REF) == [date(2022, 6, 10), date(2022, 6, 15), date(2022, 6, 20)]


def test_a_bare_month_day_counts_only_as_a_whole_date_cell() -> None:
    assert find_dates("09-28", REF, cell=True) == [date(2022, 9, 28)]
    assert find_dates("09-28", REF) == []
    assert find_dates("电话：0883-2123456", REF, cell=True) == []
    assert find_dates("1.5", REF, cell=True) == []


def test_a_month_day_takes_the_year_of_the_latest_such_day_not_after_the_reference() -> None:
    assert find_dates("[12-30]", date(2023, 1, 3)) == [date(2022, 12, 30)]
    assert find_dates("[01-02]", date(2023, 1, 3)) == [date(2023, 1, 2)]
    assert find_dates("01月03日", date(2023, 1, 3)) == [date(2023, 1, 3)]
    assert infer_year(12, 31, date(2023, 1, 1)) == date(2022, 12, 31)
    assert infer_year(2, 29, date(2023, 3, 1)) == date(2020, 2, 29)


def test_impossible_dates_are_not_dates() -> None:
    assert find_dates("2022-13-01 2022-02-30 [13-45] 2022年2月30日", REF) == []
    assert infer_year(13, 1, REF) is None


def test_the_greeting_is_not_an_item_date() -> None:
    assert find_dates("今天是2022年9月29日 星期四", REF) == []
    assert find_dates("今天是：2022-09-29", REF) == []
    assert find_dates("当前日期：09月29日", REF) == []


def test_footer_copyright_icp_and_site_code_give_no_dates() -> None:
    footer = (
        "主办：临沧市人民政府办公室 Copyright © 2003-2022 版权所有 滇ICP备05000123号-1 "
        "网站标识码：5309000001 滇公网安备 53090202000101号 联系电话：0883-2123456"
    )
    assert find_dates(footer, REF) == []
    assert find_dates("© 2022.09.28", REF) == []


def test_dates_after_the_reference_day_are_ignored() -> None:
    assert find_dates("2022-09-30", REF) == []
    assert find_dates("2022年10月1日起施行 2022-09-29", REF) == [date(2022, 9, 29)]


def test_a_year_and_month_alone_is_not_a_date() -> None:
    assert find_dates("2022年9月份工作安排", REF) == []


def test_article_urls_carry_their_date() -> None:
    assert date_in_url("http://www.lincang.gov.cn/zwdt/202209/t20220928_1188.html", REF) == date(2022, 9, 28)
    assert date_in_url("/sites/lc/tzgg/t20220901_3.html", REF) == date(2022, 9, 1)
    assert date_in_url("/sites/lc/tzgg/t20221001_3.html", REF) is None
    assert date_in_url("/sites/lc/tzgg/content_20220901.html", REF) is None
