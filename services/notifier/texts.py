"""Every message a case sends, per step and channel, from the Jinja2 templates in templates/ (pure but for reading them).

Steps: warning (预警, before any case), case_opened, reminder, overdue, escalation (to the supervising unit), digest, reopened (复查未通过), resolved,
report_published. Channels: e-mail (subject and full text), SMS (the vendors send an approved template with
parameters: ``sms_params``, each at most ``SMS_PARAM_LIMIT`` characters; ``text`` is how it reads on the phone) and
chat (DingTalk/WeCom robot markdown, ``subject`` as its title). A robot secured by keywords needs 整改 or 通报 in the
text: every chat text carries one.

The SMS template text to register with a vendor is ``sms_template_text(step)``: the same wording with ${param}.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.notifier.letters import chinese_date, period_name, target_title
from services.notifier.models import Case, Channel
from services.notifier.reminders import DigestPlan, StepKind
from shared.clock import CHINA_TZ
from shared.events import Target, Unit

SMS_PARAM_LIMIT = 35  # Aliyun's limit for a template variable (Tencent's is 12 for some types: register longer ones)

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    undefined=StrictUndefined,
    keep_trailing_newline=False,
    autoescape=False,  # plain text and markdown, never HTML
)
# case_opened's e-mail keeps the file names it had before the other steps existed.
_EMAIL_FILES = {"case_opened": ("case_opened_subject.txt.j2", "case_opened.txt.j2")}
_SMS_PARAMS = {
    "warning": ("unit", "target", "problem"),
    "case_opened": ("unit", "target", "problem", "deadline"),
    "reminder": ("unit", "target", "problem", "deadline"),
    "overdue": ("unit", "target", "problem", "deadline"),
    "escalation": ("unit", "target", "problem", "deadline"),
    "reopened": ("unit", "target", "problem", "deadline"),
    "resolved": ("unit", "target", "problem"),
    "digest": ("unit", "count", "deadline"),
    "report_published": ("unit", "number", "deadline", "office"),
}


@dataclass(frozen=True)
class ChannelText:
    """One step's message on one channel."""

    channel: Channel  # email, sms, or dingtalk for chat (WeCom takes the same markdown)
    subject: str  # e-mail subject; chat title; empty for SMS
    text: str  # e-mail body; chat markdown; the SMS as it reads with the approved template
    sms_template: str = ""  # SMS: the step whose approved template code SmsSettings.template_for() gives
    sms_params: dict[str, str] = field(default_factory=dict)  # SMS: the template's parameters, in order


@dataclass(frozen=True)
class Texts:
    email: ChannelText
    sms: ChannelText
    chat: ChannelText

    def on(self, channel: Channel) -> ChannelText:
        if channel is Channel.email:
            return self.email
        return self.sms if channel is Channel.sms else self.chat


@dataclass(frozen=True)
class CaseView:
    """A case with the names a message needs: the target as notices name it, the units, the sending office."""

    case: Case
    title: str  # 云岭市青山县人民政府网站, 微信公众号“云县教育体育局”, …
    url: str
    unit_name: str  # the responsible unit
    office: str  # the office that inspects and receives the reports, e.g. 云岭市人民政府办公室
    supervisor_name: str = ""  # the supervising unit, for escalations

    @classmethod
    def of(
        cls,
        case: Case,
        target: Target,
        unit: Unit,
        office: str,
        site: Target | None = None,
        supervisor: Unit | None = None,
    ) -> CaseView:
        name = supervisor.name if supervisor else ""
        return cls(case, target_title(target, site), target.url, unit.name, office, name)


@dataclass(frozen=True)
class PublishedNotice:
    """A published 通报 as the units receive it (from report.published and the reporter's document)."""

    number: str  # 文号, e.g. 临政办字〔2022〕111号
    title: str  # 临沧市人民政府办公室关于2022年三季度全市政府网站和政府系统政务新媒体检查情况的通报
    issued_on: date
    deadline: date  # 「于2022年10月14日前将整改情况报…」
    report_to: str  # whom the units report to, as the notice says it: 市政府办公室
    attachments: tuple[str, ...] = ()  # file names, as numbered in the notice


@dataclass(frozen=True)
class Listed:
    """One of the unit's targets the notice lists as unqualified."""

    title: str
    problem: str


def clip(value: str, limit: int = SMS_PARAM_LIMIT) -> str:
    """Cut to the vendor's limit, ending in 「…」 so that a reader sees it was cut (the whole text is in the e-mail).

    The same rule as channels.sms_common.clip, kept here so that this module imports no HTTP client."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def sms_template_text(step: str) -> str:
    """The wording to register with the SMS vendor: the template with ${param} placeholders."""
    return _ENV.get_template(f"{step}.sms.txt.j2").render(p={k: f"${{{k}}}" for k in _SMS_PARAMS[step]}).strip()


# --- one function per step ----------------------------------------------------------------------------------------


def warning(
    title: str, url: str, unit_name: str, office: str, label: str, explanation: str, period_id: str, day: date
) -> Texts:
    """An early warning (预警) to the unit: not a verdict, no report asked; it names what to fix before the veto."""
    values = {
        "title": title,
        "url": url,
        "unit_name": unit_name,
        "office": office,
        "label": label,
        "explanation": explanation,
        "period": period_name(period_id),
        "today": chinese_date(day),
        "case_id": "",
    }
    params = {"unit": unit_name, "target": title, "problem": label}
    return _texts("warning", values, params, f"预警提醒：{title}")


def case_opened(view: CaseView) -> Texts:
    return _case_texts("case_opened", view, view.case.opened_on, view.unit_name)


def reminder(view: CaseView, today: date, working_days_left: int) -> Texts:
    return _case_texts("reminder", view, today, view.unit_name, left=working_days_left)


def overdue(view: CaseView, today: date) -> Texts:
    return _case_texts("overdue", view, today, view.unit_name)


def escalation(view: CaseView, today: date) -> Texts:
    """To the supervising unit: names the unit that did not rectify; the SMS's ``unit`` is that unit."""
    return _case_texts("escalation", view, today, view.unit_name)


def reopened(view: CaseView, today: date) -> Texts:
    """复查未通过: the reason from the recheck (``case.recheck_note``), and the deadline, which stays."""
    case = view.case
    reason = case.recheck_note.removeprefix("复查未通过：").rstrip("。") or "问题仍然存在"
    submitted_on = chinese_date(case.submitted_at.astimezone(CHINA_TZ).date()) if case.submitted_at else ""
    return _case_texts(
        "reopened", view, today, view.unit_name, reason=reason, past=today > case.deadline, submitted_on=submitted_on
    )


def resolved(view: CaseView, today: date) -> Texts:
    return _case_texts("resolved", view, today, view.unit_name)


def digest(plan: DigestPlan, recipient_name: str, views: Mapping[str, CaseView], office: str) -> Texts:
    """One recipient's due steps of the day in one message; ``views`` by case id."""
    items = [_digest_item(step.kind, views[step.case.case_id], step.working_days_left) for step in plan.items]
    values = {
        "unit_name": recipient_name,
        "office": office,
        "today": chinese_date(plan.day),
        "case_id": "",
        "items": items,
        "own": any(not item["escalation"] for item in items),
        "escalations": any(item["escalation"] for item in items),
    }
    params = {"unit": recipient_name, "count": str(len(items)), "deadline": items[0]["deadline"]}
    title = f"整改事项汇总：{len(items)}项待办理"
    return _texts("digest", values, params, title)


def report_published(notice: PublishedNotice, unit_name: str, office: str, listed: Sequence[Listed] = ()) -> Texts:
    """The published notice, to every unit; those it lists get their problems named and the deadline to report."""
    values = {
        "unit_name": unit_name,
        "office": office,
        "today": chinese_date(notice.issued_on),
        "notice_title": notice.title,
        "number": notice.number,
        "issued_on": chinese_date(notice.issued_on),
        "deadline": chinese_date(notice.deadline),
        "report_to": notice.report_to,
        "attachments": notice.attachments,
        "listed": listed,
    }
    params = {
        "unit": unit_name,
        "number": notice.number,
        "deadline": chinese_date(notice.deadline),
        "office": notice.report_to,
    }
    return _texts("report_published", values, params, f"通报：{notice.number}")


# --- rendering ----------------------------------------------------------------------------------------------------


_CHAT_TITLES = {
    "warning": "预警提醒",
    "case_opened": "整改通知",
    "reminder": "整改提醒",
    "overdue": "逾期提醒",
    "escalation": "督办",
    "reopened": "复查未通过",
    "resolved": "整改确认",
}


def _case_texts(step: str, view: CaseView, today: date, sms_unit: str, **extra: Any) -> Texts:
    case = view.case
    values = {
        "case": case,
        "case_id": case.case_id,
        "title": view.title,
        "url": view.url,
        "unit_name": view.unit_name,
        "supervisor_name": view.supervisor_name,
        "office": view.office,
        "problem": case.problem,
        "explanation": case.explanation,
        "period": period_name(case.period_id),
        "deadline": chinese_date(case.deadline),
        "opened_on": chinese_date(case.opened_on),
        "today": chinese_date(today),
        "letter_date": chinese_date(today),
        **extra,
    }
    params = {"unit": sms_unit, "target": view.title, "problem": case.problem, "deadline": values["deadline"]}
    return _texts(step, values, params, f"{_CHAT_TITLES[step]}：{view.title}")


def _texts(step: str, values: Mapping[str, Any], params: Mapping[str, str], chat_title: str) -> Texts:
    subject_file, body_file = _EMAIL_FILES.get(step, (f"{step}.email_subject.txt.j2", f"{step}.email.txt.j2"))
    email = ChannelText(Channel.email, _render(subject_file, values), _render(body_file, values) + "\n")
    sms_params = {key: clip(params[key]) for key in _SMS_PARAMS[step]}
    sms = ChannelText(Channel.sms, "", _render(f"{step}.sms.txt.j2", {"p": sms_params}), step, sms_params)
    chat = ChannelText(Channel.dingtalk, chat_title, _render(f"{step}.chat.md.j2", values))
    return Texts(email, sms, chat)


def _render(name: str, values: Mapping[str, Any]) -> str:
    return _ENV.get_template(name).render(values).strip()


def _digest_item(kind: StepKind, view: CaseView, left: int) -> dict[str, Any]:
    if kind is StepKind.reminder:
        status = f"距整改期限还有{left}个工作日" if left else "今日为整改期限最后一天"
    elif kind is StepKind.overdue:
        status = "已逾期未整改"
    else:
        status = "已逾期未整改，请督促整改"
    return {
        "escalation": kind is StepKind.escalation,
        "unit_name": view.unit_name,
        "title": view.title,
        "problem": view.case.problem,
        "deadline": chinese_date(view.case.deadline),
        "status": status,
    }
