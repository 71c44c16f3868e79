"""Pages and feeds as strings: government CMS layouts, built without a template engine for speed."""

from __future__ import annotations

from datetime import date, datetime
from email.utils import format_datetime
from html import escape

from simulator.messages import BoardMessage
from simulator.timeline import Item
from simulator.world import HOMEPAGE_BLOCK_SIZE, LIST_PAGE_SIZE, Block, Feed, Site

WEEKDAYS = "一二三四五六日"

STYLE = (
    "<style>body{margin:0;font:14px/1.8 'Microsoft YaHei',SimSun,sans-serif;color:#333}"
    ".w{width:1200px;margin:0 auto}.top{background:#f5f5f5;font-size:12px}.header{background:#b5161c;color:#fff}"
    ".nav li,.top a{display:inline-block;margin-right:18px}.block{float:left;width:380px;margin:10px}"
    ".list li span,.date{float:right;color:#999}.footer{clear:both;background:#eee;text-align:center;"
    "font-size:12px;padding:16px}</style>"
)


def format_day(day: date, style: str) -> str:
    """A date the way a given CMS prints it in lists."""
    if style == "slash":
        return f"{day.year}/{day.month}/{day.day}"
    if style == "chinese":
        return f"{day.year}年{day.month}月{day.day}日"
    if style == "bracket":
        return f"[{day:%m-%d}]"
    if style == "month_day":
        return f"{day:%m}月{day:%d}日"
    return day.isoformat()


def greeting(at: datetime) -> str:
    return f"今天是{at.year}年{at.month}月{at.day}日 星期{WEEKDAYS[at.weekday()]}"


def _head(site: Site, title: str, extra_meta: str = "") -> str:
    w = site.spec
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="{w.encoding}">'
        f'<meta http-equiv="X-UA-Compatible" content="IE=edge"><title>{escape(title)}</title>'
        f'<meta name="SiteName" content="{escape(w.name)}"><meta name="SiteDomain" content="{w.id}.example.gov.cn">'
        f'<meta name="SiteIDCode" content="{w.site_code}">{extra_meta}{STYLE}</head><body>'
    )


def _top(site: Site, at: datetime) -> str:
    w = site.spec
    hello = f'<span class="greeting">{greeting(at)}</span>' if w.greeting else ""
    board = f'<li><a href="/sites/{w.id}/hdjl/">互动交流</a></li>' if site.board is not None else ""
    nav = "".join(f'<li><a href="/sites/{w.id}/{b.id}/">{escape(b.name)}</a></li>' for b in site.blocks)
    return (
        f'<div class="top"><div class="w">{hello}<a href="javascript:;">无障碍浏览</a><a href="javascript:;">长者模式</a>'
        f'</div></div><div class="header"><div class="w"><h1 class="logo">{escape(w.name)}</h1>'
        '<form class="search" action="javascript:;"><input type="text" placeholder="请输入关键词">'
        '<button type="button">搜索</button></form></div></div>'
        f'<div class="nav"><ul class="w"><li><a href="/sites/{w.id}/">首页</a></li>{nav}{board}</ul></div>'
    )


def _footer(site: Site, at: datetime) -> str:
    w = site.spec
    icp = w.icp or f"滇ICP备{w.site_code[-8:]}号"
    police = w.police_record or f"滇公网安备 {w.site_code[:4]}0202{w.site_code[-6:]}号"
    return (
        f'<div class="footer"><p>主办单位：{escape(site.unit_name)}　承办单位：{escape(site.unit_name)}</p>'
        f'<p>网站标识码：{w.site_code}　<a href="https://beian.miit.gov.cn/" target="_blank">{icp}</a>　'
        f'<a href="http://www.beian.gov.cn/" target="_blank">{police}</a></p>'
        f'<p>版权所有 &copy; {at.year} {escape(site.unit_name)}　<span class="dzjg">党政机关</span></p>'
        "</div></body></html>"
    )


def _href(site: Site, block: Block, item: Item) -> str:
    return f"/sites/{site.spec.id}/{block.id}/{item.slug}.html"


def _portal_block(site: Site, block: Block, items: list[Item]) -> str:
    style = site.spec.date_style
    rows = "".join(
        f'<li><a href="{_href(site, block, i)}" target="_blank" title="{escape(i.title)}">{escape(i.title)}</a>'
        f"<span>{format_day(i.day, style)}</span></li>"
        for i in items
    )
    return (
        f'<div class="block" id="{block.id}"><div class="block-title"><h3>{escape(block.name)}</h3>'
        f'<a class="more" href="/sites/{site.spec.id}/{block.id}/">更多&gt;&gt;</a></div>'
        f'<ul class="list">{rows}</ul></div>'
    )


def _department_block(site: Site, block: Block, items: list[Item]) -> str:
    style = site.spec.date_style
    rows = "".join(
        f'<dd><a href="{_href(site, block, i)}" target="_blank">{escape(i.title)}</a>'
        f'<em class="date">{format_day(i.day, style)}</em></dd>'
        for i in items
    )
    return (
        f'<div class="block bm-box"><dl><dt><b>{escape(block.name)}</b>'
        f'<a href="/sites/{site.spec.id}/{block.id}/">更多</a></dt>{rows}</dl></div>'
    )


def homepage(site: Site, at: datetime) -> str:
    shown_at = min(at, site.frozen_after)
    render = _portal_block if site.spec.type == "门户" else _department_block
    blocks = "".join(render(site, b, b.stream.newest(shown_at, HOMEPAGE_BLOCK_SIZE)) for b in site.blocks)
    links = "".join(f'<li><a href="/sites/{site.spec.id}/{b.id}/">{escape(b.name)}</a></li>' for b in site.links)
    disclosure = f'<div class="block xxgk"><h3>政府信息公开</h3><ul>{links}</ul></div>' if links else ""
    return (
        _head(site, site.spec.name)
        + _top(site, at)
        + f'<div class="main w">{blocks}{disclosure}</div>'
        + _footer(site, at)
    )


def column_page(site: Site, block: Block, at: datetime) -> str:
    w = site.spec
    items = block.stream.newest(at, LIST_PAGE_SIZE)
    total = block.stream.visible_count(at)
    if not items:
        body = '<div class="no-data">暂无信息</div>'
    elif w.list_layout == "list":
        body = '<ul class="list">' + "".join(
            f'<li><a href="{_href(site, block, i)}" target="_blank" title="{escape(i.title)}">{escape(i.title)}</a>'
            f"<span>{format_day(i.day, w.date_style)}</span></li>"
            for i in items
        )
        body += "</ul>"
    else:
        rows = "".join(
            f'<tr><td class="xh">{n}</td><td><a href="{_href(site, block, i)}" target="_blank">{escape(i.title)}</a>'
            f'</td><td class="fbrq">{format_day(i.day, w.date_style)}</td></tr>'
            for n, i in enumerate(items, 1)
        )
        body = f'<table class="xxgk-table"><tr><th>序号</th><th>标题</th><th>发布日期</th></tr>{rows}</table>'
    pages = max(1, -(-total // LIST_PAGE_SIZE))
    meta = f'<meta name="ColumnName" content="{escape(block.name)}">'
    return (
        _head(site, f"{block.name}_{w.name}", meta)
        + _top(site, at)
        + f'<div class="main w"><div class="crumb">当前位置：<a href="/sites/{w.id}/">首页</a> &gt; {escape(block.name)}</div>'
        + f'<div class="column"><h2>{escape(block.name)}</h2>{body}'
        + f'<div class="page">共{total}条　第1页/共{pages}页</div></div></div>'
        + _footer(site, at)
    )


def article(site: Site, block: Block, item: Item, at: datetime) -> str:
    w = site.spec
    when = f"{format_day(item.day, 'iso' if w.date_style in ('bracket', 'month_day') else w.date_style)}"
    meta = (
        f'<meta name="ColumnName" content="{escape(block.name)}"><meta name="ArticleTitle" content="{escape(item.title)}">'
        f'<meta name="PubDate" content="{item.published_at:%Y-%m-%d %H:%M}">'
    )
    return (
        _head(site, f"{item.title}_{w.name}", meta)
        + _top(site, at)
        + f'<div class="main w"><div class="crumb">当前位置：<a href="/sites/{w.id}/">首页</a> &gt; '
        + f'<a href="/sites/{w.id}/{block.id}/">{escape(block.name)}</a> &gt; 正文</div>'
        + f'<div class="article"><h1>{escape(item.title)}</h1><div class="info">发布时间：{when} '
        + f"{item.published_at:%H:%M}　来源：{escape(site.unit_name)}　【字体：大 中 小】</div>"
        + f'<div class="content"><p>为深入贯彻落实上级有关决策部署，{escape(site.unit_name)}'
        + "坚持问题导向，压实工作责任，细化工作措施，推动各项工作落地见效。</p>"
        + "<p>下一步，将持续加强统筹协调和督促指导，确保各项任务按时保质完成。</p></div></div></div>"
        + _footer(site, at)
    )


BOARD_TABS = ("咨询投诉", "意见征集")  # beside the board's own tab; 意见征集 is not a consultation channel


def board_day(site: Site, day: date) -> str:
    """A board's dates: the site's style, with the year (a list's [09-28] style is not used for 留言时间)."""
    style = site.spec.date_style
    return format_day(day, "iso" if style in ("bracket", "month_day") else style)


def _board_page_href(site: Site, page: int) -> str:
    return f"/sites/{site.spec.id}/hdjl/" + (f"index_{page}.html" if page else "")


def _board_rows(site: Site, messages: list[BoardMessage], at: datetime, first: int) -> str:
    def cells(m: BoardMessage) -> tuple[str, str, str]:
        href = f"/sites/{site.spec.id}/hdjl/{m.slug}.html"
        link = f'<a href="{href}" target="_blank" title="{escape(m.title)}">{escape(m.title)}</a>'
        answered = m.answered_on if m.answered_by(at) else None
        return link, board_day(site, answered) if answered else "", "已答复" if answered else "未答复"

    if site.spec.list_layout == "table":
        rows = ""
        for n, m in enumerate(messages, first):
            link, answered, status = cells(m)
            rows += (
                f'<tr><td class="xh">{n}</td><td class="bt">{link}</td><td class="lb">{m.category}</td>'
                f'<td class="sj">{board_day(site, m.asked_on)}</td><td class="sj">{answered}</td>'
                f'<td class="zt">{status}</td></tr>'
            )
        head = "<tr><th>序号</th><th>留言标题</th><th>类别</th><th>留言时间</th><th>答复时间</th><th>状态</th></tr>"
        return f'<table class="board-table">{head}{rows}</table>'
    items = ""
    for m in messages:
        link, answered, status = cells(m)
        reply = f'<span class="dfsj">答复时间：{answered}</span>' if answered else ""
        items += (
            f'<li><span class="lb">[{m.category}]</span>{link}<span class="lysj">留言时间：{board_day(site, m.asked_on)}'
            f'</span>{reply}<span class="zt">{status}</span></li>'
        )
    return f'<ul class="board-list">{items}</ul>'


def _board_pager(site: Site, page: int, pages: int, total: int) -> str:
    links = f'<a href="{_board_page_href(site, 0)}">首页</a>'
    if page > 0:
        links += f'<a href="{_board_page_href(site, page - 1)}">上一页</a>'
    links += "".join(
        f"<span>{n + 1}</span>" if n == page else f'<a href="{_board_page_href(site, n)}">{n + 1}</a>'
        for n in range(pages)
    )
    if page + 1 < pages:
        links += f'<a href="{_board_page_href(site, page + 1)}">下一页</a>'
    links += f'<a href="{_board_page_href(site, pages - 1)}">尾页</a>'
    return f'<div class="page">共{total}条　第{page + 1}页/共{pages}页　{links}</div>'


def message_board(site: Site, at: datetime, page: int = 0) -> str | None:
    """A list page of the board as at ``at``: newest messages first; None past the last page."""
    board = site.board
    if board is None:
        return None
    spec, w = board.spec, site.spec
    visible = board.visible(at)
    pages = max(1, -(-len(visible) // spec.page_size))
    if page >= pages:
        return None
    shown = visible[page * spec.page_size : (page + 1) * spec.page_size]
    body = _board_rows(site, shown, at, page * spec.page_size + 1) if shown else '<div class="no-data">暂无留言</div>'
    tabs = f'<a class="on" href="{_board_page_href(site, 0)}">{escape(spec.name)}</a>' + "".join(
        f'<a href="javascript:;">{tab}</a>' for tab in BOARD_TABS
    )
    intro = (
        f'<div class="board-note">本栏目受理群众咨询、建议和投诉，{escape(site.unit_name)}承诺在{spec.reply_days}个'
        "工作日内答复。涉法涉诉及信访事项请通过法定途径反映。</div>"
    )
    return (
        _head(site, f"{spec.name}_{w.name}", f'<meta name="ColumnName" content="{escape(spec.name)}">')
        + _top(site, at)
        + f'<div class="main w"><div class="crumb">当前位置：<a href="/sites/{w.id}/">首页</a> &gt; 互动交流 &gt; '
        + f'{escape(spec.name)}</div><div class="hd-tabs">{tabs}</div>{intro}'
        + f'<div class="column board">{body}{_board_pager(site, page, pages, len(visible))}</div></div>'
        + _footer(site, at)
    )


def message_detail(site: Site, m: BoardMessage, at: datetime) -> str:
    """One message with its answer, labelled as detail pages print them."""
    assert site.board is not None
    w, spec = site.spec, site.board.spec
    answered = m.answered_by(at) and m.answered_at is not None

    def when(t: datetime) -> str:
        return f"{board_day(site, t.date())} {t:%H:%M}"

    rows = [
        ("留言标题", escape(m.title)),
        ("留言类别", m.category),
        ("留言时间", when(m.asked_at)),
        ("留言内容", f"{escape(m.title)}，望予以答复。"),
    ]
    if answered and m.answered_at is not None:
        rows += [
            ("答复单位", escape(site.unit_name)),
            ("答复时间", when(m.answered_at)),
            ("答复内容", "您好！您反映的问题已收悉，我单位已安排专人核实办理，感谢您的关注和支持。"),
        ]
    rows.append(("办理状态", "已答复" if answered else "未答复"))
    table = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
    return (
        _head(site, f"{m.title}_{spec.name}_{w.name}")
        + _top(site, at)
        + f'<div class="main w"><div class="crumb">当前位置：<a href="/sites/{w.id}/">首页</a> &gt; '
        + f'<a href="/sites/{w.id}/hdjl/">{escape(spec.name)}</a> &gt; 留言详情</div>'
        + f'<div class="article"><h1>{escape(m.title)}</h1><table class="board-detail">{table}</table></div></div>'
        + _footer(site, at)
    )


def closed_page(name: str) -> str:
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>网站已关停</title></head>'
        f"<body><p>{escape(name)}已关停，感谢您的关注。</p></body></html>"
    )


def rss(feed: Feed, base_url: str, at: datetime, limit: int = 20) -> str:
    a = feed.spec
    items = "".join(
        f"<item><title>{escape(i.title)}</title><link>{base_url}/feeds/{a.id}/{i.slug}.html</link>"
        f'<guid isPermaLink="false">{a.id}-{i.slug}</guid><pubDate>{format_datetime(i.published_at)}</pubDate>'
        f"<description>{escape(i.title)}。欢迎关注{escape(a.name)}。</description></item>"
        for i in feed.stream.newest(at, limit)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(a.name)}</title><link>{base_url}/feeds/{a.id}.xml</link>"
        f"<description>{escape(a.platform)}：{escape(a.name)}（{escape(feed.unit_name)}）</description>"
        f"<category>{escape(a.platform)}</category><language>zh-cn</language>"
        f"<lastBuildDate>{format_datetime(at.replace(microsecond=0))}</lastBuildDate>{items}</channel></rss>"
    )


def post_page(feed: Feed, item: Item) -> str:
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(item.title)}</title></head><body><h1>{escape(item.title)}</h1>"
        f"<p>{escape(feed.spec.name)}　{item.published_at:%Y-%m-%d %H:%M}</p>"
        f"<p>欢迎关注{escape(feed.spec.name)}。</p></body></html>"
    )
