"""The target sheets (网站, 栏目, 留言板, 办事指南, 政务新媒体): rows to drafts, cross-row checks, drafts to Targets."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from shared.events import Target, TargetStatus, TargetType

from .cells import (
    Cell,
    CellError,
    as_bool,
    as_choice,
    as_code,
    as_date,
    as_id,
    as_int,
    as_profile,
    as_site_code,
    as_text,
    as_url,
    url_key,
)
from .choices import ACCOUNT_STATUSES, FEED_KINDS, PLATFORMS, SITE_KINDS, SITE_STATUSES
from .ids import derived_target_id
from .problems import ImportProblem
from .read import Sheet
from .rows import Row, rows_of
from .units import Hierarchy, missing_unit

KINDS = {
    "website": TargetType.website,
    "column": TargetType.column,
    "message_board": TargetType.message_board,
    "service_guide": TargetType.service_guide,
    "account": TargetType.account,
}
CHILDREN = (TargetType.column, TargetType.message_board, TargetType.service_guide)


def _text(limit: int) -> Callable[[Cell], str]:
    return lambda v: as_text(v, limit)


def _site_text(value: Cell) -> str:
    """所属网站: an address (compared by url_key) or a code or id, typed with full-width characters or not."""
    return as_code(value)


def _presence(value: Cell) -> bool:
    """对外服务职能: 有/无 as offices write it, 是/否 too."""
    try:
        return as_bool(value)
    except CellError:
        raise CellError("应填写“有”或“无”（也认“是”或“否”），留空为有") from None


_COMMON: dict[str, tuple[Callable[[Cell], Any], bool]] = {
    "target_id": (as_id, False),
    "name": (_text(200), True),
    "url": (as_url, True),
    "profile": (as_profile, False),
    "closed_on": (as_date, False),
}
_SITE_STATUS = (lambda v: as_choice(v, SITE_STATUSES, "运行、临时关停、迁移、关停"), False)
_EXTRA: dict[TargetType, dict[str, tuple[Callable[[Cell], Any], bool]]] = {
    TargetType.website: {
        "site_code": (as_site_code, False),
        "site_kind": (lambda v: as_choice(v, SITE_KINDS, "门户、部门"), True),
        "unit_id": (as_id, True),
        "status": _SITE_STATUS,
        "registered_on": (as_date, True),
        "has_message_board": (as_bool, False),
        "public_services": (_presence, False),
    },
    TargetType.column: {
        "site": (_site_text, True),
        "unit_id": (as_id, False),
        "column_type": (_text(50), False),
        "update_period_days": (lambda v: as_int(v, 1, 3650, "天"), False),
        "first_level": (as_bool, False),
        "status": _SITE_STATUS,
        "registered_on": (as_date, False),
    },
    TargetType.message_board: {
        "site": (_site_text, True),
        "unit_id": (as_id, False),
        "reply_days": (lambda v: as_int(v, 1, 365, "工作日"), False),
        "status": _SITE_STATUS,
        "registered_on": (as_date, False),
    },
    TargetType.service_guide: {
        "site": (_site_text, False),
        "unit_id": (as_id, False),
        "update_period_days": (lambda v: as_int(v, 1, 3650, "天"), False),
        "status": _SITE_STATUS,
        "registered_on": (as_date, False),
    },
    TargetType.account: {
        "url": (as_url, False),
        "platform": (
            lambda v: as_choice(v, PLATFORMS, "、".join(["微信公众号", "微博", "抖音", "快手", "头条号", "…"])),
            True,
        ),
        "account_id": (_text(100), False),
        "feed_kind": (lambda v: as_choice(v, FEED_KINDS, "RSS、JSON、平台导出"), False),
        "unit_id": (as_id, True),
        "status": (lambda v: as_choice(v, ACCOUNT_STATUSES, "运行、已发停更公告、已注销"), False),
        "registered_on": (as_date, True),
        "closure_required_by": (as_date, False),
    },
}


@dataclass
class TargetDraft:
    kind: TargetType
    row: Row
    values: dict[str, Any]
    target_id: str | None = None
    id_source: str = "target_id"  # the column a derived id comes from, to point at on a duplicate
    site: Target | TargetDraft | None = None  # a child's website


def read_targets(sheets: Iterable[Sheet], problems: list[ImportProblem]) -> list[TargetDraft]:
    drafts = []
    for sheet in sheets:
        kind = KINDS[sheet.spec.kind]
        parsers = _COMMON | _EXTRA[kind]
        for row in rows_of(sheet, problems):
            values = {key: row.get(key, parse, required) for key, (parse, required) in parsers.items()}
            drafts.append(TargetDraft(kind, row, values))
    return drafts


class Known:
    """Targets already registered, to reuse their ids for rows without 对象编号 and to resolve 所属网站."""

    def __init__(self, targets: Iterable[Target]) -> None:
        self.by_key: dict[tuple[Any, ...], list[Target]] = {}
        for target in targets:
            for key in identity_keys(target.type, target.url, target.site_code, target.platform, target.account_id):
                self.by_key.setdefault(key, []).append(target)
            self.by_key.setdefault((target.type, "id", target.target_id), []).append(target)

    def match(self, keys: list[tuple[Any, ...]]) -> str | None:
        ids = {t.target_id for key in keys for t in self.by_key.get(key, [])}
        return ids.pop() if len(ids) == 1 else None


def identity_keys(
    kind: TargetType, url: str | None, site_code: str | None, platform: str | None, account_id: str | None
) -> list[tuple[Any, ...]]:
    keys: list[tuple[Any, ...]] = []
    if kind is TargetType.website and site_code:
        keys.append((kind, "code", site_code))
    if kind is TargetType.account and platform and account_id:
        keys.append((kind, "account", platform, account_id))
    if url:
        keys.append((kind, "url", url_key(url)))
    return keys


def _keys(draft: TargetDraft) -> list[tuple[Any, ...]]:
    v = draft.values
    return identity_keys(draft.kind, v["url"], v.get("site_code"), v.get("platform"), v.get("account_id"))


def assign_ids(drafts: list[TargetDraft], known: Known) -> None:
    for draft in drafts:
        v = draft.values
        if v["target_id"]:
            draft.target_id = v["target_id"]
        elif not draft.row.has("target_id"):
            draft.target_id = known.match(_keys(draft)) or derived_target_id(
                draft.kind, v["url"], v.get("site_code"), v.get("platform"), v.get("account_id")
            )
            draft.id_source = _id_source(draft)


def _id_source(draft: TargetDraft) -> str:
    if draft.kind is TargetType.website and draft.values["site_code"]:
        return "site_code"
    if draft.kind is TargetType.account and draft.values["account_id"] and draft.values["platform"]:
        return "account_id"
    return "url"


def check_duplicates(drafts: list[TargetDraft]) -> None:
    seen: dict[tuple[Any, ...], TargetDraft] = {}
    for draft in drafts:
        reported = False
        for key in _keys(draft):
            first = seen.setdefault(key, draft)
            if first is not draft:
                column = {"code": "site_code", "account": "account_id", "url": "url"}[key[1]]
                draft.row.problem(column, f"与{_place(first.row, draft.row)}重复")
                reported = True
                break
        if draft.target_id is None:
            continue
        first = seen.setdefault(("id", draft.target_id), draft)
        if first is not draft and not reported:
            what = "" if draft.id_source == "target_id" else f"（自动生成的对象编号「{draft.target_id}」）"
            draft.row.problem(draft.id_source, f"与{_place(first.row, draft.row)}重复{what}")


def _place(first: Row, here: Row) -> str:
    if first.sheet is here.sheet:
        return f"第{first.number}行"
    return f"「{first.sheet.title}」第{first.number}行"


class Sites:
    """The websites a child row may name in 所属网站: by 网站标识码, address or 对象编号, file rows first."""

    def __init__(self, drafts: list[TargetDraft], known: Iterable[Target]) -> None:
        self.file: dict[str, list[TargetDraft]] = {}
        self.known: dict[str, list[Target]] = {}
        websites = [d for d in drafts if d.kind is TargetType.website]
        in_file = {d.target_id for d in websites}
        for draft in websites:
            for key in self._keys(draft.target_id, draft.values["site_code"], draft.values["url"]):
                self.file.setdefault(key, []).append(draft)
        for target in known:
            if target.type is TargetType.website and target.target_id not in in_file:
                for key in self._keys(target.target_id, target.site_code, target.url):
                    self.known.setdefault(key, []).append(target)

    @staticmethod
    def _keys(target_id: str | None, code: str | None, url: str | None) -> list[str]:
        keys = [f"id:{target_id}"] if target_id else []
        keys += [f"code:{code}"] if code else []
        keys += [f"url:{url_key(url)}"] if url else []
        return keys

    def find(self, text: str) -> list[Target | TargetDraft]:
        keys = [f"id:{text}", f"code:{text}"]
        if text.lower().startswith(("http://", "https://")):
            try:
                keys = [f"url:{url_key(text)}"]
            except ValueError:  # not a usable address: it matches nothing
                keys = []
        in_file = {id(d): d for k in keys for d in self.file.get(k, [])}
        if in_file:
            return list(in_file.values())
        return list({t.target_id: t for k in keys for t in self.known.get(k, [])}.values())


def check_targets(drafts: list[TargetDraft], hierarchy: Hierarchy, sites: Sites) -> None:
    for draft in drafts:
        if draft.kind in CHILDREN:
            _resolve_site(draft, sites)
        _check_unit(draft, hierarchy)
        _check_lifecycle(draft)
        if draft.kind is TargetType.account:
            _check_feed(draft)


def _resolve_site(draft: TargetDraft, sites: Sites) -> None:
    text = draft.values["site"]
    if text is None:
        if draft.kind is TargetType.service_guide:
            for key in ("unit_id", "registered_on"):
                if draft.values[key] is None and not draft.row.has(key):
                    draft.row.problem(key, "不填「所属网站」时必须填写")
        return
    found = sites.find(text)
    if not found:
        draft.row.problem(
            "site",
            f"找不到网站「{text}」（可填写网站标识码、网站地址或对象编号，网站须在「网站」表中或已在系统中登记）",
        )
    elif len(found) > 1:
        draft.row.problem("site", f"「{text}」对应多个网站，请改填网站的对象编号")
    else:
        draft.site = found[0]
        _inherit(draft, found[0])


def _site_value(site: Target | TargetDraft, key: str) -> Any:
    if isinstance(site, Target):
        return getattr(site, key)
    return site.values.get(key)


def _inherit(draft: TargetDraft, site: Target | TargetDraft) -> None:
    v = draft.values
    explicit_status = v["status"] is not None or draft.row.has("status")
    for key in ("unit_id", "status", "registered_on"):
        if v[key] is None and not draft.row.has(key):
            v[key] = _site_value(site, key)
    if not explicit_status and v["closed_on"] is None and not draft.row.has("closed_on"):
        v["closed_on"] = _site_value(site, "closed_on")


def _check_unit(draft: TargetDraft, hierarchy: Hierarchy) -> None:
    unit_id = draft.values["unit_id"]
    if unit_id is not None and not hierarchy.exists(unit_id) and draft.row.has("unit_id"):
        draft.row.problem("unit_id", missing_unit(unit_id))


def _check_lifecycle(draft: TargetDraft) -> None:
    v, row = draft.values, draft.row
    if v["status"] is TargetStatus.closed and v["closed_on"] is None and not row.has("closed_on"):
        what = "注销日期" if draft.kind is TargetType.account else "关停日期"
        state = "已注销" if draft.kind is TargetType.account else "关停"
        if "closed_on" in row.sheet.columns or draft.kind in (TargetType.website, TargetType.account):
            row.problem("closed_on", f"状态为“{state}”时必须填写{what}")
    registered, closed = v["registered_on"], v["closed_on"]
    if registered and closed and closed < registered:
        if row.has("closed_on"):
            row.problem("closed_on", f"早于登记日期（{registered.isoformat()}）")
        elif row.has("registered_on"):
            row.problem("registered_on", f"晚于关停日期（{closed.isoformat()}）")
    required_by = v.get("closure_required_by")
    if registered and required_by and required_by < registered:
        row.problem("closure_required_by", f"早于登记日期（{registered.isoformat()}）")


def _check_feed(draft: TargetDraft) -> None:
    v, row = draft.values, draft.row
    if v["url"] is None and not row.has("url") and v["feed_kind"] != "export":
        row.problem("url", "必须填写（数据来源为“平台导出”的账号可以不填）")
    if v["url"] is None and v["feed_kind"] == "export" and not v["account_id"] and not row.has("account_id"):
        row.problem("account_id", "数据来源为“平台导出”且没有订阅地址时，必须填写账号ID")


def build_target(draft: TargetDraft, hierarchy: Hierarchy) -> Target:
    v = draft.values
    assert draft.target_id is not None
    site = draft.site
    return Target(
        target_id=draft.target_id,
        type=draft.kind,
        name=v["name"],
        url=v["url"] or "",
        unit_id=v["unit_id"],
        county=hierarchy.county(v["unit_id"]) or "",
        site_id=None if site is None else site.target_id,
        site_code=v.get("site_code") or (_site_value(site, "site_code") or "" if site is not None else ""),
        site_kind=v.get("site_kind") or "",
        platform=v.get("platform") or "",
        account_id=v.get("account_id") or "",
        feed_kind=v.get("feed_kind") or "",
        column_type=v.get("column_type") or "",
        first_level=bool(v.get("first_level")),
        update_period_days=v.get("update_period_days"),
        reply_days=v.get("reply_days"),
        profile=v["profile"] or {},
        has_message_board=bool(v.get("has_message_board")),
        public_services=v.get("public_services") is not False,  # blank: 有 (most units serve the public)
        status=v["status"] or TargetStatus.running,
        registered_on=v["registered_on"],
        closed_on=v["closed_on"],
        closure_required_by=v.get("closure_required_by"),
    )
