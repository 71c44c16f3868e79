"""The evaluation benchmark's pure-core measurement runs and reports rates; it never asserts a speed."""

from __future__ import annotations

from bench.evaluation import pure_core, table


def test_pure_core_measurement_reports_a_positive_rate_for_every_judgement_and_for_recording() -> None:
    found = pure_core(sites=1, accounts=1, iterations=20, repeats=1)

    assert set(found["judge"]) == {"website", "column", "account"}
    for rate in found["judge"].values():
        assert rate["evidence"] > 0 and rate["calls"] > 0 and rate["per_second"] > 0 and rate["us_each"] > 0
    recording = found["contribution"]
    assert recording["observations"] > 0 and recording["per_second"] > 0
    assert set(recording["by_kind"]) >= {"availability", "homepage", "columns", "newmedia", "content"}
    # Every evidence value was judged once for the outcome tally, the benchmark's sanity check.
    assert sum(found["outcomes"].values()) == sum(rate["evidence"] for rate in found["judge"].values())


def test_the_table_lists_the_pure_core_rates_and_an_end_to_end_error_without_failing() -> None:
    core = pure_core(sites=1, accounts=1, iterations=10, repeats=1)
    text = table({"pure_core": core, "end_to_end": [{"batch_max_items": 50, "error": "nats-server not installed"}]})

    assert "| judge: website |" in text and "| recording.contribution |" in text
    assert "error: " in text and "nats-server not installed" in text
