"""The notice as DOCX: it opens in LibreOffice and prints every line, names its Chinese fonts, keeps GB/T 9704's page."""

from __future__ import annotations

import io
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.shared import Length

from services.reporter.document import NoticeDocument
from services.reporter.word import render_docx
from tests.reporter.notice_documents import empty_document, listed, long_document, seed_document

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
RUN_PARTS = ("word/document.xml", "word/footer", "word/header")


def squash(text: str) -> str:
    return "".join(text.split())


def pdf_pages(docx: bytes, folder: Path) -> list[str]:
    """The DOCX converted by LibreOffice, read back by pdftotext: one string per page, in layout."""
    source = folder / "notice.docx"
    source.write_bytes(docx)
    profile = f"-env:UserInstallation=file://{folder}/lo"  # a profile of its own: parallel runs do not clash
    command = ["soffice", profile, "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(source)]
    subprocess.run(command, check=True, timeout=120, capture_output=True)
    pdf = folder / "notice.pdf"
    assert pdf.exists(), "LibreOffice did not convert the DOCX"
    layout = ["pdftotext", "-layout", str(pdf), "-"]
    text = subprocess.run(layout, check=True, timeout=60, capture_output=True, text=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def lines_of(page: str) -> list[str]:
    return [line for line in page.splitlines() if line.strip()]


def parts(data: bytes, *prefixes: str) -> Iterator[tuple[str, ET.Element]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith(prefixes):
                yield name, ET.fromstring(archive.read(name))


def body(data: bytes) -> ET.Element:
    return dict(parts(data, "word/document.xml"))["word/document.xml"]


def tables(data: bytes) -> list[list[list[str]]]:
    """Every table of the body, as rows of cell texts (a merged cell is one cell)."""
    found = body(data).iter(f"{W}tbl")
    return [
        [
            ["".join(t.text or "" for t in cell.iter(f"{W}t")) for cell in row.findall(f"{W}tc")]
            for row in table.iter(f"{W}tr")
        ]
        for table in found
    ]


def fonts_of_texts(data: bytes) -> dict[str, str]:
    """Each run's text → the East Asian font it names where it first appears."""
    fonts: dict[str, str] = {}
    for run in body(data).iter(f"{W}r"):
        text = "".join(t.text or "" for t in run.iter(f"{W}t"))
        named = run.find(f"{W}rPr/{W}rFonts")
        if text and named is not None:
            fonts.setdefault(text, named.get(f"{W}eastAsia", ""))
    return fonts


@pytest.fixture(scope="module")
def seed_pages(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return pdf_pages(render_docx(seed_document()), tmp_path_factory.mktemp("seed-docx"))


def test_libreoffice_prints_the_title_the_number_and_every_attachment_row_in_order(seed_pages: list[str]) -> None:
    doc = seed_document()
    text = squash("".join(seed_pages))
    assert squash(doc.issuer) in text and squash(doc.title) in text and doc.document_number in text
    assert squash(doc.opening) in text and squash(doc.closing) in text and squash(doc.cc) in text
    lines = [squash(line) for page in seed_pages for line in lines_of(page)]
    expected = ["".join(cells) for annex in doc.attachments for cells in listed(annex)]
    positions = [lines.index(line) for line in expected]
    assert positions == sorted(positions) and len(set(positions)) == len(expected) == 6
    assert lines.count(squash(doc.attachments[0].window)) == 2


def test_each_attachment_starts_a_page_and_every_page_is_numbered_right_on_odd_and_left_on_even_pages(
    seed_pages: list[str],
) -> None:
    firsts = [squash(lines_of(page)[0]) for page in seed_pages]
    assert "附件1" in firsts and "附件2" in firsts
    assert firsts.index("附件2") == firsts.index("附件1") + 1
    footers = [lines_of(page)[-1] for page in seed_pages]
    assert [squash(line) for line in footers] == [f"—{n}—" for n in range(1, len(seed_pages) + 1)]
    indents = [len(line) - len(line.lstrip()) for line in footers]
    assert min(indents[0::2]) > max(indents[1::2]) + 20  # odd pages far right, even pages at the left


def test_a_list_longer_than_a_page_repeats_its_header_on_every_page_and_loses_no_row(tmp_path: Path) -> None:
    doc = long_document(160)
    pages = pdf_pages(render_docx(doc), tmp_path)
    websites = doc.attachments[0]
    header = squash("".join(websites.columns))
    table_pages = [lines_of(page) for page in pages if any(squash(line) == header for line in lines_of(page))]
    assert len(table_pages) >= 3
    for page in table_pages[1:]:  # a continuation page starts with the repeated header
        assert squash(page[0]) in (header, squash("".join(doc.attachments[1].columns)))
    lines = [squash(line) for page in pages for line in lines_of(page)]
    rows = ["".join(cells) for annex in doc.attachments for cells in listed(annex) if len(cells) > 1]
    positions = [lines.index(row) for row in rows]
    assert positions == sorted(positions) and len(set(positions)) == len(rows) == 160


def test_every_run_names_its_east_asian_and_latin_fonts() -> None:
    data = render_docx(seed_document())
    counted = 0
    for name, root in parts(data, *RUN_PARTS):
        for run in root.iter(f"{W}r"):
            counted += 1
            fonts = run.find(f"{W}rPr/{W}rFonts")
            assert fonts is not None, f"a run in {name} names no font"
            assert all(fonts.get(f"{W}{kind}") for kind in ("eastAsia", "ascii", "hAnsi")), ET.tostring(run)
    assert counted > 50


def test_the_styles_name_the_office_fonts_and_none_falls_back_to_the_theme() -> None:
    styles = dict(parts(render_docx(seed_document()), "word/styles.xml"))["word/styles.xml"]
    defaults = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert defaults is not None and defaults.get(f"{W}eastAsia") == "仿宋_GB2312"
    language = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    assert language is not None and language.get(f"{W}eastAsia") == "zh-CN"
    named = list(styles.iter(f"{W}rFonts"))
    assert len(named) > 10
    for fonts in named:
        assert fonts.get(f"{W}eastAsia"), ET.tostring(fonts)
        assert not [key for key in fonts.attrib if key.lower().endswith("theme")], ET.tostring(fonts)


def test_each_part_of_the_notice_is_set_in_its_font() -> None:
    doc = seed_document()
    data = render_docx(doc)
    fonts = fonts_of_texts(data)
    lead = doc.sections[0].paragraphs[0]
    assert fonts[doc.issuer] == fonts[doc.title] == "方正小标宋简体"
    assert fonts[doc.document_number] == fonts[doc.opening] == fonts[lead.text] == "仿宋_GB2312"
    assert fonts["一、总体情况"] == fonts["附件 1"] == "黑体"
    assert fonts[lead.lead] == "楷体_GB2312"
    issuer = next(r for r in body(data).iter(f"{W}r") if "".join(t.text or "" for t in r.iter(f"{W}t")) == doc.issuer)
    color = issuer.find(f"{W}rPr/{W}color")
    assert color is not None and color.get(f"{W}val") == "FF0000"
    footers = [root for _, root in parts(data, "word/footer")]
    assert len(footers) == 2
    for footer in footers:
        assert {f.get(f"{W}eastAsia") for f in footer.iter(f"{W}rFonts")} == {"宋体"}
        assert [i.text for i in footer.iter(f"{W}instrText")] == [" PAGE "]


def test_the_page_is_a4_with_the_standards_margins_and_the_body_on_a_fixed_pitch() -> None:
    doc = seed_document()
    word = Document(io.BytesIO(render_docx(doc)))
    section = word.sections[0]
    size = (section.page_width, section.page_height)
    assert [length.twips if length else None for length in size] == [11906, 16838]  # A4 in twips
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(m.mm, 1) if m else None for m in margins] == [37.0, 35.0, 28.0, 26.0]
    assert word.settings.odd_and_even_pages_header_footer
    assert section.footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert section.even_page_footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT
    opening = next(p for p in word.paragraphs if p.text == doc.opening).paragraph_format
    assert opening.first_line_indent is not None and opening.first_line_indent.pt == 32  # two 3号 characters
    assert opening.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    pitch = opening.line_spacing
    assert isinstance(pitch, Length) and 28 <= pitch.pt <= 29
    number = next(p for p in word.paragraphs if p.text == doc.document_number)
    rule = number._p.find(f"{W}pPr/{W}pBdr/{W}bottom")
    assert rule is not None and rule.get(f"{W}color") == "FF0000"  # the red separator under the 发文字号


def test_the_attachment_tables_hold_the_header_the_platform_rows_and_every_row_in_order() -> None:
    doc = seed_document()
    data = render_docx(doc)
    found = tables(data)
    assert len(found) == 3  # two attachments and the 版记
    for annex, table in zip(doc.attachments, found, strict=False):
        assert table[0] == annex.columns
        assert table[1:] == listed(annex)
    assert found[1][1] == ["微信公众号"]  # one cell spanning the four columns
    spans = [cell.get(f"{W}val") for cell in body(data).iter(f"{W}gridSpan")]
    assert spans == ["4"]
    headers = list(body(data).iter(f"{W}tblHeader"))
    assert len(headers) == 2  # the header row repeats on every page of each list
    assert found[2] == [[doc.cc], [doc.printed_by + doc.printed_on]]


def test_two_thousand_listed_targets_are_all_in_the_tables_in_order() -> None:
    doc = long_document(2000)
    found = tables(render_docx(doc))
    for annex, table in zip(doc.attachments, found, strict=False):
        assert table[1:] == listed(annex)
    assert sum(len(table) - 1 for table in found[:2]) == 2000 + 2


def test_an_empty_list_prints_none() -> None:
    found = tables(render_docx(empty_document()))
    assert [table[1:] for table in found[:2]] == [[["无"]], [["无"]]]


def test_the_same_document_gives_the_same_bytes_dated_the_day_it_was_signed() -> None:
    doc = seed_document()
    first, second = render_docx(doc), render_docx(seed_document())
    assert first == second
    assert render_docx(doc.model_copy(update={"title": doc.title + "（修订）"})) != first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(2022, 10, 7, 0, 0, 0)}
        assert not [name for name in archive.namelist() if "thumbnail" in name or "stylesWithEffects" in name]
    properties = Document(io.BytesIO(first)).core_properties
    assert properties.author == doc.issuer and properties.title == doc.title
    assert properties.created is not None and properties.created.replace(tzinfo=None) == datetime(2022, 10, 7)
    assert properties.modified == properties.created


def signed(doc: NoticeDocument, on: str) -> NoticeDocument:
    return doc.model_copy(update={"signed_on": on})


def test_the_signing_date_dates_the_file() -> None:
    later = render_docx(signed(seed_document(), "2023 年 1 月 9 日"))
    with zipfile.ZipFile(io.BytesIO(later)) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(2023, 1, 9, 0, 0, 0)}
