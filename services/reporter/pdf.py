"""The notice as PDF: the notice's document set after GB/T 9704-2012 by WeasyPrint (layout only, bytes out).

The print template and its stylesheet hold the layout (docs/notice-format.md); this module feeds them the document
and the few values CSS cannot compute, and pins what would otherwise change from run to run.
"""

from __future__ import annotations

import re

from weasyprint import CSS, HTML

from services.reporter.document import NoticeDocument
from services.reporter.render import TEMPLATES, environment

STYLESHEET = TEMPLATES / "notice.print.css"

# The 版心 is 156 mm wide; the standard keeps each character of the 发文机关标志 under 15 mm wide.
TYPE_AREA_WIDTH_MM = 156
ISSUER_MAX_CHAR_MM = 15.0

DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def issued_on(doc: NoticeDocument) -> str:
    """The 成文日期 as an ISO date for the PDF's creation and modification dates; empty if it cannot be read."""
    found = DATE.search(doc.signed_on) or DATE.search(doc.printed_on)
    if not found:
        return ""
    year, month, day = (int(part) for part in found.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def issuer_size_mm(issuer: str) -> float:
    """The largest square character size that keeps the 发文机关标志 on one line of the 版心."""
    return round(min(ISSUER_MAX_CHAR_MM, (TYPE_AREA_WIDTH_MM - 4) / max(len(issuer), 1)), 2)


def render_print_html(doc: NoticeDocument) -> str:
    """The print template's HTML (the stylesheet is applied separately by render_pdf)."""
    template = environment().get_template("notice.print.html.j2")
    return template.render(doc=doc, issued_on=issued_on(doc), issuer_size_mm=issuer_size_mm(doc.issuer))


def render_pdf(doc: NoticeDocument) -> bytes:
    """The same document gives the same bytes on machines with the same fonts (dates come from the document)."""
    html = HTML(string=render_print_html(doc))  # the template links to nothing, so it needs no base URL
    # The file identifier (/ID) is pydyf's digest of the content, so it is as reproducible as the content itself.
    pdf = html.write_pdf(stylesheets=[CSS(filename=STYLESHEET)], pdf_identifier=True)
    assert isinstance(pdf, bytes)  # write_pdf returns the bytes when given no target
    return pdf
