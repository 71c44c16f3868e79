"""The console's pages at city scale on the embedded stack: each page's response time; reported, never asserted.

The city: the evaluation benchmark's fleet (bench/fleet.py) laid out as a prefecture — 10 counties and 市直, 70
units, 60 websites with 12 columns, a message board and a guide source each, and 300 new-media accounts on five
platforms: 1,200 targets, of which 1,080 are counted in the notice (websites, columns, accounts). The
inventory is imported into the registry over HTTP; the quarter's first ``days`` days of observations are published
to OBSERVATIONS, so verdicts, early warnings, cases and the reporter's projections are the services' own. Then the
city administrator signs in to the console and every page is fetched ``requests`` times in turn (after two warm-up
requests each): p50, p95 and max milliseconds, as a browser would wait for the HTML (no static files).

``python -m bench.console run --requests 30 --days 7`` runs it alone (a child process of ``make bench``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from shared.events import Inventory, Target, TargetType, Unit, UnitLevel
from xunjian.embedded import free_port
from xunjian.quiet import dead_count, wait_quiet
from xunjian.stack import Child, Stack

from .fleet import PERIOD, Fleet, make_fleet, quarter

COUNTIES = ("翠湖区", "松溪县", "梅岭县", "白沙自治县", "青山县", "石门县", "江川区", "云峰县", "临河县", "北岭自治县")
DEPARTMENTS = ("人民政府", "教育体育局", "卫生健康局", "人力资源和社会保障局", "农业农村局")
CITY_DEPARTMENTS = 20
PLATFORMS = ("微信公众号", "微博", "抖音", "今日头条", "快手")
PASSWORD = "bench-console-password-2022"


def units() -> list[Unit]:
    found = [
        Unit(
            unit_id=f"c{k}-{d}",
            name=f"{county}{name}",
            county=county,
            order=10 * (k + 1) + d,
            level=UnitLevel.county if d == 0 else UnitLevel.department,
        )
        for k, county in enumerate(COUNTIES)
        for d, name in enumerate(DEPARTMENTS)
    ]
    found += [
        Unit(unit_id=f"city-{d}", name=f"市直部门{d:02d}", county="市直", order=200 + d)
        for d in range(CITY_DEPARTMENTS)
    ]
    return found


def city(sites: int = 60, accounts: int = 300) -> tuple[Fleet, Inventory]:
    """The fleet (for its observations) and the same targets placed in the city's units (for the registry)."""
    fleet = make_fleet(sites, accounts)
    all_units = units()

    def placed(target: Target, unit: Unit, **more: Any) -> Target:
        return target.model_copy(update={"unit_id": unit.unit_id, "county": unit.county, **more})

    targets: list[Target] = []
    for i, site in enumerate(fleet.sites):
        unit = all_units[i % len(all_units)]
        targets += [placed(t, unit) for t in site.targets]
    for j, account in enumerate(fleet.accounts):
        unit = all_units[(3 * j) % len(all_units)]
        targets.append(placed(account, unit, platform=PLATFORMS[j % len(PLATFORMS)]))
    return fleet, Inventory(units=all_units, targets=targets, periods=[PERIOD])


# --- the stack and the data ----------------------------------------------------------------------------------------


def start_stack(work: Path) -> Stack:
    stack = Stack(work / "data", work / "logs", env={"REGISTRY_BOOTSTRAP_ADMIN_PASSWORD": PASSWORD})
    stack.start_servers()
    smtp = free_port(8025)
    argv = [sys.executable, "-m", "xunjian.mailsink", "--dir", str(work / "mail"), "--host", "127.0.0.1"]
    stack.add(Child("mailsink", [*argv, "--port", str(smtp)], smtp, {}, ready_path=None))
    stack.env.update({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp)})
    stack.add_services()  # the five services and the console
    stack.start()
    return stack


async def load(stack: Stack, fleet: Fleet, inventory: Inventory, days: int) -> dict[str, Any]:
    import nats

    from bench.evaluation import _publish

    auth = {"Authorization": f"Bearer {stack.admin_token}"}
    registry = stack.children["registry"].url
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=120, headers=auth) as http:
        (await http.post(f"{registry}/inventory", json=inventory.model_dump(mode="json"))).raise_for_status()
    await wait_quiet(stack.nats_url, timeout=300)
    observations = quarter(fleet, days)
    nc = await nats.connect(stack.nats_url)
    try:
        await _publish(nc.jetstream(), [(o.subject(), o.model_dump_json().encode(), o.event_id) for o in observations])
    finally:
        await nc.close()
    await wait_quiet(stack.nats_url, timeout=1800, settle_s=3.0)
    return {
        "units": len(inventory.units),
        "targets": len(inventory.targets),
        "counted_targets": sum(
            t.type in (TargetType.website, TargetType.column, TargetType.account) for t in inventory.targets
        ),
        "days": days,
        "observations": len(observations),
        "load_seconds": round(time.perf_counter() - started, 1),
        "dead_letters": await dead_count(stack.nats_url),
    }


# --- the console -------------------------------------------------------------------------------------------------


def sign_in(console: str, username: str, password: str) -> httpx.Client:
    http = httpx.Client(base_url=console, timeout=60, follow_redirects=False)
    form = http.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert token, "the login form carries login_csrf"
    fields = {"username": username, "password": password, "login_csrf": token.group(1), "next": "/"}
    answer = http.post("/login", data=fields)
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in refused: {answer.status_code} {answer.text[:200]}")
    return http


def pages(stack: Stack) -> tuple[dict[str, str], int]:
    """Every console page with real ids (a failing website, else any; the first case), and how many cases there are."""
    auth = {"Authorization": f"Bearer {stack.admin_token}"}
    evaluator, notifier = stack.children["evaluator"].url, stack.children["notifier"].url
    verdicts = httpx.get(f"{evaluator}/verdicts", params={"period_id": PERIOD.period_id}, headers=auth, timeout=60)
    found = verdicts.json()
    websites = [v for v in found if v["target_type"] == "website"]
    failing = [v for v in websites if v["outcome"] == "unqualified"]
    target = (failing or websites or found)[0]["target_id"]
    cases = httpx.get(f"{notifier}/cases", params={"period_id": PERIOD.period_id}, headers=auth, timeout=60).json()
    listed = {
        "overview": "/",
        "inventory": "/inventory",
        "target": f"/targets/{target}",
        "cases": "/cases",
        "reports": "/reports",
    }
    if cases:
        listed["case"] = f"/cases/{cases[0]['case_id']}"
    return listed, len(cases)


def timed(http: httpx.Client, path: str, requests: int) -> dict[str, Any]:
    for _ in range(2):
        http.get(path)
    seconds: list[float] = []
    statuses: set[int] = set()
    size = 0
    for _ in range(requests):
        began = time.perf_counter()
        answer = http.get(path)
        seconds.append(time.perf_counter() - began)
        statuses.add(answer.status_code)
        size = len(answer.content)
    return {"path": path, "requests": requests, "statuses": sorted(statuses), "bytes": size, **percentiles(seconds)}


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, max(0, round(0.95 * len(ms)) - 1))]
    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(p95, 1), "max_ms": round(ms[-1], 1)}


def run(sites: int, accounts: int, days: int, requests: int) -> dict[str, Any]:
    fleet, inventory = city(sites, accounts)
    with tempfile.TemporaryDirectory(prefix="xunjian-bench-console-") as tmp:
        stack = start_stack(Path(tmp))
        try:
            found: dict[str, Any] = {"city": asyncio.run(load(stack, fleet, inventory, days))}
            listed, found["cases"] = pages(stack)
            http = sign_in(stack.children["console"].url, "admin", PASSWORD)
            found["load_average_at_start"] = round(os.getloadavg()[0], 2)
            try:
                found["pages"] = {name: timed(http, path, requests) for name, path in listed.items()}
            finally:
                http.close()
            found["load_average_at_end"] = round(os.getloadavg()[0], 2)
        finally:
            stack.stop()
    return found


# --- the section of ``make bench`` ---------------------------------------------------------------------------------


def section(sites: int = 60, accounts: int = 300, days: int = 7, requests: int = 30) -> dict[str, Any]:
    """One run in a child process, so that the stack's start and stop leave ``make bench`` as it was."""
    argv = [sys.executable, "-m", "bench.console", "run", f"--sites={sites}", f"--accounts={accounts}"]
    argv += [f"--days={days}", f"--requests={requests}"]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=3600)
    except subprocess.TimeoutExpired:
        return {"error": "the child process timed out"}
    try:
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": (out.stdout + out.stderr)[-2000:]}
    return result


def table(report: dict[str, Any]) -> str:
    if "error" in report:
        return f"Console pages: error: {report['error'][-300:]!r}"
    c = report["city"]
    lines = [
        f"Console pages at city scale: {c['targets']:,} targets ({c['counted_targets']:,} counted) of {c['units']} "
        f"units, {c['observations']:,} observations ({c['days']} days) → {report.get('cases', 0)} cases; "
        f"signed in as the city administrator; load average {report.get('load_average_at_start', '—')} → "
        f"{report.get('load_average_at_end', '—')} while timing.",
        "",
        "| page | path | requests | status | KiB | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in report["pages"].items():
        statuses = ",".join(str(s) for s in r["statuses"])
        lines.append(
            f"| {name} | `{r['path']}` | {r['requests']} | {statuses} | {r['bytes'] / 1024:.0f} | {r['p50_ms']} | "
            f"{r['p95_ms']} | {r['max_ms']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.console")
    parser.add_argument("mode", choices=["run"])
    parser.add_argument("--sites", type=int, default=60)
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    print(json.dumps(run(args.sites, args.accounts, args.days, args.requests), ensure_ascii=False))


if __name__ == "__main__":
    main()
