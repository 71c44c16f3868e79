"""The spreadsheet import and export through the registry's real API and command line."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import openpyxl

from services.registry.app import SPEC
from services.registry.tabular import export_xlsx
from shared.events import Inventory, Target, TargetType
from tests.apps import running

from .inventory import PREFECTURE, UNITS
from .test_registry_service import ADMIN, ADMIN_TOKEN, settings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "registry-example.xlsx"


def upload(name: str, body: bytes) -> list[tuple[str, tuple[str, bytes]]]:
    return [("files", (name, body))]


def broken(workbook: bytes) -> bytes:
    """The prefecture's workbook with three mistakes in the website sheet."""
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    sheet = book["网站"]
    header = [c.value for c in sheet[1]] if sheet[1][0].value else [c.value for c in sheet[2]]
    first = 2 if sheet[1][0].value else 3
    url_col = header.index(next(h for h in header if h and "地址" in str(h))) + 1
    code_col = header.index(next(h for h in header if h and "标识码" in str(h))) + 1
    sheet.cell(first, url_col, "www.qs.gov.cn")  # no scheme
    sheet.cell(first + 1, code_col, "12345")  # not 10 digits
    sheet.cell(first + 2, url_col).value = None  # missing
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_file_with_errors_changes_nothing_and_reports_every_error_with_row_and_column(
    nats_url_: str, mongodb_uri: str, db_prefix: str
) -> None:
    good = export_xlsx(PREFECTURE)
    async with (
        running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base,
        httpx.AsyncClient(headers=ADMIN) as http,
    ):
        refused = await http.post(f"{base}/imports", files=upload("清单.xlsx", broken(good)))
        after_refusal = (await http.get(f"{base}/targets")).json()
        accepted = await http.post(f"{base}/imports", files=upload("清单.xlsx", good), params={"reason": "季度清单"})
        exported = await http.get(f"{base}/exports", params={"format": "xlsx"})
        again = await http.post(f"{base}/imports", files=upload("导出.xlsx", exported.content))
        history = (await http.get(f"{base}/targets/qs-portal/history")).json()

    assert refused.status_code == 422
    problems = refused.json()["problems"]
    assert len(problems) >= 3
    assert all(p["sheet"] == "网站" and p["row"] and p["column"] for p in problems[:3])
    assert any("网址" in p["message"] for p in problems) and any("标识码" in p["message"] for p in problems)
    assert after_refusal == []
    assert accepted.status_code == 200 and accepted.json()["changed_targets"] == len(PREFECTURE.targets)
    assert again.status_code == 200 and again.json()["changed_targets"] == 0  # export → import changes nothing
    assert [h["reason"] for h in history] == ["季度清单"]


def ten_thousand_targets() -> Inventory:
    targets = [
        Target(
            target_id=f"acct-{n:05d}",
            type=TargetType.account,
            name=f"政务账号{n:05d}",
            url=f"http://127.0.0.1:9/feeds/acct-{n:05d}.xml",
            unit_id=UNITS[n % len(UNITS)].unit_id,
            county=UNITS[n % len(UNITS)].county,
            platform="微信公众号",
            account_id=f"gh_{n:05d}",
            feed_kind="rss",
            registered_on=date(2021, 1, 1),
        )
        for n in range(10_000)
    ]
    return Inventory(units=UNITS, targets=targets)


async def test_a_valid_file_of_ten_thousand_targets_imports_in_one_go(
    nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any, wait: Any
) -> None:
    workbook = export_xlsx(ten_thousand_targets())
    async with (
        running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base,
        httpx.AsyncClient(headers=ADMIN, timeout=600) as http,
    ):
        began = time.monotonic()
        response = await http.post(f"{base}/imports", files=upload("万条.xlsx", workbook))
        took = time.monotonic() - began
        listed = (await http.get(f"{base}/targets", params={"type": "account"})).json()
    print(f"10,000 targets imported in {took:.1f} s")  # reported, not asserted: make bench measures speed
    assert response.status_code == 200, response.text[:500]
    assert response.json()["changed_targets"] == 10_000
    assert len(listed) == 10_000
    changed = (await jetstream.stream_info("REGISTRY")).state.messages
    assert changed >= 10_000 + len(UNITS)  # every change announced


async def test_the_command_line_imports_exports_and_refuses_a_bad_file_with_every_error(
    nats_url_: str, mongodb_uri: str, db_prefix: str, tmp_path: Path
) -> None:
    good, bad = tmp_path / "清单.xlsx", tmp_path / "有误.xlsx"
    good.write_bytes(export_xlsx(PREFECTURE))
    bad.write_bytes(broken(good.read_bytes()))
    async with running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base:
        env = {**os.environ, "XUNJIAN_REGISTRY_URL": base, "XUNJIAN_TOKEN": ADMIN_TOKEN}

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "xunjian", "registry", *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )

        import asyncio

        refused = await asyncio.to_thread(cli, "import", str(bad))
        accepted = await asyncio.to_thread(cli, "import", str(good))
        exported = await asyncio.to_thread(cli, "export", str(tmp_path / "导出.zip"))
    assert refused.returncode == 1 and "未做任何修改" in refused.stderr
    assert refused.stderr.count("第") >= 3  # every problem printed with its row
    assert accepted.returncode == 0 and "导入成功" in accepted.stdout
    assert exported.returncode == 0
    names = zipfile.ZipFile(tmp_path / "导出.zip").namelist()
    assert any("网站" in n for n in names) and any("单位" in n for n in names)


async def test_the_shipped_example_workbook_imports_cleanly(nats_url_: str, mongodb_uri: str, db_prefix: str) -> None:
    async with (
        running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base,
        httpx.AsyncClient(headers=ADMIN) as http,
    ):
        checked = await http.post(
            f"{base}/imports", files=upload(EXAMPLE.name, EXAMPLE.read_bytes()), params={"dry_run": "true"}
        )
        stored = (await http.get(f"{base}/targets")).json()
    assert checked.status_code == 200, checked.text[:500]
    assert checked.json()["targets"] > 30
    assert stored == []  # a dry run changes nothing
