"""One notice, five files: the document laid out as HTML, PDF, DOCX and XLSX, and its numbers as JSON.

The layout modules are imported when first used: WeasyPrint takes about a second to import and most requests want
one format.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from services.reporter.document import NoticeDocument
from services.reporter.render import render_html
from services.reporter.stats import NoticeNumbers


@dataclass(frozen=True)
class Rendered:
    filename: str
    media_type: str
    data: bytes


MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def numbers_json(numbers: NoticeNumbers) -> bytes:
    return (json.dumps(numbers.model_dump(mode="json"), ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def render(doc: NoticeDocument, numbers: NoticeNumbers, fmt: str) -> Rendered:
    """``fmt`` is one of MEDIA_TYPES; the file is named notice-<period>.<fmt> as `make demo` writes it."""
    if fmt == "html":
        data = render_html(doc).encode()
    elif fmt == "pdf":
        from services.reporter.pdf import render_pdf

        data = render_pdf(doc)
    elif fmt == "docx":
        from services.reporter.word import render_docx

        data = render_docx(doc)
    elif fmt == "xlsx":
        from services.reporter.xlsx import render_xlsx

        data = render_xlsx(doc)
    elif fmt == "json":
        data = numbers_json(numbers)
    else:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(MEDIA_TYPES)}")
    return Rendered(f"notice-{numbers.period_id}.{fmt}", MEDIA_TYPES[fmt], data)
