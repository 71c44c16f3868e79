"""The dated items of a homepage or a column page, read from its lists (li, tr, dl/dt/dd).

An item is a list entry with a link. Its date is, in order of trust: a date in the entry's text outside the link
(the date cell), a date cell inside the link, the date in the article URL (/t20220928_); the URL also supplies the
year of a shown month-day ([09-28]) when their month and day agree. A date in the title itself is not a
publication date (「关于2022年9月30日前报送……」) and is not used. Footers (footer, #footer, .copyright, …), scripts
and styles are skipped; the date extractor ignores the greeting and dates after the reference day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urljoin

from .dates import date_in_url, find_dates

MAX_TITLE = 200
_ITEMS = {"li", "tr", "dd", "dt", "dl"}
# An open item is closed by the start of a sibling (HTML lets </li>, </tr>, </dd> be omitted).
_CLOSED_BY = {"li": {"li"}, "tr": {"tr"}, "dd": {"dd", "dt"}, "dt": {"dd", "dt"}}
_LISTS = {"ul", "ol", "table", "tbody", "thead", "dl"}
_SKIPPED_TAGS = {"script", "style", "footer", "noscript", "template"}
# id or class tokens of footers: footer, foot_bg, copyright, banquan (版权), dibu (底部), bottom, bottom-wrap.
_SKIPPED_REGION = re.compile(
    r"^(?:foot|copyright|banquan|dibu|bottom(?:$|[-_](?:wrap|box|bg|main|con|info|inner)))", re.I
)
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_SPACE = re.compile(r"\s+")
# What a column prints when it has nothing: 暂无信息, 暂无数据, 暂无内容, 没有记录, 无相关信息.
_EMPTY_MARKER = re.compile(r"暂无(?:信息|数据|内容|记录|文章|相关)|没有(?:任何)?(?:记录|信息|数据)|无相关信息")
# A link whose text is this long reads as an article title, not a menu entry (政府信息公开指南 is 8).
_TITLE_LIKE = 10


@dataclass(frozen=True)
class Item:
    title: str
    url: str
    published_on: date | None


@dataclass(frozen=True)
class PageItems:
    dated: list[Item]  # newest first
    undated: list[Item]
    empty_marker: bool

    @property
    def newest_on(self) -> date | None:
        return self.dated[0].published_on if self.dated else None

    def column_is_empty(self) -> bool:
        """A column page with no dated item and nothing that reads like an article (空白栏目)."""
        if self.dated:
            return False
        return self.empty_marker or not any(len(item.title) >= _TITLE_LIKE for item in self.undated)


def extract_items(html: str, base_url: str, reference: date) -> PageItems:
    parser = _ListParser(base_url, reference)
    parser.feed(html)
    parser.close()
    dated: dict[tuple[str, str], Item] = {}
    undated: dict[tuple[str, str], Item] = {}
    for item in parser.items:
        target = dated if item.published_on is not None else undated
        target.setdefault((item.title, item.url), item)
    ordered = sorted(dated.values(), key=lambda item: item.published_on or date.min, reverse=True)
    return PageItems(ordered, list(undated.values()), bool(_EMPTY_MARKER.search(parser.visible_text())))


@dataclass
class _Link:
    href: str
    title_attr: str
    texts: list[str] = field(default_factory=list)

    def text(self) -> str:
        return _clean("".join(self.texts))


@dataclass
class _Entry:
    """What one list entry holds: its links and the text pieces outside any link."""

    tag: str
    links: list[_Link] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    pending: _Entry | None = None  # in a dl: a dt with a link, waiting for the dd that holds its date

    def absorb(self, child: _Entry) -> None:
        self.links.extend(child.links)
        self.outside.extend(child.outside)

    def to_item(self, base_url: str, reference: date) -> Item | None:
        link = self._main_link()
        if link is None:
            return None
        href = urljoin(base_url, link.href.strip())
        on = self._date(link, href, reference)
        title = _clean(link.title_attr) or _strip_trailing_date(link, reference)
        if not title:
            return None
        return Item(title[:MAX_TITLE], href, on)

    def _main_link(self) -> _Link | None:
        links = [link for link in self.links if link.href and link.text()]
        return max(links, key=lambda link: len(link.text()), default=None)

    def _date(self, link: _Link, href: str, reference: date) -> date | None:
        in_url = date_in_url(href, reference)
        shown = self._shown_date(link, reference)
        if shown is None:
            return in_url
        # A month-day's year is only inferred; the article URL's full date with the same month and day knows it.
        if in_url is not None and (in_url.month, in_url.day) == (shown.month, shown.day):
            return in_url
        return shown

    def _shown_date(self, link: _Link, reference: date) -> date | None:
        # Joined, so that a greeting split over tags (今天是<span>2022年9月29日</span>) is still seen as one.
        dates = find_dates(" | ".join(self.outside), reference) or [
            on for text in self.outside for on in find_dates(text, reference, cell=True)
        ]
        if dates:
            return max(dates)
        pieces = [piece for piece in link.texts if piece.strip()]
        if len(pieces) > 1:
            dates = find_dates(pieces[-1], reference, cell=True)
            if dates:
                return max(dates)
        return None


def _strip_trailing_date(link: _Link, reference: date) -> str:
    pieces = [piece for piece in link.texts if piece.strip()]
    if len(pieces) > 1 and find_dates(pieces[-1], reference, cell=True):
        pieces = pieces[:-1]
    return _clean("".join(pieces))


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _is_footer(attributes: dict[str, str]) -> bool:
    tokens = (attributes.get("id", "") + " " + attributes.get("class", "")).split()
    return any(_SKIPPED_REGION.match(token) for token in tokens)


class _ListParser(HTMLParser):
    def __init__(self, base_url: str, reference: date) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.reference = reference
        self.items: list[Item] = []
        self._open: list[str] = []  # lists and entries, innermost last
        self._entries: list[_Entry] = []
        self._link: _Link | None = None
        self._skip_tag = ""
        self._skip_depth = 0
        self._text: list[str] = []

    def visible_text(self) -> str:
        return "".join(self._text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping(tag, opening=True):
            return
        attributes = {name: value or "" for name, value in attrs}
        if tag in _SKIPPED_TAGS or _is_footer(attributes):
            if tag not in _VOID:
                self._skip_tag, self._skip_depth = tag, 1
            return
        if tag == "base" and attributes.get("href"):
            self.base_url = urljoin(self.base_url, attributes["href"])
        elif tag == "a":
            self._start_link(attributes)
        elif tag in _ITEMS:
            self._start_entry(tag)
        elif tag in _LISTS:
            self._open.append(tag)
        elif tag in ("br", "td", "th", "span", "p", "div") and self._link is None and self._entries:
            self._entries[-1].outside.append("")  # a new cell or line: its text is a piece of its own

    def handle_endtag(self, tag: str) -> None:
        if self._skipping(tag, opening=False):
            return
        if tag == "a":
            self._end_link()
        elif (tag in _ITEMS or tag in _LISTS) and tag in self._open:
            while self._open:
                if self._pop() == tag:
                    break

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        self._text.append(data)
        if self._link is not None:
            self._link.texts.append(data)
        elif self._entries:
            outside = self._entries[-1].outside
            if outside:
                outside[-1] += data
            else:
                outside.append(data)

    def close(self) -> None:
        super().close()
        self._end_link()
        while self._open:
            self._pop()

    def _skipping(self, tag: str, *, opening: bool) -> bool:
        if not self._skip_depth:
            return False
        if tag == self._skip_tag:
            self._skip_depth += 1 if opening else -1
        return True

    def _start_link(self, attributes: dict[str, str]) -> None:
        self._end_link()
        self._link = _Link(attributes.get("href", ""), attributes.get("title", ""))

    def _end_link(self) -> None:
        if self._link is not None and self._entries:
            self._entries[-1].links.append(self._link)
            self._entries[-1].outside.append("")  # text after the link is a new piece
        self._link = None

    def _start_entry(self, tag: str) -> None:
        closes = _CLOSED_BY.get(tag, set())
        while self._open and self._open[-1] in closes:
            self._pop()
        self._open.append(tag)
        self._entries.append(_Entry(tag))

    def _pop(self) -> str:
        tag = self._open.pop()
        if tag in _ITEMS:
            self._end_link()
            self._finish(self._entries.pop())
        return tag

    def _finish(self, entry: _Entry) -> None:
        """Emit a dated entry; hand an undated one to its parent entry (a dl pairs a dt's link with a dd's date)."""
        self._flush_pending(entry)
        item = entry.to_item(self.base_url, self.reference)
        if item is not None and item.published_on is not None:
            self.items.append(item)
            return
        parent = self._entries[-1] if self._entries else None
        if parent is None:
            if item is not None:
                self.items.append(item)
        elif parent.tag == "dl" and entry.tag in ("dt", "dd"):
            self._pair_in_list(parent, entry)
        else:
            parent.absorb(entry)

    def _pair_in_list(self, dl: _Entry, child: _Entry) -> None:
        if child.links:
            self._flush_pending(dl)
            dl.pending = child
        elif dl.pending is not None:
            dl.pending.absorb(child)
            self._finish_alone(dl.pending)
            dl.pending = None

    def _flush_pending(self, entry: _Entry) -> None:
        if entry.pending is not None:
            self._finish_alone(entry.pending)
            entry.pending = None

    def _finish_alone(self, entry: _Entry) -> None:
        item = entry.to_item(self.base_url, self.reference)
        if item is not None:
            self.items.append(item)
