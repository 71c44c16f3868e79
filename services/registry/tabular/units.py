"""The 「单位」 sheet: one row per contact, hierarchy checks, and each unit's 县（区） derived from its level and parent.

Several contacts: repeat the unit's row (its code alone is enough, or leave the unit cells blank or merged) with the
next contact. County: a city-level unit is 「市直」; a county-level unit names its county; a department takes its
parent's county (a department without a parent is a city department, 「市直」, unless the sheet names a county).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.events import Contact, Unit, UnitLevel

from .cells import (
    CellError,
    as_choice,
    as_credit_code,
    as_email,
    as_emails,
    as_id,
    as_int,
    as_mobile,
    as_mobiles,
    as_text,
    as_url,
)
from .choices import CITY_COUNTY, LEVELS, UNIT_STATES
from .problems import ImportProblem
from .read import Sheet
from .rows import Row, rows_of

UNIT_KEYS = (
    "name", "short_name", "code", "level", "county", "parent_id", "supervisor_id", "order", "emails", "mobiles",
    "active",
)  # fmt: skip
CONTACT_KEYS = ("contact_name", "contact_role", "contact_mobile", "contact_email", "contact_chatbot")


def _chatbot(value: object) -> str:
    url = as_url(value)
    if len(url) > 500:
        raise CellError("机器人地址过长（最多500个字符）")
    return url


_PARSERS: dict[str, Any] = {
    "name": lambda v: as_text(v, 200),
    "short_name": lambda v: as_text(v, 100),
    "code": as_credit_code,
    "level": lambda v: as_choice(v, LEVELS, "市、县、部门"),
    "county": lambda v: as_text(v, 50),
    "parent_id": as_id,
    "supervisor_id": as_id,
    "order": lambda v: as_int(v, -999999, 999999),
    "emails": as_emails,
    "mobiles": as_mobiles,
    "active": lambda v: as_choice(v, UNIT_STATES, "正常、已撤销") == "1",
}


@dataclass
class UnitDraft:
    row: Row  # the unit's first row: problems found later point at it
    unit_id: str | None
    values: dict[str, Any]
    contacts: list[Contact] = field(default_factory=list)

    @property
    def level(self) -> UnitLevel:
        return UnitLevel(self.values["level"] or UnitLevel.department)


def read_units(sheets: list[Sheet], problems: list[ImportProblem]) -> list[UnitDraft]:
    drafts: list[UnitDraft] = []
    by_id: dict[str, UnitDraft] = {}
    current: UnitDraft | None = None
    for sheet in sheets:
        for row in rows_of(sheet, problems):
            if any(row.has(k) for k in ("unit_id", *UNIT_KEYS)):
                current = _unit_row(row, by_id, drafts)
            elif current is None:
                row.problem("unit_id", "必须填写")
            contact = _contact(row)
            if contact is not None and current is not None:
                current.contacts.append(contact)
    return drafts


def _unit_row(row: Row, by_id: dict[str, UnitDraft], drafts: list[UnitDraft]) -> UnitDraft:
    unit_id = row.get("unit_id", as_id, required=True)
    values = {key: row.get(key, parse) for key, parse in _PARSERS.items()}
    first = by_id.get(unit_id) if unit_id else None
    if first is not None:
        _same_unit(row, values, first)
        return first
    if values["name"] is None and not row.has("name") and "name" in row.sheet.columns:
        row.problem("name", "必须填写")
    draft = UnitDraft(row, unit_id, values)
    drafts.append(draft)
    if unit_id:
        by_id[unit_id] = draft
    return draft


def _same_unit(row: Row, values: dict[str, Any], first: UnitDraft) -> None:
    for key in UNIT_KEYS:
        if values[key] is not None and values[key] != first.values[key]:
            place = _place(first.row, row)
            row.problem(key, f"与{place}（同一单位）填写的不一致；同一单位写多行只用于登记多个联系人")


def _place(first: Row, here: Row) -> str:
    same = first.sheet is here.sheet
    return f"第{first.number}行" if same else f"「{first.sheet.title}」第{first.number}行"


def _contact(row: Row) -> Contact | None:
    name = row.get("contact_name", lambda v: as_text(v, 50))
    role = row.get("contact_role", lambda v: as_text(v, 50))
    mobile = row.get("contact_mobile", as_mobile)
    email = row.get("contact_email", as_email)
    chatbot = row.get("contact_chatbot", _chatbot)
    others = any(row.has(k) for k in CONTACT_KEYS[1:])
    if name is None:
        if others and not row.has("contact_name"):
            row.problem("contact_name", "填写了联系方式，但没有填写联系人姓名")
        return None
    return Contact(name=name, role=role or "", email=email or "", mobile=mobile or "", chatbot=chatbot or "")


class Hierarchy:
    """Units of the file and units already registered: which exist, and the county each one belongs to."""

    def __init__(self, drafts: list[UnitDraft], known: dict[str, Unit]) -> None:
        self.drafts = {d.unit_id: d for d in drafts if d.unit_id}
        self.known = known
        self._counties: dict[str, str | None] = {}

    def exists(self, unit_id: str) -> bool:
        return unit_id in self.drafts or unit_id in self.known

    def parent_of(self, unit_id: str) -> str | None:
        if unit_id in self.drafts:
            parent: str | None = self.drafts[unit_id].values["parent_id"]
            return parent
        unit = self.known.get(unit_id)
        return unit.parent_id if unit else None

    def county(self, unit_id: str, trail: frozenset[str] = frozenset()) -> str | None:
        if unit_id in self._counties:
            return self._counties[unit_id]
        draft = self.drafts.get(unit_id)
        if draft is None:
            unit = self.known.get(unit_id)
            return unit.county if unit else None
        if unit_id in trail:
            return None
        given = draft.values["county"]
        parent = draft.values["parent_id"]
        if draft.level is UnitLevel.city:
            found = CITY_COUNTY
        elif draft.level is UnitLevel.county:
            found = given
        elif parent and parent != unit_id and self.exists(parent):
            found = self.county(parent, trail | {unit_id}) or given
        else:
            found = given or CITY_COUNTY
        self._counties[unit_id] = found
        return found


def check_units(drafts: list[UnitDraft], hierarchy: Hierarchy) -> None:
    for draft in drafts:
        if draft.unit_id is None:
            continue
        _check_county(draft, hierarchy)
        _check_reference(draft, hierarchy, "parent_id", "上级单位")
        _check_reference(draft, hierarchy, "supervisor_id", "主管单位")
        _check_cycle(draft, hierarchy)


def _check_county(draft: UnitDraft, hierarchy: Hierarchy) -> None:
    given, row = draft.values["county"], draft.row
    if draft.level is UnitLevel.city and given not in (None, CITY_COUNTY):
        row.problem("county", f"市级单位的县（区）应为“{CITY_COUNTY}”或留空")
    elif draft.level is UnitLevel.county and given is None and not row.has("county"):
        row.problem("county", "县级单位必须填写所在县（区）")
    elif draft.level is UnitLevel.county and given == CITY_COUNTY:
        row.problem("county", f"县级单位不能填写“{CITY_COUNTY}”，应填写县（区）名称")
    elif draft.level is UnitLevel.department and given is not None:
        parent = draft.values["parent_id"]
        if parent and parent != draft.unit_id and hierarchy.exists(parent):
            expected = hierarchy.county(parent)
            if expected is not None and expected != given:
                row.problem("county", f"与上级单位「{parent}」所在的“{expected}”不一致（部门随上级单位，可留空）")


def _check_reference(draft: UnitDraft, hierarchy: Hierarchy, key: str, what: str) -> None:
    ref = draft.values[key]
    if ref is None:
        return
    if ref == draft.unit_id:
        draft.row.problem(key, f"{what}不能是本单位")
    elif not hierarchy.exists(ref):
        draft.row.problem(key, missing_unit(ref))


def missing_unit(unit_id: str) -> str:
    return f"单位编码「{unit_id}」不存在（既不在本次导入的「单位」表中，也未在系统中登记）"


def _check_cycle(draft: UnitDraft, hierarchy: Hierarchy) -> None:
    assert draft.unit_id is not None
    chain = [draft.unit_id]
    parent = hierarchy.parent_of(draft.unit_id)
    while parent and parent != draft.unit_id and parent not in chain and len(chain) < 1000:
        chain.append(parent)
        parent = hierarchy.parent_of(parent)
    if parent == draft.unit_id and len(chain) > 1:
        loop = " → ".join([*chain, draft.unit_id])
        draft.row.problem("parent_id", f"上级单位形成循环（{loop}）")


def build_unit(draft: UnitDraft, hierarchy: Hierarchy) -> Unit:
    values = draft.values
    assert draft.unit_id is not None
    return Unit(
        unit_id=draft.unit_id,
        name=values["name"],
        short_name=values["short_name"] or "",
        code=values["code"] or "",
        level=draft.level,
        county=hierarchy.county(draft.unit_id) or CITY_COUNTY,
        parent_id=values["parent_id"],
        supervisor_id=values["supervisor_id"],
        order=values["order"] or 0,
        emails=values["emails"] or [],
        mobiles=values["mobiles"] or [],
        contacts=draft.contacts,
        active=values["active"] if values["active"] is not None else True,
    )
