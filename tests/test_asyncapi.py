"""docs/asyncapi.json is the public integration surface: it must be what the code declares."""

import json
from pathlib import Path

from xunjian.asyncapi import document

COMMITTED = Path(__file__).resolve().parent.parent / "docs" / "asyncapi.json"


def test_the_committed_asyncapi_document_is_current() -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(document())), "run `make asyncapi` and commit docs/asyncapi.json"


def test_every_consumer_and_every_published_event_is_documented() -> None:
    channels = set(document()["channels"])
    assert {"PROBES.prober", "OBSERVATIONS.evaluator", "VERDICTS.notifier", "VERDICTS.reporter"} <= channels
    published = {"probe.requested", "observation.recorded", "verdict.changed", "case.opened", "case.resolved"}
    assert published <= channels
    assert {"registry.target.changed", "registry.unit.changed", "registry.period.changed"} <= channels
