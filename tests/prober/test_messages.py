"""interaction: channels and messages of a message board, in table, list and labelled-block layouts."""

from __future__ import annotations

from datetime import date

from services.prober.extract.messages import BoardPage, needs_detail, read_board
from shared.events import Message

from .test_corpus import CorpusSite, observe

URL = "http://www.example.gov.cn/hdjl/"
REF = date(2022, 9, 29)


def board(html: str) -> BoardPage:
    return read_board(html, URL, REF)


def test_a_table_heading_row_decides_which_date_is_asked_and_which_answered() -> None:
    html = (
        "<table><tr><th>标题</th><th>答复时间</th><th>留言时间</th><th>状态</th></tr>"
        "<tr><td><a href='m1.html'>路灯不亮</a></td><td>2022-09-10</td><td>2022-09-01</td><td>已答复</td></tr></table>"
    )
    [message] = board(html).messages
    assert (message.asked_on, message.answered_on, message.status) == (date(2022, 9, 1), date(2022, 9, 10), "已答复")
    assert message.url == URL + "m1.html"


def test_a_news_sidebar_with_dates_is_not_taken_for_messages() -> None:
    html = (
        "<ul><li><a href='/a.html'>关于开展秋季爱国卫生运动的通知</a><span>2022-09-20</span></li>"
        "<li><a href='/b.html'>全县召开安全生产工作会议</a><span>2022-09-18</span></li></ul>"
    )
    assert board(html).messages == []


def test_only_petition_and_discipline_channels_are_no_consultation_channel() -> None:
    html = "<ul><li><a href='http://xf.yn.gov.cn/'>网上信访</a></li><li><a href='/jb/'>纪检举报</a></li></ul>"
    found = board(html)
    assert found.channel_kinds == []
    assert not found.channel_present


def test_a_suspended_board_has_no_working_channel_even_with_its_tabs() -> None:
    html = "<a href='/zx/'>我要咨询</a><a href='/jy/'>我要建议</a><p>系统升级维护中，暂停受理留言。</p>"
    found = board(html)
    assert found.channel_kinds == ["咨询", "建议"]
    assert not found.channel_present


def test_a_board_listing_messages_has_a_channel_even_without_channel_words() -> None:
    html = "<ul><li><a href='/m/1.html'>小区停车位规划问题</a><span>2022-09-02</span><span>已回复</span></li></ul>"
    found = board(html)
    assert found.channel_present
    assert found.messages[0].status == "已回复"


def test_a_future_date_is_no_asked_date() -> None:
    html = "<ul><li><a href='/m/1.html'>咨询国庆期间办证</a><span>2022-10-02</span><span>未答复</span></li></ul>"
    assert board(html).messages[0].asked_on is None


def test_which_messages_need_their_detail_page() -> None:
    answered_without_date = Message(title="t", url="u", asked_on=REF, status="已办结")
    unanswered = Message(title="t", url="u", asked_on=REF, status="未答复")
    complete = Message(title="t", url="u", asked_on=REF, answered_on=REF, status="已答复")
    no_asked = Message(title="t", url="u", status="已答复", answered_on=REF)
    assert needs_detail(answered_without_date) and needs_detail(no_asked)
    assert not needs_detail(unanswered) and not needs_detail(complete)
    assert not needs_detail(Message(title="t", status="已办结"))  # nowhere to look


async def test_the_observer_follows_pagination_and_completes_messages_from_detail_pages() -> None:
    routes: dict[str, str | bytes] = {
        "/hdjl/": "board_jcms_li_gbk.html",
        "/jact/front/maillist.do?sysid=6&pageNo=2": "board_jcms_li_page2_gbk.html",
        "/jact/front/maillist.do?sysid=6&pageNo=1": "board_jcms_li_gbk.html",
        "/jact/front/mailpubdetail.do?transactId=90088&sysid=6": "message_detail_jcms_gbk.html",
    }
    async with CorpusSite(routes) as site:
        seen = await observe("interaction", site.url("/hdjl/"))
    facts = seen.facts
    assert facts.channel_present
    assert facts.channel_kinds == ["咨询", "建议", "投诉", "信箱"]
    assert facts.messages_seen == 6  # 4 on the first page, 2 on the second; page 1 again adds nothing
    by_title = {m.title: m for m in facts.messages}
    noise = by_title["耿马镇白马社区夜间施工噪音扰民"]
    assert (noise.asked_on, noise.answered_on, noise.status) == (date(2022, 9, 2), date(2022, 9, 8), "已办结")
    assert by_title["反映某村土地承包纠纷问题"].category == "信访"
    assert by_title["退役军人优待证在哪里办理"].answered_on is None
    # The unanswered and in-progress messages were not fetched; the answered ones were (one detail page exists).
    assert "/jact/front/mailpubdetail.do?transactId=89701&sysid=6" not in site.seen
    assert "/jact/front/mailpubdetail.do?transactId=89950&sysid=6" in site.seen


async def test_the_observer_stays_within_its_page_bounds() -> None:
    pages: dict[str, str | bytes] = {f"/b/index_{n}.html": _numbered_board(n) for n in range(1, 30)}
    pages["/b/"] = _numbered_board(0)
    async with CorpusSite(pages) as site:
        seen = await observe("interaction", site.url("/b/"), interaction_max_pages=3, interaction_max_details=2)
    list_pages = [p for p in site.seen if p.startswith("/b/")]
    assert len(list_pages) == 3
    assert len([p for p in site.seen if p.startswith("/m/")]) == 2
    assert seen.facts.messages_seen == 3


def _numbered_board(n: int) -> bytes:
    links = "".join(f"<a href='index_{k}.html'>{k}</a>" for k in range(n + 1, n + 4))
    item = f"<ul><li><a href='/m/{n}.html'>第{n}号留言的标题</a><span>2022-09-0{1 + n % 9}</span><span>已答复</span></li></ul>"
    return f"<html><body>{item}<div class='page'>{links}</div></body></html>".encode()
