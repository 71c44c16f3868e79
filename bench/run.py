"""``make bench``: the link checkers side by side, probe throughput, evaluation throughput, the notice at national
scale and the console's pages at city scale; results reported, never asserted.

Writes bench/results/<date>.json (<date>-<sections>.json when only some sections run, e.g.
``python -m bench.run --only evaluation``) and prints Markdown tables for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from xunjian.embedded import free_port

from . import console, evaluation, linkcheck, notice
from .sitegen import Nginx, generate

RESULTS = Path(__file__).parent / "results"
SECTIONS = ("links", "probes", "evaluation", "notice", "console")


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "event_loop": linkcheck.loop_name(),
        "load_average_at_start": os.getloadavg()[0],
    }


def page_urls(root: Path, base: str) -> Path:
    """Every page of the site as a URL, one a line: lychee's input, since it does not crawl."""
    urls = root / "urls.txt"
    site = root / "site"
    with urls.open("w") as out:
        for page in sorted(site.rglob("*.html")):
            path = page.relative_to(site).as_posix()
            out.write(f"{base}/{path.removesuffix('index.html')}\n")
    return urls


def links(root: Path, concurrency: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    os.chmod(root, 0o755)  # nginx's workers and linkchecker drop root for nobody, who must read the tree
    nginx = Nginx(root, free_port(), free_port())
    shape = generate(root, f"http://127.0.0.1:{nginx.ext_port}")
    nginx.start()
    try:
        urls = page_urls(root, nginx.site)
        home = nginx.site + "/"
        # Quickest first: getrusage(RUSAGE_CHILDREN) gives the peak over all children so far.
        runs = [linkcheck.xunjian(home, concurrency), linkcheck.lychee(urls, concurrency)]
        runs.append(linkcheck.linkchecker(home, concurrency, root))
    finally:
        nginx.stop()
    site = {"pages": shape.pages, "links": shape.links, "unique_links": shape.unique_links, "dead": shape.dead_unique}
    return site, runs


def probes(concurrency: int, seconds: float) -> list[dict[str, Any]]:
    port = free_port()
    sim = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", str(port), "--log-format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert sim.stdout is not None
        sim.stdout.readline()  # "simulator listening on …"
        base = f"http://127.0.0.1:{port}"
        argv = [sys.executable, "-m", "bench.probes", base, str(concurrency), str(seconds)]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds * 4 + 60)
        try:
            result: list[dict[str, Any]] = json.loads(out.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return [{"error": (out.stdout + out.stderr)[-2000:]}]
        return result
    finally:
        sim.terminate()
        sim.wait(timeout=10)


def table(report: dict[str, Any]) -> str:
    parts = [links_table(report)] if "links" in report else []
    parts += [probes_table(report)] if "probes" in report else []
    parts += [evaluation.table(report["evaluation"])] if "evaluation" in report else []
    parts += [notice.table(report["notice"])] if "notice" in report else []
    parts += [console.table(report["console"])] if "console" in report else []
    return "\n\n".join(parts)


def links_table(report: dict[str, Any]) -> str:
    site = report["site"]
    lines = [
        f"Site: {site['pages']:,} pages, {site['links']:,} links, {site['unique_links']:,} unique, "
        f"{site['dead']} dead (unique); concurrency {report['concurrency']}, politeness off.",
        "",
        "| checker | version | seconds (wall) | links (as counted) | unique | dead (as counted) | peak RSS MiB |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in report["links"]:
        if "skipped" in run:
            lines.append(f"| {run['tool']} | — | not run: {run['skipped']} | | | | |")
            continue
        seconds = f"{run.get('wall_seconds')}" + (f" ({run['seconds']} in-process)" if "seconds" in run else "")
        lines.append(
            f"| {run['tool']} | {run.get('version', 'this tree')} | {seconds} | {run.get('links', '—')} | "
            f"{run.get('unique_links', '—')} | {run.get('dead', '—')} | {run.get('peak_rss_mib', '—')} |"
        )
    return "\n".join(lines)


def probes_table(report: dict[str, Any]) -> str:
    lines = ["| probe kind | concurrency | checks | checks/s | p50 ms | p99 ms |", "|---|---|---|---|---|---|"]
    for p in report["probes"]:
        if "error" in p:
            lines.append(f"| error | | | | | {p['error'][:80]} |")
            continue
        lines.append(
            f"| {p['kind']} | {p['concurrency']} | {p['checks']} | {p['checks_per_second']} | "
            f"{p['p50_ms']} | {p['p99_ms']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run only this section (repeatable)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--probe-seconds", type=float, default=10.0)
    parser.add_argument("--eval-sites", type=int, default=10, help="websites (each with 14 parts) end to end")
    parser.add_argument("--eval-accounts", type=int, default=20, help="new-media accounts end to end")
    parser.add_argument("--eval-days", type=int, default=None, help="only the quarter's first days end to end")
    parser.add_argument(
        "--eval-batches", default="200", help="EVALUATOR batch_max_items, comma-separated (200,50 compares)"
    )
    parser.add_argument("--console-days", type=int, default=7, help="days of observations behind the console's pages")
    parser.add_argument("--console-requests", type=int, default=30, help="requests per console page")
    args = parser.parse_args()
    sections = args.only or list(SECTIONS)
    started = datetime.now().astimezone()
    report: dict[str, Any] = {"started": started.isoformat(timespec="seconds"), "machine": machine()}
    report["concurrency"] = args.concurrency
    if "links" in sections:
        with tempfile.TemporaryDirectory(prefix="xunjian-bench-") as tmp:
            report["site"], report["links"] = links(Path(tmp), args.concurrency)
    if "probes" in sections:
        report["probes"] = probes(args.concurrency, args.probe_seconds)
    if "evaluation" in sections:
        batches = [int(b) for b in args.eval_batches.split(",") if b]
        report["evaluation"] = evaluation.section(args.eval_sites, args.eval_accounts, batches, args.eval_days)
    if "notice" in sections:
        report["notice"] = notice.section()
    if "console" in sections:
        report["console"] = console.section(days=args.console_days, requests=args.console_requests)
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if set(sections) == set(SECTIONS) else "-" + "-".join(s for s in SECTIONS if s in sections)
    out = RESULTS / f"{started:%Y-%m-%d}{suffix}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(table(report))
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
