"""Probe throughput: availability and homepage checks per second against the simulator (no NATS, no MongoDB).

The prober's own code path (Fetcher + the kind's observer) at the given concurrency, politeness off; the simulator
is one aiohttp process on the same 2 cores, so the figure is the pair's, and the simulator usually limits it.

``python -m bench.probes SIMULATOR_URL CONCURRENCY SECONDS`` prints one JSON object.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from datetime import datetime, timedelta
from typing import Any

from services.prober.app import adhoc_request
from services.prober.fetch import Fetcher
from services.prober.observers import OBSERVERS, Context
from services.prober.settings import ProberSettings
from shared.clock import CHINA_TZ
from shared.events import CheckKind
from simulator import demo_path, load_scenario

from .linkcheck import run

KINDS = (CheckKind.availability, CheckKind.homepage)


async def throughput(base: str, kind: CheckKind, concurrency: int, seconds: float) -> dict[str, Any]:
    settings = ProberSettings(per_host_limit=concurrency, send_sim_time=True)
    fetcher = Fetcher(settings, allow_networks="127.0.0.0/8", host_interval_s=0)
    sites = [w.id for w in load_scenario(demo_path()).websites]
    start_at = datetime(2022, 9, 1, 9, tzinfo=CHINA_TZ)
    numbers = itertools.count()
    done, opened, latencies = 0, 0, []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done, opened
        while time.perf_counter() < deadline:
            n = next(numbers)
            at = start_at + timedelta(minutes=n)  # a different simulated instant each time: no cache helps
            request = adhoc_request(f"{base}/sites/{sites[n % len(sites)]}/", kind, at)
            began = time.perf_counter()
            seen = await OBSERVERS[kind](Context(fetcher, request, at, at, settings))
            latencies.append(time.perf_counter() - began)
            done += 1
            opened += seen.result.opened

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await fetcher.close()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "kind": kind.value,
        "concurrency": concurrency,
        "checks": done,
        "opened": opened,
        "seconds": round(elapsed, 2),
        "checks_per_second": round(done / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1) if latencies else None,
    }


async def _all(base: str, concurrency: int, seconds: float) -> list[dict[str, Any]]:
    return [await throughput(base, kind, concurrency, seconds) for kind in KINDS]


def main() -> None:
    if len(sys.argv) != 4:
        raise SystemExit("usage: python -m bench.probes SIMULATOR_URL CONCURRENCY SECONDS")
    print(json.dumps(run(_all(sys.argv[1].rstrip("/"), int(sys.argv[2]), float(sys.argv[3])))))


if __name__ == "__main__":
    main()
