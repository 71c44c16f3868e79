"""The notice as HTML: the notice's document laid out by one Jinja2 template (autoescaped, deterministic)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.reporter.document import NoticeDocument, build_document
from services.reporter.profile import NoticeProfile
from services.reporter.stats import NoticeNumbers

TEMPLATES = Path(__file__).with_name("templates")


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(doc: NoticeDocument) -> str:
    """The same document always gives the same bytes."""
    return environment().get_template("notice.html.j2").render(doc=doc)


def render_notice(numbers: NoticeNumbers, profile: NoticeProfile) -> str:
    return render_html(build_document(numbers, profile))
