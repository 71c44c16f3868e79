"""The notice benchmark's synthetic registry and its table: small sizes, checked for what the benchmark relies on."""

from __future__ import annotations

from typing import Any

from bench.notice import PERIOD, PROFILE, registry, table
from services.reporter.document import build_document
from services.reporter.stats import compute_numbers


def test_the_synthetic_registry_gives_a_notice_with_both_attachments_filled() -> None:
    units, targets, verdicts = registry(websites=600, accounts=3_000)
    numbers = compute_numbers(PERIOD, targets, units, verdicts)
    assert numbers.websites.running == 600 and numbers.accounts.running == 3_000
    assert 0 < numbers.websites.unqualified < 60 and numbers.account_groups
    doc = build_document(numbers, PROFILE)
    assert len(doc.attachments[1].groups) == 6  # every platform of the fleet has a failing account


def test_the_table_reports_each_step_and_an_error_without_failing() -> None:
    results: list[dict[str, Any]] = [
        {"step": "numbers", "seconds": 1.5, "bytes": 0, "peak_rss_mib": 600, "targets": 182_000, "attachment_rows": 3},
        {"step": "pdf", "error": "weasyprint: no fonts"},
    ]
    text = table(results)
    assert "| numbers | 1.5 | — | 600 |" in text and "error: weasyprint: no fonts" in text
    assert "182,000 targets" in text
