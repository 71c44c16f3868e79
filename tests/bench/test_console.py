"""The console benchmark's city and its table: small checks of what the benchmark relies on (it runs in make bench)."""

from __future__ import annotations

from collections import Counter

from bench.console import COUNTIES, PLATFORMS, city, percentiles, table
from shared.events import TargetType


def test_the_city_places_every_target_in_a_known_unit_of_its_county_with_accounts_on_every_platform() -> None:
    fleet, inventory = city(sites=60, accounts=300)
    units = {u.unit_id: u for u in inventory.units}
    assert len(inventory.targets) == len(fleet.targets) == 1_200
    assert all(t.unit_id in units and units[t.unit_id].county == t.county for t in inventory.targets)
    counted = [t for t in inventory.targets if t.type in (TargetType.website, TargetType.column, TargetType.account)]
    assert len(counted) == 1_080
    assert {t.county for t in inventory.targets} == {*COUNTIES, "市直"}
    assert Counter(t.platform for t in inventory.targets if t.type is TargetType.account) == dict.fromkeys(
        PLATFORMS, 60
    )
    # A site's columns, board and guides belong where the site does: the evaluator gathers them under it.
    site = next(t for t in inventory.targets if t.target_id == "site007")
    parts = [t for t in inventory.targets if t.site_id == "site007"]
    assert len(parts) == 14 and {(t.unit_id, t.county) for t in parts} == {(site.unit_id, site.county)}


def test_percentiles_are_of_milliseconds_and_the_table_shows_each_page_or_the_error() -> None:
    assert percentiles([0.01] * 19 + [0.5]) == {"p50_ms": 10.0, "p95_ms": 10.0, "max_ms": 500.0}
    report = {
        "city": {"targets": 1200, "counted_targets": 1080, "units": 70, "observations": 11000, "days": 7},
        "cases": 40,
        "pages": {"overview": {"path": "/", "requests": 30, "statuses": [200], "bytes": 20480} | percentiles([0.1])},
    }
    text = table(report)
    assert (
        "1,200 targets (1,080 counted)" in text and "| overview | `/` | 30 | 200 | 20 | 100.0 | 100.0 | 100.0 |" in text
    )
    assert "error: 'stack did not start'" in table({"error": "stack did not start"})
