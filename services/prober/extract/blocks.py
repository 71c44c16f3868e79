"""A page read once into what the site_basics, interaction, service_guides and content extractors look at.

Government CMS templates (TRS WCM, 大汉 JCMS, 开普云, 网站群 templates) differ in markup but not in what a reader
sees: a footer line 「网站标识码：…」, a table row or list entry per message, a label followed by its value in a
guide. So the page becomes its visible text (blocks on their own lines), its block-level pieces in order (a label
and its value are neighbours whether in a table, a <dl> or paragraphs), its rows (li, tr) split into cells, and its
metas, links, images and forms. Scripts, styles and comments are not text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

_SKIPPED = {"script", "style", "noscript", "template", "textarea", "select", "option"}
_BLOCK = {
    "address", "article", "aside", "blockquote", "br", "center", "dd", "div", "dl", "dt", "fieldset", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
    "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
}  # fmt: skip
# Inside a row, these start a new cell: a list entry's date or status usually sits in its own <span>.
_INLINE_CELL = {"a", "b", "button", "em", "font", "i", "img", "input", "label", "small", "span", "strong"}
_ROWS = {"li", "tr"}
_GROUPS = {"ul", "ol", "table", "dl"}  # thead and tbody rows belong to their table
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# id or class tokens of footers, as in pages.py: footer, foot_bg, copyright, banquan (版权), dibu (底部), bottom.
_FOOTER_REGION = re.compile(
    r"^(?:foot|copyright|banquan|dibu|bottom(?:$|[-_](?:wrap|box|bg|main|con|info|inner)))", re.I
)
_SPACE = re.compile(r"[\s\u3000\xa0]+")


def clean(text: str) -> str:
    """Whitespace (including the full-width space and &nbsp;) collapsed to one space, ends stripped."""
    return _SPACE.sub(" ", text).strip()


@dataclass
class Link:
    href: str  # absolute
    text: str
    title: str = ""
    raw_href: str = ""


@dataclass
class Image:
    src: str
    alt: str
    link: str = ""  # the href of the enclosing link, if any


@dataclass
class Form:
    action: str
    text_inputs: int = 0
    text: str = ""  # what the form shows: its text, placeholders, button values, input names


@dataclass
class Row:
    tag: str  # li or tr
    group: int  # the list or table it belongs to
    cells: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    header: bool = False  # a table's heading row (th cells or inside thead)
    columns: list[str] = field(default_factory=list)  # a table row's td/th texts, one per column
    _th: int = 0
    _td: int = 0

    def texts(self) -> list[str]:
        return [cell for cell in (clean(c) for c in self.cells) if cell]


@dataclass
class Piece:
    text: str
    heading: bool = False  # from h1-h6: a title
    footer: bool = False  # in the page's footer (footer, #footer, .copyright, …): the site's, not the page's


@dataclass
class Document:
    base_url: str
    title: str = ""
    metas: dict[str, str] = field(default_factory=dict)  # lower-case name → content
    links: list[Link] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    loose_text_inputs: int = 0  # text inputs outside any form (a search box driven by script)
    rows: list[Row] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)
    text: str = ""

    def headings(self) -> list[str]:
        return [p.text for p in self.pieces if p.heading]


def read_document(html: str, base_url: str) -> Document:
    parser = _Parser(base_url)
    parser.feed(html)
    parser.close()
    return parser.finish()


class _Parser(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.doc = Document(base_url)
        self._skip = ""
        self._skip_depth = 0
        self._text: list[str] = []
        self._piece: list[str] = []
        self._piece_heading = False
        self._heading_depth = 0
        self._link: Link | None = None
        self._link_texts: list[str] = []
        self._form: Form | None = None
        self._in_title = False
        self._in_thead = 0
        self._open: list[tuple[str, Row | None]] = []  # groups and rows, innermost last
        self._group_ids: list[int] = []
        self._footer = ""
        self._footer_depth = 0  # ids of the open groups, innermost last
        self._groups = 0

    # --- tags ---------------------------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_depth:
            self._skip_depth += tag == self._skip
            return
        if tag in _SKIPPED:
            self._skip, self._skip_depth = tag, 1
            return
        a = {name: value or "" for name, value in attrs}
        self._footer_start(tag, a)
        if tag in _BLOCK:
            self._break(heading=tag in _HEADINGS)
        if tag in _HEADINGS:
            self._heading_depth += 1
            self._piece_heading = True
        if tag == "title":
            self._in_title = True
        elif tag == "meta":
            self._meta(a)
        elif tag == "base" and a.get("href"):
            self.doc.base_url = urljoin(self.doc.base_url, a["href"])
        elif tag == "a":
            self._end_link()
            raw = a.get("href", "").strip()
            self._link = Link(urljoin(self.doc.base_url, raw) if raw else "", "", clean(a.get("title", "")), raw)
            self._link_texts = []
        elif tag == "img":
            src = urljoin(self.doc.base_url, a.get("src", "").strip())
            self.doc.images.append(Image(src, clean(a.get("alt", "") or a.get("title", "")), self._link_href()))
        elif tag == "form":
            self._form = Form(urljoin(self.doc.base_url, a.get("action", "").strip()))
            self.doc.forms.append(self._form)
        elif tag == "input":
            self._input(a)
        elif tag == "thead":
            self._in_thead += 1
        self._rows_start(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip_depth:
            self._skip_depth -= tag == self._skip
            return
        if tag in _BLOCK:
            self._break()
        if self._footer_depth and tag == self._footer:
            self._footer_depth -= 1
        if tag in _HEADINGS and self._heading_depth:
            self._heading_depth -= 1
            self._break()
            self._piece_heading = self._heading_depth > 0
        if tag == "title":
            self._in_title = False
        elif tag == "a":
            self._end_link()
        elif tag == "form":
            self._form = None
        elif tag == "thead" and self._in_thead:
            self._in_thead -= 1
        if tag in _INLINE_CELL:
            self._split()
        if (tag in _ROWS or tag in _GROUPS) and any(t == tag for t, _ in self._open):
            while self._open and self._pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._in_title:
            self.doc.title += data
            return
        self._text.append(data)
        self._piece.append(data)
        if self._form is not None:
            self._form.text += data
        if self._link is not None:
            self._link_texts.append(data)
        row = self._row()
        if row is not None:
            if not row.cells:
                row.cells.append("")
            row.cells[-1] += data
            if row.tag == "tr" and row.columns:
                row.columns[-1] += data

    def close(self) -> None:
        super().close()
        self._end_link()
        while self._open:
            self._pop()
        self._break()

    def finish(self) -> Document:
        self.doc.title = clean(self.doc.title)
        lines = (clean(line) for line in "".join(self._text).split("\n"))
        self.doc.text = "\n".join(line for line in lines if line)
        return self.doc

    # --- helpers ------------------------------------------------------------------------------------------------

    def _meta(self, a: dict[str, str]) -> None:
        name = (a.get("name") or a.get("property") or "").strip().lower()
        if name and name not in self.doc.metas:
            self.doc.metas[name] = clean(a.get("content", ""))

    def _footer_start(self, tag: str, a: dict[str, str]) -> None:
        if tag in _VOID:
            return
        if self._footer_depth:
            self._footer_depth += tag == self._footer
            return
        tokens = (a.get("id", "") + " " + a.get("class", "")).split()
        if tag == "footer" or any(_FOOTER_REGION.match(token) for token in tokens):
            self._break()  # what came before is not footer
            self._footer, self._footer_depth = tag, 1

    def _input(self, a: dict[str, str]) -> None:
        kind = a.get("type", "text").strip().lower() or "text"
        if self._form is not None:
            self._form.text += " ".join(a.get(k, "") for k in ("name", "id", "placeholder", "value")) + " "
        if kind not in ("text", "search"):
            return
        if self._form is not None:
            self._form.text_inputs += 1
        else:
            self.doc.loose_text_inputs += 1

    def _link_href(self) -> str:
        return self._link.href if self._link is not None else ""

    def _end_link(self) -> None:
        if self._link is None:
            return
        self._link.text = clean("".join(self._link_texts))
        self.doc.links.append(self._link)
        row = self._row()
        if row is not None:
            row.links.append(self._link)
        self._link = None

    def _break(self, *, heading: bool = False) -> None:
        """End the current block: a newline in the text, a new piece, a new cell in the current row."""
        self._text.append("\n")
        self._split(heading=heading)

    def _split(self, *, heading: bool = False) -> None:
        """End the current piece and cell: at a block, and at an inline element such as <span> or <strong>.

        Labels and values often sit in sibling spans (<span>留言类型：咨询</span><span>留言时间：…</span>) with no
        space between them; the text keeps them joined, the pieces keep them apart.
        """
        text = clean("".join(self._piece))
        if text:
            self.doc.pieces.append(Piece(text, self._piece_heading, self._footer_depth > 0))
        self._piece = []
        self._piece_heading = heading or self._heading_depth > 0
        row = self._row()
        if row is not None and (not row.cells or row.cells[-1].strip()):
            row.cells.append("")

    def _row(self) -> Row | None:
        for _, row in reversed(self._open):
            if row is not None:
                return row
        return None

    def _rows_start(self, tag: str) -> None:
        if tag in _INLINE_CELL:
            self._split()
        if tag in ("td", "th"):
            row = self._row()
            if row is not None:
                row._th += tag == "th"
                row._td += tag == "td"
                row.columns.append("")
        if tag in _GROUPS:
            self._groups += 1
            self._group_ids.append(self._groups)
            self._open.append((tag, None))
        elif tag in _ROWS:
            # An unclosed <li> or <tr> ends where its next sibling starts.
            while self._open and self._open[-1][0] == tag:
                self._pop()
            group = self._group_ids[-1] if self._group_ids else 0
            self._open.append((tag, Row(tag, group, header=self._in_thead > 0)))

    def _pop(self) -> str:
        if self._open[-1][1] is not None:
            self._end_link()  # an unclosed <a> belongs to its row
        tag, row = self._open.pop()
        if row is None:
            self._group_ids.pop()
        else:
            row.header = row.header or (row._th > 0 and row._td == 0)
            row.cells = row.texts()
            row.columns = [clean(column) for column in row.columns]
            self.doc.rows.append(row)
        return tag
