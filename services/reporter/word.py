"""The notice as DOCX, laid out the way a Chinese office's Word template sets a 通报 (GB/T 9704-2012) (pure).

Built with python-docx from the notice's document and nothing else. Every run names its fonts (w:eastAsia, w:ascii,
w:hAnsi): Word and WPS choose a Chinese run's font by w:eastAsia alone, and without it they fall back to the theme's
(等线, MS Mincho), which no office would send out. The names are the ones offices have installed (仿宋_GB2312,
方正小标宋简体); a machine without them substitutes, as LibreOffice here does. The module is named `word` so that it
does not shadow python-docx's `docx` package.
"""

from __future__ import annotations

import io
from copy import deepcopy
from dataclasses import dataclass
from typing import cast

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Row
from docx.oxml.text.font import CT_Fonts, CT_RPr
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section
from docx.shared import Mm, Pt, RGBColor, Twips
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from services.reporter.document import Attachment, NoticeDocument
from services.reporter.ooxml import issued_at, repack

FANGSONG = "仿宋_GB2312"  # body text, 3号
HEITI = "黑体"  # 一级标题, 附件 label, table header
KAITI = "楷体_GB2312"  # （一） leads
XIAOBIAOSONG = "方正小标宋简体"  # 发文机关标志, title
SONGTI = "宋体"  # page numbers
RED = "FF0000"

# GB/T 9704: A4, 版心 156 mm × 225 mm, 22 lines of 28 characters of 3号 (16 pt) type.
PAGE_WIDTH, PAGE_HEIGHT = Twips(11906), Twips(16838)  # A4 as Word writes it (210 × 297 mm)
MARGINS = {"top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}
TEXT_WIDTH = Mm(156)
CHAR = 16.0  # pt: one 3号 character, the unit of every indent in the body
LINE = 28.9  # pt: 22 lines fill the 225 mm 版心 (28.95 pt) without spilling a line to the next page
TITLE_LINE = 35.0  # pt: 2号 title lines must not be clipped by the body's exact pitch
TABLE_LINE = 20.0  # pt: 小四 table text
SMALL_CHAR = 14.0  # pt: one 4号 character (版记, page numbers)


@dataclass(frozen=True)
class Face:
    """How a run is set: its font (for every script), its size in points, its colour (hex, empty = automatic)."""

    font: str = FANGSONG
    size: float = CHAR
    color: str = ""


BODY = Face()
HEADING = Face(HEITI)
LEAD = Face(KAITI)
TITLE = Face(XIAOBIAOSONG, 22)
NOTE = Face(size=14)
CELL = Face(size=12)
CELL_HEAD = Face(HEITI, 12)
IMPRINT = Face(size=SMALL_CHAR)
PAGE_NUMBER = Face(SONGTI, SMALL_CHAR)


@dataclass(frozen=True)
class Layout:
    """How a paragraph is set; lengths in points. `line` is an exact pitch, None for single spacing."""

    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.JUSTIFY
    first_line: float = 0  # negative hangs
    left: float = 0
    right: float = 0
    before: float = 0
    after: float = 0
    line: float | None = LINE
    keep_with_next: bool = False
    page_break: bool = False


CENTER, LEFT, RIGHT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT
FLUSH = Layout()
INDENTED = Layout(first_line=2 * CHAR)  # 首行缩进 2 字
# 上边缘至版心上边缘 35 mm: the line's own leading puts the glyphs' top about 2 mm below where the line starts
ISSUER = Layout(CENTER, before=Mm(33).pt, line=None)
DOC_NUMBER = Layout(CENTER, before=2 * LINE)  # 发文机关标志下空二行
TITLE_BLOCK = Layout(CENTER, before=2 * LINE, after=LINE, line=TITLE_LINE)  # 红色分隔线下空二行, 标题下空一行
HEADING_BLOCK = Layout(first_line=2 * CHAR, keep_with_next=True)
SIGNED_ON = Layout(RIGHT, right=4 * CHAR, before=3 * LINE)  # 右空四字, room above for the seal
ANNEX_LABEL = Layout(LEFT, page_break=True)  # 另面编排, 版心左上角第一行
ANNEX_TITLE = Layout(CENTER, before=LINE, after=CHAR / 2, line=TITLE_LINE)  # 版心第三行
TABLE_CELL = Layout(CENTER, line=TABLE_LINE)
TABLE_GROUP = Layout(LEFT, line=TABLE_LINE)
WINDOW = Layout(LEFT, before=6, line=TABLE_LINE)
CC = Layout(left=4 * SMALL_CHAR, right=SMALL_CHAR, first_line=-3 * SMALL_CHAR)  # 左右各空一字, 回行与冒号后首字对齐
PRINTED = Layout(LEFT, left=SMALL_CHAR)  # 印发机关左空一字
ODD_FOOTER = Layout(RIGHT, right=SMALL_CHAR, line=None)  # 单页码居右空一字
EVEN_FOOTER = Layout(LEFT, left=SMALL_CHAR, line=None)  # 双页码居左空一字

# Column widths of the attachment tables (mm), summing to the 版心's 156 mm.
COLUMN_WIDTHS = (14, 26, 56, 60)
THEME_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def render_docx(doc: NoticeDocument) -> bytes:
    """The notice as a Word document; the same document always gives the same bytes."""
    document = Document()
    prepare(document, doc)
    page_setup(document.sections[0])
    head(document, doc)
    body(document, doc)
    for annex in doc.attachments:
        attachment(document, annex)
    imprint(document, doc)
    buffer = io.BytesIO()
    document.save(buffer)
    return repack(buffer.getvalue(), issued_at(doc))


# --- the document as a whole ----------------------------------------------------------------------------------------


def prepare(document: DocxDocument, doc: NoticeDocument) -> None:
    """Fonts, language and properties of the whole file, before any paragraph is added."""
    styles = document.styles.element
    for fonts in styles.iter(qn("w:rFonts")):
        # the template's theme fonts win over named ones in Word: replace them by the office's fonts
        major = any("major" in (fonts.get(qn(a)) or "") for a in THEME_ATTRIBUTES)
        name_fonts(fonts, HEITI if major else FANGSONG)
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is not None:
        run_defaults = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if run_defaults is not None:
            face(cast(CT_RPr, run_defaults), BODY)
            chinese(run_defaults)
    normal = document.styles["Normal"]
    normal.font.size = Pt(CHAR)
    normal_format = normal.paragraph_format
    normal_format.line_spacing, normal_format.line_spacing_rule = Pt(LINE), WD_LINE_SPACING.EXACTLY
    normal_format.space_before = normal_format.space_after = Pt(0)
    normal_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    settings = document.settings
    settings.odd_and_even_pages_header_footer = True
    theme_language = settings.element.find(qn("w:themeFontLang"))
    if theme_language is not None:
        theme_language.set(qn("w:eastAsia"), "zh-CN")
    package = document.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == RELATIONSHIP_TYPE.THUMBNAIL:  # the template's picture of an empty page
            del package.rels[rel_id]
    for rel_id, rel in list(document.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):  # Word 2010's copy of the styles, still on theme fonts
            del document.part.rels[rel_id]
    properties = document.core_properties
    properties.author = properties.last_modified_by = doc.issuer
    properties.title, properties.subject = doc.title, doc.document_number
    properties.comments, properties.keywords, properties.category = "", "", "通报"
    properties.language = "zh-CN"
    properties.created = properties.modified = issued_at(doc)
    properties.revision = 1


def page_setup(section: Section) -> None:
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    section.header_distance = Mm(15)
    section.footer_distance = Mm(23)  # the page number's dash sits about 7 mm under the 版心
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is not None:  # Word's line grid at the body's pitch, as in an office's template (22 lines a page)
        grid.set(qn("w:linePitch"), str(round(LINE * 20)))
    page_number(section.footer.paragraphs[0], ODD_FOOTER)
    page_number(section.even_page_footer.paragraphs[0], EVEN_FOOTER)


def page_number(paragraph: Paragraph, layout: Layout) -> None:
    """「— 1 —」: the number is a PAGE field, so Word and LibreOffice count the pages themselves."""
    shape(paragraph, layout)
    text(paragraph, "— ", PAGE_NUMBER)
    field_mark(paragraph, "begin")
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = " PAGE "
    text(paragraph, "", PAGE_NUMBER)._r.append(code)
    field_mark(paragraph, "separate")
    text(paragraph, "1", PAGE_NUMBER)  # shown until the reader updates the field
    field_mark(paragraph, "end")
    text(paragraph, " —", PAGE_NUMBER)


def field_mark(paragraph: Paragraph, kind: str) -> None:
    mark = OxmlElement("w:fldChar")
    mark.set(qn("w:fldCharType"), kind)
    text(paragraph, "", PAGE_NUMBER)._r.append(mark)


# --- 版头, 主体 -----------------------------------------------------------------------------------------------------


def head(document: DocxDocument, doc: NoticeDocument) -> None:
    """发文机关标志 in red, 发文字号 over the red separator line, the title, 主送."""
    issuer_size = min(48.0, round(TEXT_WIDTH.pt * 0.9 / max(len(doc.issuer), 1)))  # never wider than the 版心
    paragraph(document, [(doc.issuer, Face(XIAOBIAOSONG, issuer_size, RED))], ISSUER)
    number = paragraph(document, [(doc.document_number, BODY)], DOC_NUMBER)
    borders(number, bottom=(12, RED, 11))  # 发文字号之下 4 mm, a red line as wide as the 版心
    paragraph(document, [(doc.title, TITLE)], TITLE_BLOCK)
    paragraph(document, [(doc.recipients, BODY)], FLUSH)


def body(document: DocxDocument, doc: NoticeDocument) -> None:
    paragraph(document, [(doc.opening, BODY)], INDENTED)
    for section in doc.sections:
        paragraph(document, [(section.heading, HEADING)], HEADING_BLOCK)
        for item in section.paragraphs:
            runs = [(item.lead, LEAD)] if item.lead else []
            paragraph(document, [*runs, (item.text, NOTE if item.style == "note" else BODY)], INDENTED)
    paragraph(document, [(doc.closing, BODY)], INDENTED)
    annex_list(document, doc.attachment_list)
    paragraph(document, [(doc.signed_on, BODY)], SIGNED_ON)
    if doc.public_note:
        paragraph(document, [(doc.public_note, BODY)], INDENTED)  # 附注: 居左空二字, 成文日期下一行


def annex_list(document: DocxDocument, items: list[str]) -> None:
    """附件说明: 正文下空一行左空二字; a long name wraps under its own first character (after 「1．」)."""
    for n, item in enumerate(items):
        lead = "附件：" if n == 0 else ""
        hang = 4.5 if n == 0 else 1.5  # 「附件：1．」 and 「2．」 in characters (the digit is half width)
        layout = Layout(left=6.5 * CHAR, first_line=-hang * CHAR, before=LINE if n == 0 else 0)
        paragraph(document, [(lead + item, BODY)], layout)


# --- 附件 -----------------------------------------------------------------------------------------------------------


def attachment(document: DocxDocument, annex: Attachment) -> None:
    """On a new page: 「附件 1」, the centred title, the table, the monitoring window."""
    paragraph(document, [(annex.label, HEADING)], ANNEX_LABEL)
    paragraph(document, [(annex.title, TITLE)], ANNEX_TITLE)
    table = document.add_table(rows=1, cols=len(annex.columns))
    frame(table, len(annex.columns))
    header = table.rows[0]
    whole(header._tr, header=True)
    for cell, column in zip(header.cells, annex.columns, strict=True):
        fill(cell, column, CELL_HEAD, TABLE_CELL)
    # python-docx takes about 2 ms to format a row; one formatted row copied per line takes 30 µs (2,000-row lists)
    data_row = prototype(table, [fill(cell, "0", CELL, TABLE_CELL) for cell in new_row(table)])
    group_row = prototype(table, [spanning_row(table, "0", CELL_HEAD, TABLE_GROUP)])
    for group in annex.groups:
        if group.label:
            copy_row(table, group_row, [group.label])
        for row in group.rows:
            copy_row(table, data_row, row.cells)
    if annex.empty:
        spanning_row(table, "无", CELL, TABLE_CELL)
    paragraph(document, [(annex.window, CELL)], WINDOW)


def prototype(table: Table, cells: list[_Cell]) -> BaseOxmlElement:
    """Take the row just formatted out of the table, to be copied for every line of the list."""
    row = cast(CT_Row, cells[0]._tc.getparent())
    whole(row)
    table._tbl.remove(row)
    return row


def copy_row(table: Table, row: BaseOxmlElement, values: list[str]) -> None:
    copy = deepcopy(row)
    texts = list(copy.iter(qn("w:t")))
    for element, value in zip(texts, values, strict=True):
        element.text = value
        element.set(qn("xml:space"), "preserve")
    table._tbl.append(copy)


def frame(table: Table, columns: int) -> None:
    """Centred, fixed column widths (so Word does not refit a 2,000-row table), single black rules everywhere."""
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = column_widths(columns)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for cell, width in zip(table.rows[0].cells, widths, strict=True):
        cell.width = width
    hairline = (4, "000000", 0)
    table_rules(table, **dict.fromkeys(("top", "left", "bottom", "right", "insideH", "insideV"), hairline))


def table_rules(table: Table, **edges: tuple[int, str, int]) -> None:
    """A table's rules: edge → (width in eighths of a point, colour, distance); edges not named have none."""
    rules = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        rules.append(rule(edge, *edges[edge]) if edge in edges else rule(edge, 0, "auto", 0, "nil"))
    table._tbl.tblPr.insert_element_before(rules, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook")


def no_cell_margins(table: Table) -> None:
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), "0")
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    table._tbl.tblPr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription")


def column_widths(columns: int) -> list[Mm]:
    if columns == len(COLUMN_WIDTHS):
        return [Mm(w) for w in COLUMN_WIDTHS]
    return [Mm(156 / columns)] * columns


def whole(row: CT_Row, header: bool = False) -> None:
    """A row is never split across pages; the header row repeats at the top of every page a long table runs over."""
    properties = row.get_or_add_trPr()
    properties.append(OxmlElement("w:cantSplit"))
    if header:
        properties.append(OxmlElement("w:tblHeader"))


def new_row(table: Table) -> tuple[_Cell, ...]:
    return tuple(table.add_row().cells)  # type: ignore[no-untyped-call]  # python-docx leaves add_row unannotated


def spanning_row(table: Table, value: str, look: Face, layout: Layout) -> _Cell:
    """A platform sub-heading (微信公众号) or 「无」: one cell across all columns."""
    cells = new_row(table)
    return fill(cells[0].merge(cells[-1]), value, look, layout)


def fill(cell: _Cell, value: str, look: Face, layout: Layout) -> _Cell:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    target = cell.paragraphs[0]
    shape(target, layout)
    text(target, value, look)
    return cell


# --- 版记 -----------------------------------------------------------------------------------------------------------


def imprint(document: DocxDocument, doc: NoticeDocument) -> None:
    """抄送 and 印发 in a one-column table as wide as the 版心, so its rules are too (a paragraph's border would stop
    at the indents): thick first and last rules, a thin one between (0.35 mm and 0.25 mm)."""
    paragraph(document, [], FLUSH)  # a blank line between the last attachment and the 版记
    table = document.add_table(rows=0, cols=1)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    table.columns[0].width = TEXT_WIDTH
    thick, thin = (8, "000000", 0), (6, "000000", 0)
    table_rules(table, top=thick, insideH=thin, bottom=thick)
    no_cell_margins(table)
    if doc.cc:
        fill(new_row(table)[0], doc.cc, IMPRINT, CC)
    printed = new_row(table)[0]
    fill(printed, doc.printed_by, IMPRINT, PRINTED)
    # 印发机关左空一字, 印发日期右空一字: a right tab stop one 4号 character inside the 版心's right edge
    line = printed.paragraphs[0]
    line.paragraph_format.tab_stops.add_tab_stop(Pt(TEXT_WIDTH.pt - SMALL_CHAR), WD_TAB_ALIGNMENT.RIGHT)
    text(line, "\t" + doc.printed_on, IMPRINT)
    # Word ends a body with a paragraph after a table; this one is 1 pt high so it never adds a page
    paragraph(document, [], Layout(line=1))


# --- paragraphs and runs --------------------------------------------------------------------------------------------


def paragraph(document: DocxDocument, runs: list[tuple[str, Face]], layout: Layout) -> Paragraph:
    added = document.add_paragraph()
    shape(added, layout)
    for value, look in runs:
        text(added, value, look)
    return added


def shape(target: Paragraph, layout: Layout) -> None:
    fmt = target.paragraph_format
    fmt.alignment = layout.align
    if layout.first_line:
        fmt.first_line_indent = Pt(layout.first_line)
    if layout.left:
        fmt.left_indent = Pt(layout.left)
    if layout.right:
        fmt.right_indent = Pt(layout.right)
    fmt.space_before, fmt.space_after = Pt(layout.before), Pt(layout.after)
    if layout.line is None:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        fmt.line_spacing, fmt.line_spacing_rule = Pt(layout.line), WD_LINE_SPACING.EXACTLY
    if layout.keep_with_next:
        fmt.keep_with_next = True
    if layout.page_break:
        fmt.page_break_before = True


def text(target: Paragraph, value: str, look: Face) -> Run:
    """A run that names its fonts for every script, so no reader falls back to the theme's."""
    run = target.add_run(value)
    face(run._r.get_or_add_rPr(), look)
    return run


def face(properties: CT_RPr, look: Face) -> None:
    name_fonts(properties.get_or_add_rFonts(), look.font)
    if look.color:
        properties.get_or_add_color().val = RGBColor.from_string(look.color)
    properties.get_or_add_sz().val = Pt(look.size)


def name_fonts(fonts: CT_Fonts | BaseOxmlElement, name: str) -> None:
    for attribute in THEME_ATTRIBUTES:
        fonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), name)


def chinese(properties: BaseOxmlElement) -> None:
    """Mark text as Chinese by default, so Word applies Chinese line breaking (no 。 at a line's start)."""
    language = properties.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        properties.insert_element_before(language, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    language.set(qn("w:val"), "en-US")
    language.set(qn("w:eastAsia"), "zh-CN")


def borders(target: Paragraph, **edges: tuple[int, str, int]) -> None:
    """Paragraph rules: edge → (width in eighths of a point, colour, distance from the text in points)."""
    properties = target._p.get_or_add_pPr()
    box = OxmlElement("w:pBdr")
    for edge in ("top", "left", "bottom", "right"):
        if edge in edges:
            box.append(rule(edge, *edges[edge]))
    properties.insert_element_before(box, *PBDR_SUCCESSORS)


def rule(edge: str, width: int, color: str, space: int, kind: str = "single") -> BaseOxmlElement:
    line = OxmlElement(f"w:{edge}")
    line.set(qn("w:val"), kind)
    line.set(qn("w:sz"), str(width))
    line.set(qn("w:space"), str(space))
    line.set(qn("w:color"), color)
    return line


PBDR_SUCCESSORS = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip
