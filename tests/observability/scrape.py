"""Reading a service's /metrics the way Prometheus does: by series name and labels."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, dict(s.labels), s.value) for family in text_string_to_metric_families(text) for s in family.samples
    ]


def value(text: str, name: str, **labels: str) -> float | None:
    """The one series ``name`` whose labels include ``labels``; None when there is none (the sum when several)."""
    found = [v for n, ls, v in samples(text) if n == name and labels.items() <= ls.items()]
    return sum(found) if found else None


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text
