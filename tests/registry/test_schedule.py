from datetime import date, datetime, timedelta

from services.registry.schedule import day_slots, round_plan, slots
from shared.clock import CHINA_TZ
from shared.events import CheckKind, Target, TargetStatus, TargetType

DAY = date(2022, 9, 1)


def site(**overrides: object) -> Target:
    fields: dict[str, object] = {
        "target_id": "site-1",
        "type": TargetType.website,
        "name": "青山县人民政府",
        "url": "http://127.0.0.1/sites/site-1/",
        "unit_id": "u1",
        "county": "青山县",
        "registered_on": date(2020, 1, 1),
    }
    fields.update(overrides)
    return Target.model_validate(fields)


def test_a_site_is_visited_twenty_times_a_day_with_every_visit_inside_its_own_gap() -> None:
    visits = day_slots("site-1", CheckKind.availability, DAY, 20)
    start = datetime(2022, 9, 1, tzinfo=CHINA_TZ)
    assert len(visits) == 20
    for i, at in enumerate(visits):
        offset = (at - start).total_seconds()
        assert i * 4320 <= offset < (i + 1) * 4320  # 24 h / 20 = 72 min gaps: never two visits in one gap


def test_slots_are_the_same_every_time_they_are_computed() -> None:
    assert day_slots("site-1", CheckKind.availability, DAY, 20) == day_slots("site-1", CheckKind.availability, DAY, 20)
    assert day_slots("site-1", CheckKind.availability, DAY, 20) != day_slots("site-2", CheckKind.availability, DAY, 20)


def test_daily_checks_happen_once_in_working_hours() -> None:
    (at,) = day_slots("site-1", CheckKind.homepage, DAY, 20)
    assert 8 <= at.hour < 18


def test_a_website_gets_availability_and_homepage_probes_for_every_day_of_the_span() -> None:
    start = datetime(2022, 7, 1, tzinfo=CHINA_TZ)
    end = start + timedelta(days=3)
    kinds = [kind for kind, _ in slots(site(), start, end, 20)]
    assert kinds.count(CheckKind.availability) == 60
    assert kinds.count(CheckKind.homepage) == 3


def test_a_target_is_probed_only_between_registration_and_closure() -> None:
    start = datetime(2022, 7, 1, tzinfo=CHINA_TZ)
    end = start + timedelta(days=10)
    target = site(registered_on=date(2022, 7, 3), closed_on=date(2022, 7, 6), status=TargetStatus.closed)
    days = {at.astimezone(CHINA_TZ).date() for kind, at in slots(target, start, end, 20) if kind is CheckKind.homepage}
    assert days == {date(2022, 7, 3), date(2022, 7, 4), date(2022, 7, 5)}


def test_a_suspended_target_without_a_closing_date_is_not_probed() -> None:
    start = datetime(2022, 7, 1, tzinfo=CHINA_TZ)
    assert list(slots(site(status=TargetStatus.suspended), start, start + timedelta(days=2), 20)) == []


def test_a_round_plan_runs_in_time_order_across_targets() -> None:
    start = datetime(2022, 7, 1, tzinfo=CHINA_TZ)
    plan = round_plan([site(target_id="b"), site(target_id="a")], start, start + timedelta(days=2), 20)
    instants = [at for at, _, _ in plan]
    assert instants == sorted(instants)
    assert {t.target_id for _, t, _ in plan} == {"a", "b"}
