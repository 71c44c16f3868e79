"""The notice draft's form (pure): a NoticeProfile to form values and back, with reasons in Chinese.

The form is plain HTML: 主送 and 抄送 one per line in a textarea; 工作要求 as repeated ``req_heading``/``req_text``
pairs (blank pairs dropped, a half-filled pair refused); dates from ``<input type=date>``; ``public`` a checkbox.
The reporter validates again (NoticeProfile); this catches what a person gets wrong before the round trip.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

FormData = Mapping[str, Sequence[str]]  # field → every value sent under that name, in order
BLANK_REQUIREMENTS = 2  # empty heading/text rows offered under the filled ones, to add a requirement

REQUIRED = {
    "document_number": "文号",
    "issuer": "发文机关",
    "city": "所在城市",
    "issue_date": "成文日期",
    "deadline": "整改期限",
}


@dataclass
class ProfileForm:
    """What the form holds: ``values`` to render it again, ``errors`` to show, ``payload`` for the reporter."""

    values: dict[str, Any]
    errors: list[str] = field(default_factory=list)

    @property
    def payload(self) -> dict[str, Any] | None:
        return None if self.errors else _payload(self.values)


def form_values(profile: Mapping[str, Any]) -> dict[str, Any]:
    """A stored profile (the reporter's JSON) as the form shows it."""
    requirements = [
        {"heading": r.get("heading", ""), "text": r.get("text", "")} for r in profile.get("requirements", [])
    ]
    return {
        "document_number": profile.get("document_number", ""),
        "issuer": profile.get("issuer", ""),
        "issuer_short": profile.get("issuer_short", "市政府办公室"),
        "city": profile.get("city", ""),
        "province": profile.get("province", ""),
        "recipients": "\n".join(profile.get("recipients", [])),
        "cc": "\n".join(profile.get("cc", [])),
        "issue_date": str(profile.get("issue_date") or ""),
        "deadline": str(profile.get("deadline") or ""),
        "printed_on": str(profile.get("printed_on") or ""),
        "public": bool(profile.get("public", True)),
        "opening": profile.get("opening", ""),
        "overview_remarks": profile.get("overview_remarks", ""),
        "requirements": requirements,
    }


def with_blank_rows(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values with empty requirement rows appended, so a requirement can be added without a script."""
    rows = [*values.get("requirements", []), *({"heading": "", "text": ""} for _ in range(BLANK_REQUIREMENTS))]
    return {**values, "requirements": rows}


def parse_profile(form: FormData) -> ProfileForm:
    values: dict[str, Any] = {
        "document_number": _one(form, "document_number"),
        "issuer": _one(form, "issuer"),
        "issuer_short": _one(form, "issuer_short") or "市政府办公室",
        "city": _one(form, "city"),
        "province": _one(form, "province"),
        "recipients": _one(form, "recipients"),
        "cc": _one(form, "cc"),
        "issue_date": _one(form, "issue_date"),
        "deadline": _one(form, "deadline"),
        "printed_on": _one(form, "printed_on"),
        "public": _one(form, "public") in ("on", "true", "1", "yes"),
        "opening": _text(form, "opening"),
        "overview_remarks": _text(form, "overview_remarks"),
    }
    requirements, errors = parse_requirements(form.get("req_heading", ()), form.get("req_text", ()))
    values["requirements"] = requirements
    errors = [f"请填写{label}" for name, label in REQUIRED.items() if not values[name]] + errors
    if not lines(values["recipients"]):
        errors.append("请填写主送单位（每行一个）")
    errors += _date_errors(values)
    return ProfileForm(values, errors)


def parse_requirements(headings: Sequence[str], texts: Sequence[str]) -> tuple[list[dict[str, str]], list[str]]:
    """Pairs of (heading, text) by position; both blank: dropped; one blank: refused, numbered as the form shows."""
    found: list[dict[str, str]] = []
    errors: list[str] = []
    for n in range(max(len(headings), len(texts))):
        heading = headings[n].strip() if n < len(headings) else ""
        text = _normalise(texts[n]) if n < len(texts) else ""
        if not heading and not text:
            continue
        if not heading or not text:
            errors.append(f"第{n + 1}条工作要求须同时填写标题和内容")
        found.append({"heading": heading, "text": text})
    return found, errors


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _payload(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "document_number": values["document_number"],
        "issuer": values["issuer"],
        "issuer_short": values["issuer_short"],
        "city": values["city"],
        "province": values["province"],
        "recipients": lines(values["recipients"]),
        "cc": lines(values["cc"]),
        "issue_date": values["issue_date"],
        "deadline": values["deadline"],
        "printed_on": values["printed_on"] or None,
        "public": values["public"],
        "opening": values["opening"],
        "overview_remarks": values["overview_remarks"],
        "requirements": list(values["requirements"]),
    }


def _date_errors(values: Mapping[str, Any]) -> list[str]:
    parsed: dict[str, date] = {}
    errors = []
    for name, label in (("issue_date", "成文日期"), ("deadline", "整改期限"), ("printed_on", "印发日期")):
        if not values[name]:
            continue
        try:
            parsed[name] = date.fromisoformat(values[name])
        except ValueError:
            errors.append(f"{label}「{values[name]}」不是有效日期")
    if "issue_date" in parsed and "deadline" in parsed and parsed["deadline"] < parsed["issue_date"]:
        errors.append("整改期限不能早于成文日期")
    return errors


def _one(form: FormData, name: str) -> str:
    found = form.get(name) or ("",)
    return found[0].strip()


def _text(form: FormData, name: str) -> str:
    found = form.get(name) or ("",)
    return _normalise(found[0])


def _normalise(text: str) -> str:
    """Browsers send textarea line breaks as CRLF; the notice keeps paragraphs as LF."""
    return text.replace("\r\n", "\n").strip()
