"""The notice as HTML: the drafted sentences laid out by one Jinja2 template (autoescaped, deterministic)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.reporter import drafting
from services.reporter.chinese import compact_date, full_date, month_day
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


def render_notice(numbers: NoticeNumbers, profile: NoticeProfile) -> str:
    """The same numbers and profile always give the same bytes: no clock, no unordered iteration."""
    first, second = drafting.attachment_titles(numbers)
    context = {
        "profile": profile,
        "numbers": numbers,
        "title": drafting.title(profile, numbers),
        "opening": drafting.opening(profile, numbers),
        "overview": drafting.overview(numbers),
        "note": drafting.insufficient_note(numbers),
        "problems": drafting.problems(numbers),
        "requirements": drafting.requirements(profile, numbers),
        "closing": drafting.closing(profile, numbers),
        "attachment_titles": (first, second),
        "window": f"{month_day(numbers.window_start)}—{month_day(numbers.monitoring_date)}",
        "issue_date": full_date(profile.issue_date),
        "printed_on": compact_date(profile.printed_on or profile.issue_date),
    }
    return environment().get_template("notice.html.j2").render(context)
