"""The access matrix: every role against its own unit, a unit below, a sibling county and the city (pure)."""

from __future__ import annotations

import pytest

from services.registry.auth.scope import (
    Principal,
    Role,
    ancestors,
    can_act_on_case,
    can_manage_user,
    can_read_audit,
    can_read_unit,
    can_read_user,
    can_write_unit,
    can_write_unit_record,
    denied_inventory_units,
    visible_units,
)

# 临沧-like: the city, two counties with departments, and a city department.
HIERARCHY: dict[str, str | None] = {
    "city": None,
    "city-edu": "city",
    "qs": "city",
    "qs-edu": "qs",
    "qs-edu-school": "qs-edu",
    "bs": "city",
    "bs-edu": "bs",
}

CITY = Principal("u-city", Role.city_admin, "city")
COUNTY = Principal("u-county", Role.county_admin, "qs")
UNIT = Principal("u-unit", Role.unit_user, "qs-edu")
AUDITOR = Principal("u-auditor", Role.auditor)

# principal, unit, read, write (inventory), case action (acknowledge / rectification report)
MATRIX = [
    (CITY, "city", True, True, True),
    (CITY, "qs", True, True, True),
    (CITY, "qs-edu-school", True, True, True),
    (CITY, "bs-edu", True, True, True),
    (CITY, "not-yet-registered", True, True, True),
    (COUNTY, "qs", True, True, True),  # own unit
    (COUNTY, "qs-edu", True, True, True),  # a unit below
    (COUNTY, "qs-edu-school", True, True, True),  # two levels below
    (COUNTY, "bs", False, False, False),  # a sibling county
    (COUNTY, "bs-edu", False, False, False),  # below a sibling county
    (COUNTY, "city", False, False, False),  # the city above it
    (COUNTY, "city-edu", False, False, False),
    (COUNTY, "not-yet-registered", False, False, False),
    (UNIT, "qs-edu", True, False, True),  # own unit: read and act on its cases, never edit the inventory
    (UNIT, "qs-edu-school", False, False, False),  # a unit below its own
    (UNIT, "qs", False, False, False),  # its county
    (UNIT, "bs-edu", False, False, False),  # a sibling county's unit
    (UNIT, "city", False, False, False),
    (AUDITOR, "city", True, False, False),
    (AUDITOR, "qs", True, False, False),
    (AUDITOR, "qs-edu-school", True, False, False),
    (AUDITOR, "bs-edu", True, False, False),
    (AUDITOR, "not-yet-registered", True, False, False),
]


@pytest.mark.parametrize(("principal", "unit", "read", "write", "case"), MATRIX)
def test_each_role_reads_writes_and_acts_on_cases_exactly_within_its_scope(
    principal: Principal, unit: str, read: bool, write: bool, case: bool
) -> None:
    assert can_read_unit(principal, unit, HIERARCHY) is read
    assert can_write_unit(principal, unit, HIERARCHY) is write
    assert can_act_on_case(principal, unit, HIERARCHY) is case


def test_a_county_admin_without_a_unit_reaches_nothing() -> None:
    broken = Principal("u-x", Role.county_admin, None)
    assert not any(can_read_unit(broken, u, HIERARCHY) or can_write_unit(broken, u, HIERARCHY) for u in HIERARCHY)


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        (CITY, set(HIERARCHY)),
        (AUDITOR, set(HIERARCHY)),
        (COUNTY, {"qs", "qs-edu", "qs-edu-school"}),
        (UNIT, {"qs-edu"}),
    ],
)
def test_visible_units_are_the_units_each_role_may_read(principal: Principal, expected: set[str]) -> None:
    assert visible_units(principal, HIERARCHY) == expected


# principal, role of the user managed, its unit, allowed
MANAGE = [
    (CITY, Role.city_admin, None, True),
    (CITY, Role.auditor, None, True),
    (CITY, Role.county_admin, "bs", True),
    (CITY, Role.unit_user, "qs-edu", True),
    (COUNTY, Role.unit_user, "qs-edu", True),
    (COUNTY, Role.unit_user, "qs-edu-school", True),
    (COUNTY, Role.unit_user, "qs", True),  # its own county office's unit user reads less than the admin does
    (COUNTY, Role.unit_user, "bs-edu", False),  # a sibling county
    (COUNTY, Role.unit_user, "city-edu", False),
    (COUNTY, Role.unit_user, None, False),
    (COUNTY, Role.county_admin, "qs", False),  # as much power as its own: not granted
    (COUNTY, Role.county_admin, "qs-edu", False),
    (COUNTY, Role.auditor, None, False),  # reads everything: more than a county
    (COUNTY, Role.city_admin, None, False),
    (UNIT, Role.unit_user, "qs-edu", False),
    (AUDITOR, Role.unit_user, "qs-edu", False),
]


@pytest.mark.parametrize(("principal", "role", "unit", "allowed"), MANAGE)
def test_nobody_manages_a_user_with_more_power_than_their_own(
    principal: Principal, role: Role, unit: str | None, allowed: bool
) -> None:
    assert can_manage_user(principal, role, unit, HIERARCHY) is allowed


# principal, unit record, its new parent, allowed
UNIT_RECORDS = [
    (CITY, "bs-edu", "qs", True),
    (CITY, "city", None, True),
    (COUNTY, "qs-new", "qs", True),  # a new department of its county
    (COUNTY, "qs-new", "qs-edu", True),
    (COUNTY, "qs-edu", "qs", True),  # an unchanged parent: contacts and names change
    (COUNTY, "qs", "city", True),  # its own county office, not moved
    (COUNTY, "qs", "bs", False),  # its own county office moved elsewhere
    (COUNTY, "qs-edu", "bs", False),  # a department given away
    (COUNTY, "bs-edu", "qs", False),  # a sibling's department taken: it would widen its own scope
    (COUNTY, "qs-new", None, False),
    (COUNTY, "qs-new", "bs", False),
    (UNIT, "qs-edu", "qs", False),
    (AUDITOR, "qs-new", "qs", False),
]


@pytest.mark.parametrize(("principal", "unit", "parent", "allowed"), UNIT_RECORDS)
def test_unit_records_change_only_within_scope_and_never_widen_it(
    principal: Principal, unit: str, parent: str | None, allowed: bool
) -> None:
    assert can_write_unit_record(principal, unit, parent, HIERARCHY) is allowed


def test_a_county_imports_a_new_department_and_its_targets_in_one_go() -> None:
    assert denied_inventory_units(COUNTY, HIERARCHY, {"qs-new": "qs"}, ["qs-new", "qs-edu"]) == []


def test_an_import_reaching_outside_the_county_names_every_unit_refused() -> None:
    denied = denied_inventory_units(COUNTY, HIERARCHY, {"x": "bs", "qs-new": "qs"}, ["x", "qs-new", "bs-edu"])
    assert denied == ["bs-edu", "x"]


def test_auditors_and_unit_users_may_import_nothing() -> None:
    assert denied_inventory_units(AUDITOR, HIERARCHY, {}, ["qs-edu"]) == ["qs-edu"]
    assert denied_inventory_units(UNIT, HIERARCHY, {}, ["qs-edu"]) == ["qs-edu"]


@pytest.mark.parametrize(
    ("principal", "user_id", "role", "unit", "visible"),
    [
        (UNIT, "u-unit", Role.unit_user, "qs-edu", True),  # oneself
        (UNIT, "u-other", Role.unit_user, "qs-edu", False),  # a colleague: unit users manage no one
        (COUNTY, "u-other", Role.unit_user, "qs-edu-school", True),
        (COUNTY, "u-other", Role.unit_user, "bs-edu", False),
        (COUNTY, "u-other", Role.city_admin, None, False),
        (AUDITOR, "u-other", Role.county_admin, "bs", True),
        (CITY, "u-other", Role.auditor, None, True),
    ],
)
def test_users_are_visible_to_themselves_and_to_those_over_their_unit(
    principal: Principal, user_id: str, role: Role, unit: str | None, visible: bool
) -> None:
    assert can_read_user(principal, user_id, role, unit, HIERARCHY) is visible


def test_only_city_admins_and_auditors_read_the_audit_log() -> None:
    assert [can_read_audit(p) for p in (CITY, COUNTY, UNIT, AUDITOR)] == [True, False, False, True]


def test_a_cycle_in_the_hierarchy_ends_the_walk_instead_of_looping() -> None:
    assert ancestors("a", {"a": "b", "b": "a"}) == ["a", "b"]
    assert not can_write_unit(COUNTY, "a", {"a": "b", "b": "a"})
