"""The rectification notice as a unit receives it: subject and body from Jinja2 templates, in office wording.

Pure apart from reading the templates: no network, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.notifier.models import Case
from shared.events import Target, TargetType

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    undefined=StrictUndefined,
    keep_trailing_newline=False,
    trim_blocks=False,
    autoescape=False,  # plain text mail, never HTML
)
_QUARTERS = {"1": "一", "2": "二", "3": "三", "4": "四"}


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def period_name(period_id: str) -> str:
    """2022Q3 → 2022年第三季度."""
    match = re.fullmatch(r"(\d{4})Q([1-4])", period_id)
    return f"{match[1]}年第{_QUARTERS[match[2]]}季度" if match else period_id


def target_title(target: Target, site: Target | None = None) -> str:
    """How a notice names the target: 某某人民政府网站, 某某网站“通知公告”栏目, 微信公众号“某某”."""
    if target.type is TargetType.website:
        return target.name if target.name.endswith("网站") else f"{target.name}网站"
    if target.type is TargetType.column:
        return f"{target_title(site)}“{target.name}”栏目" if site else f"“{target.name}”栏目"
    return f"{target.platform or '政务新媒体'}“{target.name}”"


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str


def render_case_notice(case: Case, target: Target, unit_name: str, office: str, site: Target | None = None) -> Letter:
    values = {
        "case": case,
        "title": target_title(target, site),
        "url": target.url,
        "unit_name": unit_name,
        "office": office,
        "period": period_name(case.period_id),
        "deadline": chinese_date(case.deadline),
        "letter_date": chinese_date(case.opened_on),
    }
    subject = _ENV.get_template("case_opened_subject.txt.j2").render(values).strip()
    body = _ENV.get_template("case_opened.txt.j2").render(values).strip() + "\n"
    return Letter(subject, body)
