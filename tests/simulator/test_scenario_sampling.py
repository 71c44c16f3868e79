"""A scenario may declare a spot check under period: it reaches the registry's period and the ground truth."""

from __future__ import annotations

from shared.sampling import checked_in
from simulator.scenario import demo_path, load_scenario, parse_scenario
from simulator.truth import expected_numbers

BASE = "http://127.0.0.1:8800"
SAMPLING = {"seed": "demo", "rules": [{"types": ["account"], "group_by": [], "per_group": 2}]}


def test_the_demo_is_a_census() -> None:
    period = load_scenario(demo_path()).to_inventory(BASE).periods[0]
    assert period.mode == "census" and period.sampling is None


def test_a_period_with_sampling_becomes_a_spot_check_and_the_truth_counts_the_sample() -> None:
    demo = load_scenario(demo_path())
    raw = demo.model_dump(mode="json")
    raw["period"]["sampling"] = SAMPLING
    spot = parse_scenario(raw, "spot.yaml")
    inventory = spot.to_inventory(BASE)
    period = inventory.periods[0]
    assert period.mode == "spot_check" and period.sampling is not None and period.sampling.seed == "demo"
    drawn = {t.target_id for t in checked_in(period, inventory.targets) if t.type == "account"}
    assert len(drawn) == 2
    census, sampled = expected_numbers(demo), expected_numbers(spot)
    assert sampled.accounts_running == census.accounts_running == 35
    assert (sampled.websites_pass_rate, sampled.columns_pass_rate) == (
        census.websites_pass_rate,
        census.columns_pass_rate,
    )
    failing = {row.name for group in sampled.account_groups for row in group.rows}
    assert sampled.accounts_unqualified == len(failing) <= 2
    assert sampled.accounts_pass_rate == f"{(2 - len(failing)) * 50}.00%"
