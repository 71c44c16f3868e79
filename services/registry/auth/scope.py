"""Who may read, write and manage what: a pure function of a principal and the unit hierarchy.

The hierarchy is a mapping ``unit_id → parent_id`` (city → county → departments). A county administrator governs
its county unit and every unit below it; a unit user its own unit only. Every API request is checked by one call
here, so the matrix of roles × units lives in this file and its table-driven tests, nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

Hierarchy = Mapping[str, str | None]


class Role(StrEnum):
    city_admin = "city_admin"  # 市级管理员: everything
    county_admin = "county_admin"  # 县级管理员: its county unit and every unit below it
    unit_user = "unit_user"  # 单位用户: reads its own unit; acknowledges cases, submits rectification reports
    auditor = "auditor"  # 审计员: reads everything, writes nothing

    @property
    def needs_unit(self) -> bool:
        return self in (Role.county_admin, Role.unit_user)


ROLE_LABELS: dict[Role, str] = {
    Role.city_admin: "市级管理员",
    Role.county_admin: "县级管理员",
    Role.unit_user: "单位用户",
    Role.auditor: "审计员",
}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    user_id: str
    role: Role
    unit_id: str | None = None
    username: str = ""
    token_id: str = ""

    @property
    def actor(self) -> str:
        """How histories name the person (``changed_by``): the username, else the user id."""
        return self.username or self.user_id


def ancestors(unit_id: str, hierarchy: Hierarchy) -> list[str]:
    """The unit itself, then its parent, up to the root; a cycle in bad data ends the walk instead of looping."""
    chain: list[str] = []
    current: str | None = unit_id
    while current is not None and current not in chain:
        chain.append(current)
        current = hierarchy.get(current)
    return chain


def is_within(unit_id: str, root: str, hierarchy: Hierarchy) -> bool:
    """True when ``unit_id`` is ``root`` or a unit anywhere below it."""
    return root in ancestors(unit_id, hierarchy)


def sees_everything(principal: Principal) -> bool:
    """City administrators and auditors read every unit, including units not (yet) in the hierarchy."""
    return principal.role in (Role.city_admin, Role.auditor)


def _governs(principal: Principal, unit_id: str, hierarchy: Hierarchy) -> bool:
    return (
        principal.role is Role.county_admin
        and principal.unit_id is not None
        and is_within(unit_id, principal.unit_id, hierarchy)
    )


def can_read_unit(principal: Principal, unit_id: str, hierarchy: Hierarchy) -> bool:
    """May the principal read the unit and its targets, cases and history?"""
    if sees_everything(principal):
        return True
    if principal.role is Role.unit_user:
        return principal.unit_id == unit_id
    return _governs(principal, unit_id, hierarchy)


def can_write_unit(principal: Principal, unit_id: str, hierarchy: Hierarchy) -> bool:
    """May the principal change the inventory (targets, contacts) of the unit?"""
    return principal.role is Role.city_admin or _governs(principal, unit_id, hierarchy)


def can_act_on_case(principal: Principal, unit_id: str, hierarchy: Hierarchy) -> bool:
    """May the principal acknowledge a case of the unit or submit its rectification report?"""
    if principal.role is Role.unit_user:
        return principal.unit_id == unit_id
    return can_write_unit(principal, unit_id, hierarchy)


def can_write_unit_record(principal: Principal, unit_id: str, new_parent: str | None, hierarchy: Hierarchy) -> bool:
    """May the principal create or change the unit record ``unit_id`` so that its parent becomes ``new_parent``?

    A county administrator may add or change departments below its county, but may not move a unit into its county
    from elsewhere (that would widen its own scope) nor move its own county unit.
    """
    if principal.role is Role.city_admin:
        return True
    if principal.role is not Role.county_admin or principal.unit_id is None:
        return False
    if unit_id == principal.unit_id:
        return hierarchy.get(unit_id) == new_parent
    exists_elsewhere = unit_id in hierarchy and not _governs(principal, unit_id, hierarchy)
    return not exists_elsewhere and new_parent is not None and _governs(principal, new_parent, hierarchy)


def denied_inventory_units(
    principal: Principal,
    hierarchy: Hierarchy,
    unit_parents: Mapping[str, str | None],
    target_unit_ids: Iterable[str],
) -> list[str]:
    """The unit ids an inventory write touches that the principal may not write; empty means allowed.

    ``unit_parents`` are the unit records written (unit_id → new parent); ``target_unit_ids`` every unit a written
    target belongs to, before and after the change (a target moved from A to B needs both). Targets are checked
    against the hierarchy as it will be once the (permitted) unit records are stored, so a county administrator can
    import a new department and its websites in one go.
    """
    denied = {u for u, parent in unit_parents.items() if not can_write_unit_record(principal, u, parent, hierarchy)}
    merged = {**hierarchy, **unit_parents}
    denied.update(u for u in target_unit_ids if not can_write_unit(principal, u, merged))
    return sorted(denied)


def visible_units(principal: Principal, hierarchy: Hierarchy) -> frozenset[str]:
    """The units of the hierarchy the principal may read (to filter listings: ``unit_id $in``)."""
    return frozenset(u for u in hierarchy if can_read_unit(principal, u, hierarchy))


def can_manage_user(principal: Principal, role: Role, unit_id: str | None, hierarchy: Hierarchy) -> bool:
    """May the principal create, change or issue tokens for a user with this role and unit?

    Nobody grants more power than their own: a city administrator manages anyone; a county administrator manages
    unit users of its county unit or any unit below it; unit users and auditors manage no one.
    """
    if principal.role is Role.city_admin:
        return True
    return role is Role.unit_user and unit_id is not None and _governs(principal, unit_id, hierarchy)


def can_read_user(principal: Principal, user_id: str, role: Role, unit_id: str | None, hierarchy: Hierarchy) -> bool:
    """May the principal see this user's account (never its password hash or tokens' secrets)?"""
    if principal.user_id == user_id or sees_everything(principal):
        return True
    return unit_id is not None and _governs(principal, unit_id, hierarchy)


def can_read_audit(principal: Principal) -> bool:
    return principal.role in (Role.city_admin, Role.auditor)
