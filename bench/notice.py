"""The notice at national scale: numbers, document and every format for 14,000 websites and 140,000 accounts.

A synthetic registry (31 provinces × ~95 counties, 14,000 websites with 2 columns each, 140,000 accounts on six
platforms), one verdict per target with 3 % of websites, 5 % of columns and 2 % of accounts unqualified — so the
attachments list ~420 websites and ~2,800 accounts, as a national 通报 of that size would. Each step runs in its own
child process (``python -m bench.notice step <name>``) so its peak RSS is its own; times are the median of repeats.
Reported, never asserted.
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from services.reporter.document import NoticeDocument, build_document
from services.reporter.profile import NoticeProfile
from services.reporter.stats import NoticeNumbers, compute_numbers
from shared.clock import CHINA_TZ
from shared.events import IndicatorResult, IndicatorStatus, Outcome, Period, Target, Unit, Verdict

WEBSITES, COLUMNS_PER_SITE, ACCOUNTS = 14_000, 2, 140_000
PLATFORMS = ("微信公众号", "微博", "抖音", "今日头条", "快手", "百家号")
STEPS = ("numbers", "document", "html", "pdf", "docx", "xlsx")
PERIOD = Period(
    period_id="2022Q3",
    window_start=datetime(2022, 7, 1, tzinfo=CHINA_TZ),
    monitoring_point=datetime(2022, 9, 29, 18, 0, tzinfo=CHINA_TZ),
    mode="census",
)
PROFILE = NoticeProfile(
    document_number="国办函〔2022〕99号",
    issuer="国务院办公厅",
    issuer_short="国务院办公厅",
    city="全国",
    recipients=["各省、自治区、直辖市人民政府", "国务院各部委、各直属机构"],
    issue_date=date(2022, 10, 7),
    deadline=date(2022, 10, 28),
)
FAILURES = {
    "website": ("W-V3", "首页长期不更新"),
    "column": ("W-V4", "栏目长期不更新"),
    "account": ("N-V2", "内容长期不更新"),
}


def registry(
    websites: int = WEBSITES, accounts: int = ACCOUNTS, seed: int = 2022
) -> tuple[list[Unit], list[Target], list[Verdict]]:
    rng = random.Random(seed)
    counties = [f"第{p + 1:02d}省第{c + 1:02d}县" for p in range(31) for c in range(95)]
    units = [Unit(unit_id=f"u{i}", name=f"{name}人民政府", county=name, order=i) for i, name in enumerate(counties)]
    targets: list[Target] = []
    for i in range(websites):
        unit = units[i % len(units)]
        targets.append(_target(f"w{i}", "website", f"{unit.county}网站{i}", unit))
        for c in range(COLUMNS_PER_SITE):
            targets.append(_target(f"w{i}c{c}", "column", f"信息公开专栏{c}", unit, site_id=f"w{i}"))
    for i in range(accounts):
        unit = units[rng.randrange(len(units))]
        targets.append(_target(f"a{i}", "account", f"政务账号{i}", unit, platform=PLATFORMS[i % len(PLATFORMS)]))
    rates = {"website": 0.03, "column": 0.05, "account": 0.02}
    verdicts = [_verdict(t, rng.random() < rates[t.type.value]) for t in targets]
    return units, targets, verdicts


def _target(target_id: str, kind: str, name: str, unit: Unit, **fields: Any) -> Target:
    return Target.model_validate(
        {"target_id": target_id, "type": kind, "name": name, "url": f"https://example.gov.cn/{target_id}/"}
        | {"unit_id": unit.unit_id, "county": unit.county, "registered_on": date(2020, 1, 1)}
        | fields
    )


def _verdict(target: Target, failed: bool) -> Verdict:
    indicator_id, label = FAILURES[target.type.value]
    indicators = [IndicatorResult(indicator_id=indicator_id, name=label, status=IndicatorStatus.failed, label=label)]
    return Verdict(
        target_id=target.target_id,
        target_type=target.type,
        unit_id=target.unit_id,
        period_id=PERIOD.period_id,
        outcome=Outcome.unqualified if failed else Outcome.qualified,
        indicators=indicators if failed else [],
        as_of=PERIOD.monitoring_point,
        revision=1,
    )


def step(name: str, repeats: int) -> dict[str, Any]:
    """One step timed in this process, after building what it needs (not timed)."""
    units, targets, verdicts = registry()
    numbers = compute_numbers(PERIOD, targets, units, verdicts)
    doc = build_document(numbers, PROFILE)
    work: Callable[[], Any] = _work(name, units, targets, verdicts, numbers, doc)
    seconds, size = [], 0
    for _ in range(repeats):
        began = time.perf_counter()
        out = work()
        seconds.append(time.perf_counter() - began)
        size = len(out) if isinstance(out, bytes | str) else 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = len(numbers.website_rows) + sum(len(g.rows) for g in numbers.account_groups)
    return {"step": name, "seconds": round(statistics.median(seconds), 3), "repeats": repeats, "bytes": size} | {
        "peak_rss_mib": round(peak),
        "targets": len(targets),
        "attachment_rows": rows,
    }


def _work(
    name: str,
    units: list[Unit],
    targets: list[Target],
    verdicts: list[Verdict],
    numbers: NoticeNumbers,
    doc: NoticeDocument,
) -> Callable[[], Any]:
    if name == "numbers":
        return lambda: compute_numbers(PERIOD, targets, units, verdicts)
    if name == "document":
        return lambda: build_document(numbers, PROFILE)
    from services.reporter.formats import render

    return lambda: render(doc, numbers, name).data


def section(repeats: int = 3) -> list[dict[str, Any]]:
    results = []
    for name in STEPS:
        runs = 1 if name == "pdf" else repeats  # the PDF takes long enough that one run is the measurement
        argv = [sys.executable, "-m", "bench.notice", "step", name, str(runs)]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=3600)
        try:
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            results.append({"step": name, "error": (out.stdout + out.stderr)[-2000:]})
    return results


def table(results: list[dict[str, Any]]) -> str:
    first = next((r for r in results if "targets" in r), {})
    lines = [
        f"Notice at national scale: {first.get('targets', '?'):,} targets ({WEBSITES:,} websites, "
        f"{WEBSITES * COLUMNS_PER_SITE:,} columns, {ACCOUNTS:,} accounts), "
        f"{first.get('attachment_rows', '?'):,} attachment rows.",
        "",
        "| step | seconds | output | peak RSS MiB |",
        "|---|---|---|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['step']} | error: {r['error'][:80]} | | |")
            continue
        size = f"{r['bytes'] / 1024:,.0f} KiB" if r["bytes"] else "—"
        lines.append(f"| {r['step']} | {r['seconds']} | {size} | {r['peak_rss_mib']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "step":
        print(json.dumps(step(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3)))
    else:
        results = section()
        print(table(results))
