"""Evaluation throughput, pure core and end to end; results reported, never asserted.

Pure core (in this process): ``judge(NATIONAL_2019, evidence)`` for websites (12 columns, a message board, a
service-guide source), columns and new-media accounts, with a quarter's facts built directly as ``Evidence``; and
``recording.contribution`` over a quarter of observations of every kind. Median of a few repeats.

End to end (``python -m bench.evaluation e2e``, one child process per run, so that its peak RSS is the run's): an
embedded nats-server and SecantusDB, the evaluator in-process as the tests run it, the registry projected first,
then a quarter of observations for a fleet published to JetStream as fast as the client can; the clock stops when
the ``evaluator`` durable has been delivered and has acked every one of them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from services.evaluator.recording import contribution
from services.evaluator.rules import NATIONAL_2019, Evidence, judge

from .fleet import (
    PERIOD,
    Fleet,
    account_evidence,
    column_evidence,
    make_fleet,
    quarter,
    quarter_days,
    registry_events,
    site_evidence,
)

T = TypeVar("T")

# --- pure core ----------------------------------------------------------------------------------------------------


def median_rate(work: Callable[[T], object], items: Sequence[T], iterations: int, repeats: int) -> dict[str, Any]:
    """Calls per second (median of ``repeats`` runs of ``iterations`` calls, cycling over ``items``)."""
    seconds = []
    for _ in range(repeats):
        batch = list(itertools.islice(itertools.cycle(items), iterations))
        started = time.perf_counter()
        for item in batch:
            work(item)
        seconds.append(time.perf_counter() - started)
    median = statistics.median(seconds)
    return {
        "calls": iterations,
        "per_second": round(iterations / median),
        "us_each": round(median / iterations * 1e6, 1),
    }


def evidence(fleet: Fleet) -> dict[str, list[Evidence]]:
    """Each target judged at a few instants of the quarter, as the evaluator judges it after each batch."""
    instants = [PERIOD.window_start + timedelta(days=d, hours=16) for d in (9, 30, 46, 62, 88)]
    return {
        "website": [site_evidence(i, s, t) for i, s in enumerate(fleet.sites) for t in instants],
        "column": [
            column_evidence(i, k, c, t)
            for i, s in enumerate(fleet.sites)
            for k, c in enumerate(s.columns)
            for t in instants
        ],
        "account": [account_evidence(j, a, t) for j, a in enumerate(fleet.accounts) for t in instants],
    }


def pure_core(sites: int = 20, accounts: int = 40, iterations: int = 5000, repeats: int = 3) -> dict[str, Any]:
    fleet = make_fleet(sites, accounts)
    found: dict[str, Any] = {"sites": sites, "accounts": accounts, "repeats": repeats, "judge": {}}
    outcomes: Counter[str] = Counter()
    for kind, values in evidence(fleet).items():
        outcomes.update(f"{kind}:{judge(NATIONAL_2019, e).outcome.value}" for e in values)
        calls = iterations // 5 if kind == "website" else iterations  # a website's evaluation is ~100× a column's
        rate = median_rate(lambda e: judge(NATIONAL_2019, e), values, max(calls, 1), repeats)
        found["judge"][kind] = {"evidence": len(values), **rate}
    found["outcomes"] = dict(sorted(outcomes.items()))  # a sanity check: the fleet is not all of one outcome
    # A quarter of a few sites and accounts: every kind of observation, in the proportions the prober sends them.
    observations = quarter(make_fleet(min(sites, 2), min(accounts, 4)))
    by_kind: dict[str, Any] = {}
    for kind in sorted({o.kind.value for o in observations}):
        some = [o for o in observations if o.kind.value == kind]
        by_kind[kind] = median_rate(lambda o: contribution(o, PERIOD), some, max(len(some), iterations // 5), repeats)[
            "per_second"
        ]
    total = median_rate(lambda o: contribution(o, PERIOD), observations, len(observations), repeats)
    found["contribution"] = {"observations": len(observations), **total, "by_kind": by_kind}
    return found


# --- end to end (the child process) ---------------------------------------------------------------------------------


def _status_kib(field: str) -> int:
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(field + ":"))
    return int(line.split()[1])


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _until(probe: Callable[[], Awaitable[bool]], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await probe():
            return True
        await asyncio.sleep(0.05)
    return False


async def _idle(js: Any, stream: str, durable: str) -> bool:
    """Delivered everything in the stream and acked every delivery (tests/evaluator/streams.consumer_idle)."""
    info, consumer = await js.stream_info(stream), await js.consumer_info(stream, durable)
    return bool(consumer.delivered.stream_seq >= info.state.last_seq and consumer.num_ack_pending == 0)


async def _publish(js: Any, messages: Iterable[tuple[str, bytes, str]], window: int = 500) -> None:
    """Publish in windows of concurrent requests: the connection keeps their order, the stream keeps it too."""
    pending: list[Awaitable[Any]] = []
    for subject, payload, msg_id in messages:
        pending.append(js.publish(subject, payload, headers={"Nats-Msg-Id": msg_id}))
        if len(pending) >= window:
            await asyncio.gather(*pending)
            pending = []
    await asyncio.gather(*pending)


class Counters:
    """Counts the evaluator's batches and verdict writes, by wrapping two repository/service methods in place."""

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.verdicts = 0

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        from services.evaluator.repository import EvaluatorRepository
        from services.evaluator.service import EvaluatorService

        record, save = EvaluatorService.record, EvaluatorRepository.save_verdicts

        async def counted_record(service: Any, batch: Any) -> None:
            await record(service, batch)
            self.batches.append(len(batch))

        async def counted_save(repo: Any, changes: Any) -> None:
            await save(repo, changes)
            self.verdicts += len(changes)

        EvaluatorService.record = counted_record  # type: ignore[method-assign,assignment]
        EvaluatorRepository.save_verdicts = counted_save  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            EvaluatorService.record = record  # type: ignore[method-assign]
            EvaluatorRepository.save_verdicts = save  # type: ignore[method-assign]


async def end_to_end(
    sites: int, accounts: int, batch: int, days: int | None, work: Path, timeout: float
) -> dict[str, Any]:
    import nats

    from services.evaluator.app import SPEC  # after BATCH_MAX_ITEMS is set: the subscriber reads it on import
    from services.evaluator.settings import EvaluatorSettings
    from shared.runtime import create_app
    from xunjian.embedded import mongo_uri, nats_url, start_mongo, start_nats

    fleet = make_fleet(sites, accounts)
    built = time.perf_counter()
    observations = quarter(fleet, days)
    messages = [(o.subject(), o.model_dump_json().encode(), o.event_id) for o in observations]
    kinds = Counter(o.kind.value for o in observations)
    found: dict[str, Any] = {
        "sites": sites,
        "accounts": accounts,
        "targets": len(fleet.targets),
        "days": days or sum(1 for _ in quarter_days()),
        "batch_max_items": batch,
    }
    found |= {
        "observations": len(messages),
        "by_kind": dict(kinds.most_common()),
        "build_seconds": round(time.perf_counter() - built, 1),
    }
    del observations
    nats_server, mongo = start_nats(work / "nats"), start_mongo(work / "mongodb")
    counters = Counters()
    try:
        settings = EvaluatorSettings(
            nats_url=nats_url(nats_server.port),
            mongodb_uri=mongo_uri(mongo.port),
            mongodb_db_prefix="bench",
            batch_max_items=batch,
        )
        nc = await nats.connect(settings.nats_url)
        js = nc.jetstream()
        app = create_app(SPEC, settings)
        with counters.installed():
            async with app.router.lifespan_context(app):
                for event in registry_events(fleet):
                    await js.publish(
                        event.subject(), event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.event_id}
                    )
                if not await _until(lambda: _idle(js, "REGISTRY", "evaluator-registry"), 120):
                    raise TimeoutError("the registry projection did not catch up")
                found |= await _measure(js, messages, counters, [nats_server.proc.pid, mongo.proc.pid], timeout)
        await nc.close()
    finally:
        nats_server.stop()
        mongo.stop()
    return found


async def _measure(
    js: Any, messages: list[tuple[str, bytes, str]], counters: Counters, pids: list[int], timeout: float
) -> dict[str, Any]:
    rss_before = _status_kib("VmRSS")
    cpu_before = [time.process_time(), *map(_cpu_seconds, pids)]
    started = time.perf_counter()
    await _publish(js, messages)
    published = time.perf_counter() - started
    done = await _until(lambda: _idle(js, "OBSERVATIONS", "evaluator"), timeout)
    elapsed = time.perf_counter() - started
    cpu = [
        after - before
        for after, before in zip([time.process_time(), *map(_cpu_seconds, pids)], cpu_before, strict=True)
    ]
    acked = (await js.consumer_info("OBSERVATIONS", "evaluator")).ack_floor.stream_seq
    events = (await js.stream_info("VERDICTS", subjects_filter=">")).state.subjects or {}
    batches = counters.batches
    return {
        "completed": done,  # False: timed out, and the rates are of what was acked by then
        "acked": acked,
        "publish_seconds": round(published, 1),
        "seconds": round(elapsed, 1),
        "observations_per_second": round(acked / elapsed),
        "verdicts_written": counters.verdicts,
        "verdicts_per_second": round(counters.verdicts / elapsed),
        "verdict_changed": events.get("verdict.changed", 0),
        "verdict_warning": events.get("verdict.warning", 0),
        "batches": len(batches),
        "mean_batch": round(sum(batches) / len(batches), 1) if batches else 0,
        "cpu_seconds": {
            "evaluator_and_publisher": round(cpu[0], 1),
            "nats_server": round(cpu[1], 1),
            "secantusdb": round(cpu[2], 1),
        },
        # The child's RSS high-water mark (VmHWM): the evaluator, the publisher and the pre-built messages; and its
        # growth over the RSS measured after the messages were built and the evaluator started.
        "peak_rss_mib": round(_status_kib("VmHWM") / 1024),
        "rss_growth_mib": round((_status_kib("VmHWM") - rss_before) / 1024),
    }


def end_to_end_child(
    sites: int, accounts: int, batch: int, days: int | None = None, timeout: float = 300
) -> dict[str, Any]:
    """One end-to-end run in a child process; an error is reported, not raised."""
    argv = [sys.executable, "-m", "bench.evaluation", "e2e", f"--sites={sites}", f"--accounts={accounts}"]
    argv += [f"--batch={batch}", f"--timeout={timeout}"] + ([f"--days={days}"] if days else [])
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 180)
    except subprocess.TimeoutExpired:
        return {"batch_max_items": batch, "error": "the child process timed out"}
    try:
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"batch_max_items": batch, "error": (out.stdout + out.stderr)[-2000:]}
    return result


# --- the section of ``make bench`` -----------------------------------------------------------------------------------


def section(
    sites: int = 10, accounts: int = 20, batches: Sequence[int] = (200,), days: int | None = None
) -> dict[str, Any]:
    return {
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "pure_core": pure_core(),
        "end_to_end": [end_to_end_child(sites, accounts, b, days) for b in batches],
        "load_average_at_end": round(os.getloadavg()[0], 2),
    }


def table(report: dict[str, Any]) -> str:
    core = report["pure_core"]
    lines = [
        f"Pure core ({core['sites']} websites, {core['accounts']} accounts; median of {core['repeats']}):",
        "",
        "| measurement | evidence / observations | calls | per second | µs each |",
        "|---|---|---|---|---|",
    ]
    for kind, r in core["judge"].items():
        lines.append(f"| judge: {kind} | {r['evidence']} | {r['calls']:,} | {r['per_second']:,} | {r['us_each']} |")
    c = core["contribution"]
    lines.append(
        f"| recording.contribution | {c['observations']:,} | {c['calls']:,} | {c['per_second']:,} | {c['us_each']} |"
    )
    lines += [
        "",
        "| batch | sites + accounts (targets) | observations | publish s | all acked s | obs/s | verdicts written | verdicts/s "
        "| verdict.changed | verdict.warning | batches (mean) | CPU s: evaluator / SecantusDB / nats | peak RSS MiB (growth) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["end_to_end"]:
        if "error" in r:
            lines.append(f"| {r['batch_max_items']} | error: {r['error'][-100:]!r} |" + " |" * 11)
            continue
        cpu = r["cpu_seconds"]
        note = "" if r["completed"] else " (timed out)"
        lines.append(
            f"| {r['batch_max_items']} | {r['sites']} + {r['accounts']} ({r['targets']}) | {r['acked']:,}{note} | "
            f"{r['publish_seconds']} | {r['seconds']} | {r['observations_per_second']:,} | {r['verdicts_written']:,} | "
            f"{r['verdicts_per_second']:,} | {r['verdict_changed']:,} | {r['verdict_warning']:,} | "
            f"{r['batches']:,} ({r['mean_batch']}) | {cpu['evaluator_and_publisher']} / {cpu['secantusdb']} / "
            f"{cpu['nats_server']} | {r['peak_rss_mib']} ({r['rss_growth_mib']}) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.evaluation")
    sub = parser.add_subparsers(dest="command", required=True)
    e2e = sub.add_parser("e2e", help="one end-to-end run; prints one JSON object")
    e2e.add_argument("--sites", type=int, default=10)
    e2e.add_argument("--accounts", type=int, default=20)
    e2e.add_argument("--batch", type=int, default=200, help="EVALUATOR batch_max_items")
    e2e.add_argument("--days", type=int, default=None, help="only the quarter's first DAYS days")
    e2e.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for every observation acked")
    sub.add_parser("core", help="the pure-core measurement; prints one JSON object")
    args = parser.parse_args()
    if args.command == "core":
        print(json.dumps(pure_core()))
        return
    os.environ["BATCH_MAX_ITEMS"] = str(args.batch)  # the subscriber's pull size and the batcher's, alike
    with tempfile.TemporaryDirectory(prefix="xunjian-bench-eval-") as tmp:
        result = asyncio.run(end_to_end(args.sites, args.accounts, args.batch, args.days, Path(tmp), args.timeout))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
