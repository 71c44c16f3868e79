"""Messages on a government message board (留言板, 领导信箱, 政务咨询), as the board publishes them.

Three layouts cover the common CMSes: a table whose heading row names the columns (标题 | 类别 | 留言时间 | 答复时间 |
状态), a list whose entries hold the title link and cells such as [咨询] 2022-09-01 已答复 (unlabelled dates: the first
is the 留言时间, a second the 答复时间), and detail blocks or pages that print labels (「留言时间：… 答复时间：…」).
The board's channels (咨询, 建议, 投诉, 领导信箱 …) are read from its tabs and links; 网上信访 and 纪检举报 channels
do not count as a consultation channel (国办秘函〔2019〕19号, W-V5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from shared.events import Message

from .blocks import Document, Link, Row, clean, read_document
from .dates import find_dates

MAX_TITLE = 200
_TITLE_HEAD = re.compile(r"标题|主题|事项|问题|内容摘要|信件")
_ASKED_HEAD = re.compile(r"留言|提问|来信|写信|提交|咨询时间|发布|受理时间")
_ANSWERED_HEAD = re.compile(r"答复|回复|办结|反馈|处理时间")
_STATUS_HEAD = re.compile(r"状态|是否")
_CATEGORY_HEAD = re.compile(r"类别|类型|分类|性质")
_LABEL = r"\s*[:：]\s*"
_ASKED_LABEL = re.compile(r"(?:留言|提问|来信|写信|提交|咨询|发布)(?:时间|日期)" + _LABEL + r"(?P<v>[^\n]{0,40})")
_ANSWERED_LABEL = re.compile(r"(?:答复|回复|办结|反馈|处理)(?:时间|日期)" + _LABEL + r"(?P<v>[^\n]{0,40})")
_STATUS_WORD = r"(?:已|未|待|正在)?(?:答复|回复|办结|办理|处理|受理|转办|审核|公开)(?:中|完毕)?"
_STATUS_LABEL = re.compile(r"(?:办理|处理|答复|回复)?状态" + _LABEL + r"(?P<v>" + _STATUS_WORD + ")")
_CATEGORIES = ("咨询", "建议", "投诉", "求助", "举报", "信访", "表扬", "意见", "纪检", "其他")
_CATEGORY_WORD = "(?:" + "|".join(_CATEGORIES) + ")(?:类|件)?"
_CATEGORY_LABEL = re.compile(r"(?:留言|信件|来信|咨询)?(?:类别|类型|分类)" + _LABEL + r"(?P<v>" + _CATEGORY_WORD + ")")
_TITLE_LABEL = re.compile(r"(?:留言|信件|来信|咨询)?(?:标题|主题)" + _LABEL + r"(?P<v>[^\n]{1,200})")
_BARE_LABEL = re.compile(r"^[\u4e00-\u9fa5]{2,6}$")
_STATUS = re.compile(r"^[\[【(（]?" + _STATUS_WORD + r"[\]】)）]?$")
_CATEGORY_CELL = re.compile(r"^[\[【(（]?(" + "|".join(_CATEGORIES) + r")(?:类|件)?[\]】)）]?$")
_CATEGORY_PREFIX = re.compile(
    r"^\s*(?:[\[【(（](" + "|".join(_CATEGORIES) + r")(?:类|件)?[\]】)）]|(" + "|".join(_CATEGORIES) + r")[:：])\s*"
)
# Channel words as boards label their tabs and links, checked in this order.
_CHANNELS = (
    ("咨询", re.compile(r"咨询")),
    ("建议", re.compile(r"建议|建言|献策|意见箱")),
    ("投诉", re.compile(r"投诉|12345")),
    ("信箱", re.compile(r"(?:书记|市长|县长|区长|州长|省长|局长|主任|领导|主席|镇长|乡长)信箱|信箱")),
    ("征集", re.compile(r"征集|网上调查")),
    ("访谈", re.compile(r"在线访谈")),
)
COUNTED_CHANNELS = ("咨询", "建议", "投诉", "信箱")
_EXCLUDED_CHANNEL = re.compile(r"信访|纪检|纪委|监委|监察|违纪|巡察")
_EXCLUDED_CATEGORY = re.compile(r"信访|纪检|举报")
_CHANNEL_LABEL_MAX = 14  # a tab or link text; a longer text is a message title that happens to say 咨询
_CLOSED = re.compile(r"暂停使用|停止使用|已停用|暂未开通|暂停受理|停止受理|正在升级|维护中|系统升级|已关闭留言")
_NEXT = re.compile(r"^(?:下一?页|后页|>|›|»|>>|\d{1,3})$")
_PAGED_HREF = re.compile(r"index_\d+\.s?html?|[?&](?:page|pageNo|pageIndex|pageNum|p|curpage)=\d+", re.I)


@dataclass(frozen=True)
class BoardPage:
    messages: list[Message]
    channel_kinds: list[str]
    closed: bool  # the board says it is suspended or not open
    pages: list[str] = field(default_factory=list)  # the board's other list pages (pagination)

    @property
    def channel_present(self) -> bool:
        if self.closed:
            return False
        if any(kind in COUNTED_CHANNELS for kind in self.channel_kinds):
            return True
        return any(not _EXCLUDED_CATEGORY.search(m.category) for m in self.messages)


def read_board(html: str, base_url: str, reference: date) -> BoardPage:
    doc = read_document(html, base_url)
    messages = _from_tables(doc, reference) + _from_lists(doc, reference)
    if not messages:
        messages = _from_labels(doc, reference)
    return BoardPage(_unique(messages), channel_kinds(doc), bool(_CLOSED.search(doc.text)), _pages(doc))


def read_message(html: str, base_url: str, reference: date) -> Message | None:
    """The one message of a detail page: its labels, and the page's heading for a title."""
    doc = read_document(html, base_url)
    found = _from_labels(doc, reference)
    if not found:
        return None
    message = found[0]
    if not message.title:
        title = next(iter(doc.headings()), "") or doc.title
        message = message.model_copy(update={"title": title[:MAX_TITLE]})
    return message


def merge(listed: Message, detail: Message) -> Message:
    """A list entry completed by its detail page: the list's values win where both have one."""
    return Message(
        title=listed.title or detail.title,
        url=listed.url,
        category=listed.category or detail.category,
        asked_on=listed.asked_on or detail.asked_on,
        answered_on=listed.answered_on or detail.answered_on,
        status=listed.status or detail.status,
    )


def needs_detail(message: Message) -> bool:
    """Whether the list leaves out a date its detail page may hold (an unanswered message has no 答复时间)."""
    if not message.url:
        return False
    unanswered = message.status.startswith(("未", "待", "正在")) or "中" in message.status
    return message.asked_on is None or (message.answered_on is None and not unanswered)


def channel_kinds(doc: Document) -> list[str]:
    labels = [link.text for link in doc.links] + [p.text for p in doc.pieces if len(p.text) <= _CHANNEL_LABEL_MAX]
    labels += [doc.title, *doc.headings()]
    kinds: list[str] = []
    for label in labels:
        if not label or len(label) > _CHANNEL_LABEL_MAX * 2 or _EXCLUDED_CHANNEL.search(label):
            continue
        for kind, pattern in _CHANNELS:
            if pattern.search(label) and kind not in kinds:
                kinds.append(kind)
    return [kind for kind, _ in _CHANNELS if kind in kinds]


# --- tables with a heading row ----------------------------------------------------------------------------------


def _from_tables(doc: Document, reference: date) -> list[Message]:
    headers: dict[int, list[str]] = {}
    found: list[Message] = []
    for row in doc.rows:
        if row.tag != "tr":
            continue
        if row.header or (row.group not in headers and _is_heading(row.columns)):
            headers[row.group] = row.columns
            continue
        heading = headers.get(row.group)
        if heading is not None and len(row.columns) == len(heading):
            message = _by_columns(heading, row, reference)
            if message is not None:
                found.append(message)
    return found


def _is_heading(columns: list[str]) -> bool:
    has_title = any(_TITLE_HEAD.search(c) and len(c) <= 8 for c in columns)
    has_time = any((_ASKED_HEAD.search(c) or _ANSWERED_HEAD.search(c)) and len(c) <= 8 for c in columns)
    return has_title and has_time


def _column_key(name: str) -> str:
    if re.search(r"时间|日期", name):
        return "answered" if _ANSWERED_HEAD.search(name) else "asked" if _ASKED_HEAD.search(name) else ""
    if _STATUS_HEAD.search(name):
        return "status"
    if _CATEGORY_HEAD.search(name):
        return "category"
    return "title" if _TITLE_HEAD.search(name) else ""


def _by_columns(heading: list[str], row: Row, reference: date) -> Message | None:
    values: dict[str, str] = {}
    for name, value in zip(heading, row.columns, strict=True):
        key = _column_key(name)
        if key and key not in values:
            values[key] = value
    link = _main_link(row)
    title = values.get("title") or (link.text if link else "")
    if not title:
        return None
    category, title = _category_of(values.get("category", ""), title)
    return Message(
        title=title[:MAX_TITLE],
        url=link.href if link else "",
        category=category,
        asked_on=_first_date(values.get("asked", ""), reference),
        answered_on=_first_date(values.get("answered", ""), reference),
        status=clean(values.get("status", ""))[:20],
    )


# --- list entries and headless tables ---------------------------------------------------------------------------


def _from_lists(doc: Document, reference: date) -> list[Message]:
    headed = {row.group for row in doc.rows if row.tag == "tr" and (row.header or _is_heading(row.columns))}
    found: list[tuple[int, Message, bool]] = []
    for row in doc.rows:
        if row.tag == "tr" and row.group in headed:
            continue
        read = _by_cells(row, reference)
        if read is not None:
            found.append((row.group, *read))
    # A list whose entries carry only a date (a news sidebar) is not a board: some entry must show a status, a
    # category or a labelled time.
    boards = {group for group, _, strong in found if strong}
    return [message for group, message, _ in found if group in boards]


def _by_cells(row: Row, reference: date) -> tuple[Message, bool] | None:
    link = _main_link(row)
    if link is None:
        return None
    asked: date | None = None
    answered: date | None = None
    status = category = ""
    unlabelled: list[date] = []
    labelled = False
    for cell in row.cells:
        if cell == link.text:
            continue
        if (m := _ASKED_LABEL.search(cell)) is not None:
            asked = asked or _first_date(m.group("v"), reference)
        if (m := _ANSWERED_LABEL.search(cell)) is not None:
            answered = answered or _first_date(m.group("v"), reference)
        if (m := _STATUS_LABEL.search(cell)) is not None:
            status = status or m.group("v")
        if (m := _CATEGORY_LABEL.search(cell)) is not None:
            category = category or m.group("v")
        if _STATUS.match(cell):
            status = status or cell.strip("[]【】()（）")
        elif (c := _CATEGORY_CELL.match(cell)) is not None:
            category = category or c.group(1)
        elif _is_labelled(cell):
            labelled = True
        else:
            unlabelled.extend(find_dates(cell, reference, cell=True))
    asked = asked or (unlabelled[0] if unlabelled else None)
    answered = answered or (unlabelled[1] if len(unlabelled) > 1 else None)
    if asked is None and answered is None and not status:
        return None  # a menu entry or an article link, not a message
    category, title = _category_of(category, link.title or link.text)
    message = Message(
        title=title[:MAX_TITLE],
        url=link.href,
        category=category,
        asked_on=asked,
        answered_on=answered,
        status=status[:20],
    )
    return message, bool(labelled or status or category)


def _is_labelled(cell: str) -> bool:
    return any(p.search(cell) for p in (_ASKED_LABEL, _ANSWERED_LABEL, _STATUS_LABEL, _CATEGORY_LABEL))


# --- labelled blocks (detail pages and div layouts) -------------------------------------------------------------


@dataclass
class _Draft:
    title: str = ""
    category: str = ""
    asked_on: date | None = None
    answered_on: date | None = None
    status: str = ""


def _from_labels(doc: Document, reference: date) -> list[Message]:
    drafts: list[_Draft] = []
    pending = _Draft()  # what a detail page prints before its 留言时间 (title, category, status)
    for text, heading in _labelled_pieces(doc):
        if heading and not _is_labelled(text):
            pending.title = text
        if (m := _TITLE_LABEL.search(text)) is not None and not _is_labelled(m.group("v")):
            pending.title = m.group("v").strip()
            if drafts and not drafts[-1].title:
                drafts[-1].title, pending.title = pending.title, ""
        if (asked := _ASKED_LABEL.search(text)) is not None:
            pending.asked_on = _first_date(asked.group("v"), reference)
            drafts.append(pending)
            pending = _Draft()
        # Once a new title is seen, what follows belongs to the next message, not to the previous one.
        current = pending if pending.title or not drafts else drafts[-1]
        if (m := _ANSWERED_LABEL.search(text)) is not None:
            current.answered_on = current.answered_on or _first_date(m.group("v"), reference)
        if (m := _STATUS_LABEL.search(text)) is not None:
            current.status = current.status or m.group("v")
        if (m := _CATEGORY_LABEL.search(text)) is not None:
            current.category = current.category or m.group("v")
    links = {link.text: link.href for link in doc.links if link.text}
    found = []
    for d in drafts:
        category, title = _category_of(d.category, d.title)
        found.append(
            Message(
                title=title[:MAX_TITLE],
                url=links.get(d.title, ""),
                category=category,
                asked_on=d.asked_on,
                answered_on=d.answered_on,
                status=d.status[:20],
            )
        )
    return found


def _labelled_pieces(doc: Document) -> list[tuple[str, bool]]:
    """The page's blocks, a bare label cell joined to the cell after it (<th>来信时间</th><td>2022-09-02</td>)."""
    pieces = [piece for piece in doc.pieces if not piece.footer]
    joined: list[tuple[str, bool]] = []
    index = 0
    while index < len(pieces):
        text = pieces[index].text
        if _BARE_LABEL.match(text) and index + 1 < len(pieces):
            candidate = f"{text}：{pieces[index + 1].text}"
            if _is_labelled(candidate) or _TITLE_LABEL.match(candidate):
                joined.append((candidate, False))
                index += 2
                continue
        joined.append((text, pieces[index].heading))
        index += 1
    return joined


# --- small helpers ----------------------------------------------------------------------------------------------


def _main_link(row: Row) -> Link | None:
    links = [link for link in row.links if link.text and not link.raw_href.lower().startswith("javascript")]
    links = links or [link for link in row.links if link.text]
    return max(links, key=lambda link: len(link.title or link.text), default=None)


def _category_of(category: str, title: str) -> tuple[str, str]:
    """A category from its cell, or from a title prefix such as 【咨询】; the title without that prefix."""
    title = clean(title)
    prefix = _CATEGORY_PREFIX.match(title)
    if prefix is not None:
        return (clean(category).strip("[]【】") or prefix.group(1) or prefix.group(2)), title[prefix.end() :]
    return clean(category).strip("[]【】()（）"), title


def _first_date(text: str, reference: date) -> date | None:
    dates = find_dates(text, reference, cell=True) or find_dates(
        text.split()[0] if text.split() else "", reference, cell=True
    )
    return dates[0] if dates else None


def _pages(doc: Document) -> list[str]:
    own = urlsplit(doc.base_url)
    pages: list[str] = []
    for link in doc.links:
        if not link.href or link.raw_href.lower().startswith(("javascript", "#")):
            continue
        target = urlsplit(link.href)
        if (target.scheme, target.netloc) != (own.scheme, own.netloc) or link.href == doc.base_url:
            continue
        if (_NEXT.match(link.text) or _PAGED_HREF.search(link.raw_href)) and link.href not in pages:
            pages.append(link.href)
    return pages


def _unique(messages: list[Message]) -> list[Message]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for message in messages:
        key = (message.title, message.url)
        if key not in seen:
            seen.add(key)
            unique.append(message)
    return unique
