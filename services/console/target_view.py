"""The target page's pure core: an observation's key facts in a line of Chinese, and what each version changed.

Dicts in (the services' JSON), plain values out; the page module only fetches and renders.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Doc = Mapping[str, Any]

KIND_LABELS: dict[str, str] = {
    "availability": "可用性（首页访问）",
    "homepage": "首页更新",
    "columns": "栏目更新",
    "newmedia": "政务新媒体更新",
    "links": "链接可用性",
    "interaction": "互动回应",
    "service_guides": "办事指南",
    "content": "内容正确性",
    "site_basics": "基本信息与功能",
}
# Kinds whose observations keep the page read as evidence (availability keeps none).
PAGE_KINDS = frozenset({"homepage", "columns"})

FIELD_LABELS: dict[str, str] = {
    "name": "名称",
    "url": "地址",
    "unit_id": "主办单位",
    "county": "县（区）",
    "site_code": "网站标识码",
    "site_kind": "网站类型",
    "platform": "平台",
    "account_id": "账号",
    "status": "运行状态",
    "registered_on": "登记日期",
    "closed_on": "关停日期",
    "column_type": "栏目类型",
    "has_message_board": "留言板",
    "public_services": "对外服务职能",
    "update_period_days": "更新周期",
    "reply_days": "答复时限",
    "site_id": "所属网站",
    "profile": "采集配置",
    "feed_kind": "数据来源",
}


def _yes(value: object) -> str:
    return "是" if value else "否"


def _availability(f: Doc) -> list[str]:
    return ["打开正常" if f.get("opened") else "未能打开"]


def _page(f: Doc) -> list[str]:
    items = f.get("items") or []
    dated = [i for i in items if i.get("published_on")]
    out = [f"最新信息 {f['newest_item_on']}" if f.get("newest_item_on") else "未找到有日期的信息"]
    out.append(f"有日期的信息 {len(dated)} 条")
    if f.get("empty"):
        out.append("空白栏目")
    return out


def _newmedia(f: Doc) -> list[str]:
    newest = str(f.get("newest_post_at") or "")[:10]
    out = [f"最新发布 {newest}" if newest else "未找到发布"]
    out.append(f"近14天发布 {f.get('posts_in_window', 0)} 条")
    if f.get("closure_notice_on"):
        out.append(f"停更公告 {f['closure_notice_on']}")
    return out


def _basics(f: Doc) -> list[str]:
    return [
        f"网站标识码 {f.get('site_code') or '未找到'}",
        f"ICP备案 {f.get('icp') or '未找到'}",
        f"搜索 {_yes(f.get('search'))}",
        f"找错入口 {_yes(f.get('error_report'))}",
    ]


def _interaction(f: Doc) -> list[str]:
    channel = "有咨询建议渠道" if f.get("channel_present") else "无可用的咨询建议渠道"
    return [channel, f"读到留言 {f.get('messages_seen', len(f.get('messages') or []))} 条"]


def _guides(f: Doc) -> list[str]:
    if not f.get("service_offered", True):
        return ["无办事服务"]
    guides = f.get("guides") or []
    missing = sum(1 for g in guides if g.get("missing"))
    return [f"抽查指南 {len(guides)} 个", f"要素缺失 {missing} 个"]


def _content(f: Doc) -> list[str]:
    return [f"检查 {f.get('pages_checked', 0)} 页", f"发现问题表述 {len(f.get('findings') or [])} 处"]


def _links(f: Doc) -> list[str]:
    return [
        f"抓取 {f.get('pages_crawled', 0)} 页",
        f"检查链接 {f.get('links_checked', 0)} 个",
        f"死链 {f.get('dead_total', 0)} 个",
    ]


_FACTS: dict[str, Callable[[Doc], list[str]]] = {
    "availability": _availability,
    "homepage": _page,
    "columns": _page,
    "newmedia": _newmedia,
    "site_basics": _basics,
    "interaction": _interaction,
    "service_guides": _guides,
    "content": _content,
    "links": _links,
}


def key_facts(observation: Doc) -> list[str]:
    """What an observation found, in a few short phrases: the fetch (status, time, error), then the kind's facts."""
    out: list[str] = []
    if observation.get("error"):
        out.append(f"访问失败：{observation['error']}")
    elif observation.get("status") is not None:
        out.append(f"HTTP {observation['status']}")
    total = (observation.get("timing") or {}).get("total_ms")
    if total is not None:
        out.append(f"用时 {float(total) / 1000:.1f} 秒")
    facts = observation.get("facts") or {}
    describe = _FACTS.get(str(observation.get("kind", "")))
    if describe is not None and not observation.get("error"):
        out += describe(facts)
    return out


@dataclass(frozen=True)
class Version:
    version: int
    changed_by: str
    reason: str
    changed_at: Any
    changes: list[str]


def versions(history: Sequence[Doc]) -> list[Version]:
    """The registry's versions of a target, newest first, each with the fields it changed (the first: 登记)."""
    out: list[Version] = []
    previous: Doc | None = None
    for entry in sorted(history, key=lambda e: int(e.get("version", 0))):
        snapshot = entry.get("snapshot") or {}
        out.append(
            Version(
                int(entry.get("version", 0)),
                str(entry.get("changed_by", "")),
                str(entry.get("reason", "")),
                entry.get("changed_at"),
                changed_fields(previous, snapshot),
            )
        )
        previous = snapshot
    return out[::-1]


def changed_fields(before: Doc | None, after: Doc) -> list[str]:
    """「名称：旧 → 新」 for each field a version changed; ["首次登记"] for the first."""
    if before is None:
        return ["首次登记"]
    out = []
    for key in sorted(set(before) | set(after)):
        if key == "version" or before.get(key) == after.get(key):
            continue
        label = FIELD_LABELS.get(key, key)
        out.append(f"{label}：{_shown(before.get(key))} → {_shown(after.get(key))}")
    return out


def _shown(value: object) -> str:
    if value in (None, "", [], {}):
        return "（空）"
    if isinstance(value, bool):
        return _yes(value)
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"
