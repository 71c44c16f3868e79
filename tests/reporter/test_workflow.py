"""Drafts, finals and publication on the real services: an office edits a draft, freezes it, and publishes it.

A final never changes afterwards, whatever arrives later; publishing emits report.published once; the roles decide
who may do what.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from shared.events import Outcome
from tests.reporter.builders import STALE, county_units, lincang_profile, verdict
from tests.reporter.stack import ADMIN, EDU, ZK, ReporterStack, seeded
from tests.reporter.streams import publish, verdict_changed
from xunjian.report_cli import run

Wait = Callable[..., Awaitable[Any]]


def profile(**changes: object) -> dict[str, Any]:
    return lincang_profile(**changes).model_dump(mode="json")


async def test_a_draft_is_edited_frozen_once_and_the_final_never_changes(
    reporter_stack: ReporterStack, jetstream: Any, wait: Wait
) -> None:
    http = reporter_stack.client
    await seeded(reporter_stack, jetstream, wait)
    created = await http.post("/reports/2022Q3/drafts", json=profile())
    assert created.status_code == 201, created.text
    draft = created.json()
    assert draft["version"] == 1
    assert (await http.post("/reports/2022Q3/drafts", json=profile())).status_code == 409  # one draft per 文号

    edited_opening = (
        "为进一步提升全市政府网站和政务新媒体建设管理水平，市政府办公室组织开展了三季度检查。现将有关情况通报如下："
    )
    url = f"/reports/drafts/{draft['draft_id']}"
    assert (await http.put(url, json=profile(opening=edited_opening))).status_code == 428  # which version?
    edited = await http.put(url, params={"version": 1}, json=profile(opening=edited_opening))
    assert edited.status_code == 200 and edited.json()["version"] == 2
    stale_edit = await http.put(url, params={"version": 1}, json=profile(opening="另一人的修改"))
    assert stale_edit.status_code == 409  # nobody overwrites an edit they did not see

    html = await http.get(f"{url}/notice.html")
    assert html.status_code == 200 and edited_opening in html.text and "另一人的修改" not in html.text
    assert "合格率 50.00%" in html.text
    pdf, docx, xlsx = [await http.get(f"{url}/notice.{fmt}") for fmt in ("pdf", "docx", "xlsx")]
    assert pdf.content.startswith(b"%PDF-") and docx.content[:2] == b"PK" and xlsx.content[:2] == b"PK"
    assert pdf.headers["content-disposition"] == 'attachment; filename="notice-2022Q3.pdf"'

    frozen = await http.post(f"{url}/freeze", params={"version": 2})
    assert frozen.status_code == 201, frozen.text
    final = frozen.json()
    assert set(final["files"]) == {"html", "pdf", "docx", "xlsx", "json"}
    assert final["rule_sets"] == ["national-2019"] and final["registry_version"]["targets"] == 3
    assert final["intact"] is True
    stored = {
        fmt: (await http.get(f"/reports/finals/{final['report_id']}/notice.{fmt}")).content for fmt in final["files"]
    }
    assert {fmt: hashlib.sha256(data).hexdigest() for fmt, data in stored.items()} == final["files"]
    assert json.loads(stored["json"])["websites"]["unqualified"] == 1

    # A later verdict changes the draft's numbers, never the final's.
    await publish(jetstream, verdict_changed(verdict(ZK, Outcome.qualified, revision=2)))
    await publish(jetstream, verdict_changed(verdict(EDU, Outcome.unqualified, (STALE,), revision=2)))
    await wait(lambda: _draft_says(http, url, "未发现不合格政府网站"), timeout=20, what="the draft to follow the data")
    again = {fmt: (await http.get(f"/reports/finals/{final['report_id']}/notice.{fmt}")).content for fmt in stored}
    assert again == stored
    assert (await http.get(f"/reports/finals/{final['report_id']}")).json()["content_hash"] == final["content_hash"]
    assert (await http.post(f"{url}/freeze")).status_code == 409  # frozen once: a correction is a new 文号


async def test_publishing_sends_report_published_once_with_the_deadline(
    reporter_stack: ReporterStack, jetstream: Any, wait: Wait
) -> None:
    http = reporter_stack.client
    await seeded(reporter_stack, jetstream, wait)
    draft = (await http.post("/reports/2022Q3/drafts", json=profile())).json()
    final = (await http.post(f"/reports/drafts/{draft['draft_id']}/freeze")).json()
    first = await http.post(f"/reports/finals/{final['report_id']}/publish")
    assert first.status_code == 200, first.text
    second = await http.post(f"/reports/finals/{final['report_id']}/publish")
    assert second.json()["event"] == first.json()["event"]  # publishing again changes nothing

    async def one_message() -> bool:
        return bool((await jetstream.stream_info("REPORTS")).state.messages == 1)

    await wait(one_message, timeout=20, what="report.published on REPORTS")
    message = await jetstream.get_last_msg("REPORTS", "report.published")
    event = json.loads(message.data)
    assert event["report_id"] == final["report_id"] and event["content_hash"] == final["content_hash"]
    assert event["deadline"] == "2022-10-14" and event["document_number"] == "临政办字〔2022〕111号"
    assert event["attachments"] == [
        "2022年三季度全市普查不合格网站名单",
        "2022年三季度全市抽查不合格政府系统政务新媒体名单",
    ]
    summary = (await http.get(f"/reports/finals/{final['report_id']}")).json()
    assert summary["published_by"] and summary["published_at"]


async def test_only_city_administrators_draft_freeze_and_publish(
    reporter_stack: ReporterStack, jetstream: Any, wait: Wait
) -> None:
    http = reporter_stack.client
    await seeded(reporter_stack, jetstream, wait)
    units = [u.model_dump(mode="json") for u in county_units()]
    imported = await http.post(f"{reporter_stack.registry}/inventory", json={"units": units})
    assert imported.status_code == 200, imported.text  # the registry knows the units its users belong to
    county = await reporter_stack.token_for("yx-admin", "county_admin", "u3")
    unit = await reporter_stack.token_for("yx-user", "unit_user", "u3")
    draft = (await http.post("/reports/2022Q3/drafts", json=profile())).json()
    drafts, finals = f"/reports/drafts/{draft['draft_id']}", "/reports/finals"

    assert (await http.get("/reports/2022Q3/numbers", headers={"Authorization": ""})).status_code == 401
    assert (await http.get("/reports/2022Q3/numbers", headers=county)).status_code == 200
    assert (await http.get(f"{drafts}/notice.html", headers=county)).status_code == 200
    for headers in (county, unit):
        assert (await http.post("/reports/2022Q3/drafts", json=profile(), headers=headers)).status_code == 403
        assert (await http.post(f"{drafts}/freeze", headers=headers)).status_code == 403
    assert (await http.get(f"{drafts}/notice.html", headers=unit)).status_code == 403  # drafts are internal

    final = (await http.post(f"{drafts}/freeze")).json()
    assert (await http.get(f"{finals}/{final['report_id']}/notice.pdf", headers=unit)).status_code == 403
    assert (await http.post(f"{finals}/{final['report_id']}/publish", headers=county)).status_code == 403
    assert (await http.post(f"{finals}/{final['report_id']}/publish")).status_code == 200
    published = await http.get(f"{finals}/{final['report_id']}/notice.pdf", headers=unit)
    assert published.status_code == 200 and published.content.startswith(b"%PDF-")  # a published notice is public


async def _draft_says(http: httpx.AsyncClient, url: str, text: str) -> bool:
    return text in (await http.get(f"{url}/notice.html")).text


async def test_the_command_line_drafts_freezes_and_publishes(
    reporter_stack: ReporterStack, jetstream: Any, wait: Wait, tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    await seeded(reporter_stack, jetstream, wait)
    monkeypatch.setenv("XUNJIAN_REPORTER_URL", str(reporter_stack.client.base_url))
    monkeypatch.setenv("XUNJIAN_TOKEN", ADMIN)
    profile_file = tmp_path / "notice.yaml"
    profile_file.write_text(yaml.safe_dump(profile(), allow_unicode=True), encoding="utf-8")

    assert await asyncio.to_thread(run, "draft", "2022Q3", profile_file, tmp_path / "draft") == 0
    names = sorted(p.name for p in (tmp_path / "draft").iterdir())
    assert names == [f"notice-2022Q3.{fmt}" for fmt in ("docx", "html", "json", "pdf", "xlsx")]
    assert await asyncio.to_thread(run, "freeze", "2022Q3", profile_file, tmp_path / "final") == 0
    assert (tmp_path / "final" / "notice-2022Q3.html").read_bytes() == (
        tmp_path / "draft" / "notice-2022Q3.html"
    ).read_bytes()
    assert await asyncio.to_thread(run, "freeze", "2022Q3", profile_file, tmp_path / "again") == 1
    assert "该文号的通报已定稿" in capsys.readouterr().err
    assert await asyncio.to_thread(run, "publish", "2022Q3", profile_file, tmp_path) == 0
    assert "整改期限 2022-10-14" in capsys.readouterr().out
