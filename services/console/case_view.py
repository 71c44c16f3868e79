"""How a case page names things (pure): timeline actions, deliveries, recipients (masked), the deadline's source.

The notifier stores machine words (``acknowledged``, ``reminder-3wd-r1``, ``sms``); a person reads 已签收,
整改提醒（期限前3个工作日）, 短信. A mobile number is shown as 139****0201 and a robot's webhook, which is a
credential, by its host and the last four characters of its key — the same as the notifier's logs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from shared.clock import CHINA_TZ

ACTIONS = {
    "opened": "立案",
    "notified": "已发送整改通知",
    "acknowledged": "单位签收",
    "submitted": "单位报送整改情况",
    "verifying": "发起复查",
    "recheck_failed": "复查未通过",
    "recheck_passed": "复查通过",
    "resolved": "已整改（检查结果合格）",
    "overdue": "已逾期",
    "escalated": "已督办",
    "reopened": "问题再次出现，重新立案",
    "deadline_set": "通报明确整改期限",
}
CHANNELS = {"email": "电子邮件", "sms": "短信", "dingtalk": "钉钉群机器人", "wecom": "企业微信群机器人"}
DELIVERY_STATES = {
    "pending": "待发送",
    "sending": "发送中",
    "checking": "核实中",
    "sent": "已发送",
    "retrying": "等待重试",
    "uncertain": "待人工确认",
    "failed": "发送失败",
    "no_recipient": "无接收地址",
}
DELIVERY_TROUBLE = frozenset({"uncertain", "failed", "no_recipient"})
ACTORS = {"system": "系统", "evaluator": "检查系统", "scheduler": "定时任务", "notice": "通报"}

# What the notifier takes (services/notifier/rectification.py decides; these are the form's hints, kept equal by a
# test): up to 10 files of 20 MB, PDF, Word, Excel, images or ZIP.
UPLOAD_SUFFIXES = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".jpg", ".jpeg", ".png", ".zip")
UPLOAD_MAX_FILES = 10
UPLOAD_MAX_MB = 20

_STEP = re.compile(r"^(?P<kind>[a-z_]+?)(?:-(?P<rest>.*))?$")
_REMINDER = re.compile(r"^(?P<days>\d+)wd-r\d+$")
_MOBILE = re.compile(r"^\+?(?:86)?1\d{10}$")


def action_label(action: str) -> str:
    """A timeline entry's action; scheduled steps are recorded under their keys (reminder-3wd-r1, overdue-r1)."""
    return ACTIONS.get(action) or step_label(action)


def step_label(step: str) -> str:
    """What a delivery was for: opened-1, reminder-3wd-r1, overdue-r1, escalation-r1, reopened-1-5, resolved-1-6, …"""
    found = _STEP.match(step)
    kind, rest = (found["kind"], found["rest"] or "") if found else (step, "")
    if kind == "reminder":
        days = _REMINDER.match(rest)
        return f"整改提醒（期限前{days['days']}个工作日）" if days else "整改提醒"
    names = {
        "opened": "整改通知",
        "overdue": "逾期提醒",
        "escalation": "督办通知",
        "reopened": "复查未通过通知",
        "resolved": "整改确认",
        "digest": "汇总提醒",
        "warning": "预警提醒",
        "report_published": "通报",
    }
    return names.get(kind, step)


def actor_label(actor: str) -> str:
    return ACTORS.get(actor, actor)


def mask_recipient(channel: str, recipient: str) -> str:
    """A mobile as 139****0201; a webhook as host + path + (…last 4 of its key); e-mail addresses as they are."""
    if channel == "sms" or _MOBILE.match(recipient.replace(" ", "").replace("-", "")):
        digits = re.sub(r"\D", "", recipient)[-11:]
        return f"{digits[:3]}****{digits[-4:]}" if len(digits) == 11 else "****"
    if recipient.startswith(("http://", "https://")):
        url = urlsplit(recipient)
        query = parse_qs(url.query)
        key = (query.get("access_token") or query.get("key") or [""])[0]
        return f"{url.hostname}{url.path} (…{key[-4:]})" if key else f"{url.hostname}{url.path}"
    return recipient


def deadline_source(case: Mapping[str, Any]) -> str:
    """Where the deadline comes from: the published notice's 文号, or the working days counted from opening."""
    if case.get("deadline_source") == "notice":
        number = case.get("deadline_document") or "已发布的通报"
        return f"依据通报{number}确定"
    exact = case.get("deadline_exact", True)
    counted = f"自立案之日（{chinese_date(case['opened_on'])}）起按工作日计算"
    return counted if exact else counted + "（当年节假日安排未知，按周一至周五计）"


@dataclass(frozen=True)
class DeliveryRow:
    step: str
    channel: str
    recipient: str
    status: str
    status_code: str
    attempts: int
    created_at: str
    sent_at: str
    error: str

    @property
    def trouble(self) -> bool:
        return self.status_code in DELIVERY_TROUBLE


def delivery_row(delivery: Mapping[str, Any]) -> DeliveryRow:
    channel = str(delivery.get("channel", ""))
    status = str(delivery.get("status", ""))
    return DeliveryRow(
        step=step_label(str(delivery.get("step", ""))),
        channel=CHANNELS.get(channel, channel),
        recipient=mask_recipient(channel, str(delivery.get("recipient", ""))),
        status=DELIVERY_STATES.get(status, status),
        status_code=status,
        attempts=int(delivery.get("attempts", 0)),
        created_at=beijing(delivery.get("created_at")),
        sent_at=beijing(delivery.get("sent_at")),
        error=str(delivery.get("last_error") or ""),
    )


def beijing(value: Any) -> str:
    """An instant in Beijing time, to the minute (2022-10-10 10:05); empty for none."""
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # Mongo hands datetimes back naive, in UTC
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def chinese_date(value: Any) -> str:
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return f"{day.year}年{day.month}月{day.day}日"


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
