"""The notice as PDF, read back with poppler: every character printed, no tofu, GB/T 9704's page, the same bytes."""

from __future__ import annotations

import hashlib
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from services.reporter.document import NoticeDocument, build_document
from services.reporter.pdf import render_pdf
from tests.reporter.builders import lincang_profile
from tests.reporter.test_notice import seed_numbers

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60
MM = 72 / 25.4  # PDF points per millimetre
PAGE_W, PAGE_H = 210 * MM, 297 * MM
TYPE_AREA = (28 * MM, 37 * MM, PAGE_W - 26 * MM, PAGE_H - 35 * MM)  # left, top, right, bottom of the 版心
# The free fonts of scripts/system-deps.sh as pdffonts names them: 小标宋/宋体, 仿宋, 黑体, 楷体 styles.
EXPECTED_FONTS = {"Noto-Serif-CJK-SC-Bold", "Noto-Serif-CJK-SC", "FandolFang", "Noto-Sans-CJK-SC", "AR-PL-UKai-CN"}
SEED_PAGES = 6  # four of text, one per attachment


def seed_document() -> NoticeDocument:
    return build_document(seed_numbers(), lincang_profile())


def run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=TIMEOUT_S, cwd=REPO).stdout


@contextmanager
def weasyprint_warnings() -> Iterator[list[str]]:
    """WeasyPrint's warnings while rendering: a character no font has is logged as a '.notdef glyph'."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger, handler = logging.getLogger("weasyprint"), Collect(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


@dataclass(frozen=True)
class Rendered:
    doc: NoticeDocument
    path: Path
    pdf: bytes
    warnings: list[str]


@pytest.fixture(scope="module")
def seed_pdf(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    doc = seed_document()
    with weasyprint_warnings() as warnings:
        pdf = render_pdf(doc)
    path = tmp_path_factory.mktemp("pdf") / "notice.pdf"
    path.write_bytes(pdf)
    return Rendered(doc, path, pdf, warnings)


@dataclass(frozen=True)
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def words_by_page(path: Path) -> list[list[Word]]:
    """Each page's words with their boxes in points from the top left (pdftotext -bbox)."""
    pages = run("pdftotext", "-bbox", str(path), "-").split("<page ")[1:]
    return [
        [Word(float(a), float(b), float(c), float(d), text) for a, b, c, d, text in WORD.findall(page)]
        for page in pages
    ]


def lines_of(words: list[Word]) -> list[str]:
    """Words grouped into printed lines by their baselines (a 楷体 lead sits a fraction of a point off)."""
    lines: list[tuple[float, list[Word]]] = []
    for word in sorted(words, key=lambda w: (w.y1, w.x0)):
        if lines and abs(lines[-1][0] - word.y1) < 3:
            lines[-1][1].append(word)
        else:
            lines.append((word.y1, [word]))
    return ["".join(w.text for w in sorted(ws, key=lambda w: w.x0)) for _, ws in lines]


def page_number(page: int) -> re.Pattern[str]:
    return re.compile(rf"—\s*{page}\s*—")


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def blocks_in_reading_order(doc: NoticeDocument) -> list[str]:
    blocks = [doc.issuer, doc.document_number, doc.title, doc.recipients, doc.opening]
    for section in doc.sections:
        blocks += [section.heading] + [p.lead + p.text for p in section.paragraphs]
    blocks += [doc.closing, "附件：" + doc.attachment_list[0], *doc.attachment_list[1:], doc.signed_on, doc.public_note]
    for annex in doc.attachments:
        blocks += [annex.label, annex.title, *annex.columns]
        for group in annex.groups:
            blocks += [group.label] + [cell for row in group.rows for cell in row.cells]
        blocks.append(annex.window)
    return [*blocks, doc.cc, doc.printed_by, doc.printed_on]


def test_the_seed_pdf_prints_every_block_of_the_document_in_reading_order(seed_pdf: Rendered) -> None:
    pages = run("pdftotext", "-raw", str(seed_pdf.path), "-").split("\f")[:SEED_PAGES]
    for number, page in enumerate(pages, start=1):
        assert page_number(number).search(page), f"page {number} has no 「— {number} —」"
    # Page numbers interrupt a paragraph that runs over a page; the document's own text never has one.
    text = squeezed("".join(page_number(n).sub("", page) for n, page in enumerate(pages, start=1)))
    position = 0
    for block in blocks_in_reading_order(seed_pdf.doc):
        found = text.find(squeezed(block), position)
        assert found >= 0, f"not printed (or out of order): {block}"
        position = found
    for line in ("临政办字〔2022〕111号", "2022年10月7日", "（此件公开发布）", "镇康县人民政府", "世界佤乡秘境沧源"):
        assert line in text


def test_every_character_comes_from_an_embedded_chinese_font_with_a_glyph_for_it(seed_pdf: Rendered) -> None:
    assert not [w for w in seed_pdf.warnings if ".notdef" in w]  # Pango found a glyph for every character
    rows = run("pdffonts", str(seed_pdf.path)).splitlines()[2:]
    fonts = {row.split()[0].split("+", 1)[1]: row.split()[-5:-2] for row in rows}
    assert set(fonts) == EXPECTED_FONTS  # no fallback to a font outside the stacks (nor a missing face)
    assert all(flags == ["yes", "yes", "yes"] for flags in fonts.values())  # embedded, subset, with ToUnicode


def test_a_character_no_font_has_is_caught_as_tofu() -> None:
    """The check above can fail: an unassigned code point has no glyph anywhere and WeasyPrint reports it."""
    doc = seed_document().model_copy(update={"recipients": "各县（区）\u0378："})
    with weasyprint_warnings() as warnings:
        render_pdf(doc)
    assert any(".notdef" in w and "U+0378" in w for w in warnings)


def test_the_seed_pdf_is_a4_with_a_page_per_attachment_and_its_metadata_from_the_document(seed_pdf: Rendered) -> None:
    info = run("pdfinfo", "-isodates", "-f", "1", "-l", "99", str(seed_pdf.path))
    assert re.search(r"^Pages:\s+6$", info, re.M)
    sizes = re.findall(r"^Page\s+\d+ size:\s+(.*)$", info, re.M)
    assert sizes == ["595.276 x 841.89 pts (A4)"] * SEED_PAGES
    assert re.search(rf"^Title:\s+{seed_pdf.doc.title}$", info, re.M)
    assert re.search(r"^CreationDate:\s+2022-10-07T00:00:00", info, re.M)  # the 成文日期, not the clock
    assert re.search(r"^ModDate:\s+2022-10-07T00:00:00", info, re.M)
    pages = words_by_page(seed_pdf.path)
    assert [page[0].text for page in pages[-2:]] == ["附件", "附件"]  # 附件 1 and 附件 2 each open a page


def test_page_one_has_the_red_masthead_above_black_text(seed_pdf: Rendered, tmp_path: Path) -> None:
    root = tmp_path / "page1"
    run("pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-singlefile", "-png", str(seed_pdf.path), str(root))
    image = Image.open(root.with_suffix(".png")).convert("RGB")
    width, height = image.size
    first_page = words_by_page(seed_pdf.path)[0]
    number = next(w for w in first_page if w.text == seed_pdf.doc.document_number)
    title = next(w for w in first_page if w.y0 > number.y1)
    masthead = (round(TYPE_AREA[1] / PAGE_H * height), round(title.y0 / PAGE_H * height))

    def count(top: int, bottom: int, red: bool) -> int:
        data = image.crop((0, top, width, bottom)).tobytes()
        pixels = zip(data[0::3], data[1::3], data[2::3], strict=True)
        if red:
            return sum(1 for r, g, b in pixels if r > 160 and g < 90 and b < 90)
        return sum(1 for r, g, b in pixels if r < 90 and g < 90 and b < 90)

    assert count(*masthead, red=True) > 200  # 发文机关标志 and the rule under the 文号 are red
    assert count(0, masthead[0], red=False) + count(0, masthead[0], red=True) == 0  # nothing above the 版心
    assert count(masthead[1], height, red=True) == 0
    assert count(masthead[1], height, red=False) > 1000  # the title and the body in black


def test_a_full_page_of_text_holds_22_lines_of_28_characters_inside_the_type_area(seed_pdf: Rendered) -> None:
    pages = words_by_page(seed_pdf.path)
    left, top, right, bottom = TYPE_AREA
    for words in pages:
        body = [w for w in words if w.y1 <= bottom + 1]
        assert all(left - 0.5 <= w.x0 and w.x1 <= right + 0.5 and top - 0.5 <= w.y0 for w in body)
    body_lines = lines_of([w for w in pages[1] if w.y1 <= bottom])
    assert len(body_lines) == 22
    assert max(len(line) for line in body_lines) == 28


def test_page_numbers_sit_below_the_type_area_odd_right_and_even_left(seed_pdf: Rendered) -> None:
    left, _, right, bottom = TYPE_AREA
    for number, words in enumerate(words_by_page(seed_pdf.path), start=1):
        [digits] = [w for w in words if w.y0 > bottom and w.text == str(number)]
        dashes = [w for w in words if w.y0 > bottom and w.text == "—"]
        assert len(dashes) == 2
        assert 5 * MM < (digits.y0 + digits.y1) / 2 - bottom < 10 * MM  # the 一字线 about 7 mm below the 版心
        if number % 2:
            assert right - 20 < max(d.x1 for d in dashes) < right - 10  # one character (14 pt) in from the right
        else:
            assert left + 10 < min(d.x0 for d in dashes) < left + 20


def test_the_imprint_closes_the_last_page_at_the_foot_of_the_type_area(seed_pdf: Rendered) -> None:
    *earlier, last = words_by_page(seed_pdf.path)
    assert not any("抄送" in w.text or "印发" in w.text for page in earlier for w in page)
    _, _, right, bottom = TYPE_AREA
    [cc] = [w for w in last if w.text.startswith("抄送：")]
    [printed_on] = [w for w in last if w.text == seed_pdf.doc.printed_on]
    [printed_by] = [w for w in last if w.text == seed_pdf.doc.printed_by and w.y0 > cc.y0]
    assert bottom - 14 < printed_on.y1 < bottom  # on the last line of the 版心
    assert abs(printed_by.y1 - printed_on.y1) < 1
    assert right - 16 < printed_on.x1 < right - 12  # 印发日期 one character in from the right


def test_the_same_document_gives_the_same_bytes_in_another_process(seed_pdf: Rendered) -> None:
    assert render_pdf(seed_document()) == seed_pdf.pdf
    script = (
        "import hashlib; from services.reporter.pdf import render_pdf; "
        "from tests.reporter.test_pdf import seed_document; "
        "print(hashlib.sha256(render_pdf(seed_document())).hexdigest())"
    )
    assert run(sys.executable, "-c", script).strip() == hashlib.sha256(seed_pdf.pdf).hexdigest()
