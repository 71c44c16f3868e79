"""The evidence viewer's core: pages decoded as the prober read them, item dates marked, greetings and markup left."""

from __future__ import annotations

from datetime import date

from services.console.evidence import SANDBOX_CSP, dated_items, decode, mark_dates, plain_text_page, sandboxed_copy

GBK_PAGE = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>梅岭县人民政府 09-27</title>'
    "</head><body><div>今天是2022年9月29日 星期四</div><ul><li><a href='/t20220927_1.html'>县长主持召开常务会议</a>"
    "[09-27]</li><li><a href='/t20220920_2.html'>秋收工作部署</a>[09-20]</li></ul>"
    "<div id=footer>版权所有 2022年9月27日 滇ICP备05000001号</div></body></html>"
)


def test_a_gbk_page_declared_gb2312_is_decoded_with_every_chinese_character() -> None:
    text, codec = decode(GBK_PAGE.encode("gbk"), "text/html")
    assert codec == "gb18030" and "县长主持召开常务会议" in text
    header_wins, _ = decode("<p>松溪县</p>".encode("gbk"), "text/html; charset=GBK")
    assert header_wins == "<p>松溪县</p>"


def test_a_page_labelled_gbk_that_is_really_utf8_is_read_as_utf8() -> None:
    body = '<meta charset="gbk"><p>松溪县人民政府</p>'.encode()
    text, codec = decode(body, "")
    assert (text, codec) == ('<meta charset="gbk"><p>松溪县人民政府</p>', "utf-8")


def test_an_undeclared_page_falls_back_from_utf8_to_gb18030() -> None:
    assert decode("白沙县".encode(), "")[1] == "utf-8"
    assert decode("白沙县".encode("gb18030"), "")[0] == "白沙县"


def test_the_newest_items_date_is_marked_apart_and_the_greeting_footer_and_markup_are_left_alone() -> None:
    marked = mark_dates(GBK_PAGE, [date(2022, 9, 27), date(2022, 9, 20)], date(2022, 9, 27))
    assert '<mark class="xj-newest">[09-27]</mark>' in marked.html
    assert '<mark class="xj-item">[09-20]</mark>' in marked.html
    assert "今天是2022年9月29日" in marked.html  # the greeting is not an item's date
    assert "版权所有 2022年9月27日" in marked.html  # nor the footer's, though the date is the newest
    assert "<title>梅岭县人民政府 09-27</title>" in marked.html  # raw text elements untouched
    assert "href='/t20220927_1.html'" in marked.html  # attributes untouched
    assert (marked.marks, marked.newest_marks) == (2, 1)


def test_full_dates_must_match_exactly_and_a_date_cell_alone_is_read() -> None:
    page = (
        "<ul><li>通知<span>2022-08-30</span></li><li>旧闻<span>2021-08-30</span></li>"
        "<li>要闻<span> 08-12 </span></li><li>动态 2022年8月5日</li></ul><p>今天是<b>2022年8月30日</b></p>"
    )
    marked = mark_dates(page, [date(2022, 8, 30), date(2022, 8, 12), date(2022, 8, 5)], date(2022, 8, 30))
    assert '<span><mark class="xj-newest">2022-08-30</mark></span>' in marked.html
    assert "<span>2021-08-30</span>" in marked.html  # another year: not the item's date
    assert '<span> <mark class="xj-item">08-12</mark> </span>' in marked.html
    assert '动态 <mark class="xj-item">2022年8月5日</mark>' in marked.html
    assert "<b>2022年8月30日</b>" in marked.html  # 今天是<b>…</b>: a greeting split by a tag
    assert marked.marks == 3


def test_the_sandboxed_copy_adds_the_mark_style_in_the_head_and_lists_items_newest_first() -> None:
    facts = {
        "kind": "homepage",
        "newest_item_on": "2022-09-04",
        "items": [
            {"title": "旧", "url": "", "published_on": "2022-08-01"},
            {"title": "新", "url": "", "published_on": "2022-09-04"},
            {"title": "无日期", "url": "", "published_on": None},
        ],
    }
    copy = sandboxed_copy("<html><head><title>t</title></head><body><li>新 2022年9月4日</li></body></html>", facts)
    assert copy.html.startswith("<html><head><style>mark.xj-newest")
    assert copy.newest_marks == 1
    items = dated_items(facts)
    assert [(i.title, i.newest) for i in items] == [("新", True), ("旧", False), ("无日期", False)]


def test_the_sandbox_policy_runs_no_script_and_loads_nothing_from_elsewhere() -> None:
    assert SANDBOX_CSP.startswith("sandbox;")
    assert "default-src 'none'" in SANDBOX_CSP and "script-src" not in SANDBOX_CSP
    assert "<script>" not in plain_text_page("<script>alert(1)</script>")
