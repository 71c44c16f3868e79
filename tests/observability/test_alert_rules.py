"""The shipped alert rules parse, name only series the services expose, and each has its runbook section."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.evaluator.metrics import VerdictMetrics
from services.notifier.metrics import DeliveryMetrics
from services.prober.metrics import ProbeMetrics
from services.registry.metrics import RoundMetrics
from shared.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "monitoring" / "xunjian-alerts.yaml"
RULE_TESTS = ROOT / "deploy" / "monitoring" / "xunjian-alerts.test.yaml"
RUNBOOK = ROOT / "docs" / "operations.md"
SERIES = re.compile(r"\bxunjian_[a-z_]+\b")


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def exposed() -> set[str]:
    """Every series name the six services can expose: the common instruments and each service's own."""
    metrics = Metrics("any")
    for instruments in (ProbeMetrics, VerdictMetrics, RoundMetrics, DeliveryMetrics):
        instruments(metrics)
    return metrics.sample_names()


def test_the_alert_rules_parse_and_name_only_series_the_services_expose() -> None:
    found = rules()
    assert len(found) >= 10
    names = exposed()
    for rule in found:
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        used = set(SERIES.findall(rule["expr"]))
        assert used <= names, (rule["alert"], used - names)
    assert {"xunjian_consumer_pending_messages", "xunjian_dead_letters", "xunjian_deliveries"} <= {
        name for rule in found for name in SERIES.findall(rule["expr"])
    }


def test_every_alert_links_to_its_own_section_of_the_runbook() -> None:
    headings = {
        line[4:].strip() for line in RUNBOOK.read_text(encoding="utf-8").splitlines() if line.startswith("### ")
    }
    for rule in rules():
        assert rule["alert"] in headings, f"docs/operations.md has no section ### {rule['alert']}"
        assert rule["annotations"]["runbook_url"] == f"docs/operations.md#{rule['alert'].lower()}"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian: prometheus) is not installed")
def test_promtool_accepts_the_rules_and_their_unit_tests_pass() -> None:
    for command in (["check", "rules", RULES.name], ["test", "rules", RULE_TESTS.name]):
        done = subprocess.run(["promtool", *command], cwd=RULES.parent, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
