"""`xunjian report draft|freeze|publish PERIOD --profile FILE`: the quarterly notice against a running system.

The profile (YAML or JSON) is the reporter's NoticeProfile: 文号, issuer, 主送, dates and the editable text blocks.
Each step writes the notice's files (notice-<period>.html/.pdf/.docx/.xlsx/.json) to --out: the draft as it reads
now, or the final exactly as frozen.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx
import yaml

from services.reporter.finals import FORMATS, draft_id_for, report_id_for
from xunjian.state import endpoint

TIMEOUT = httpx.Timeout(600, connect=10)


def load_profile(path: Path) -> dict[str, Any]:
    try:
        profile = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SystemExit(f"无法读取通报参数文件 {path}：{exc}") from None
    if not isinstance(profile, dict) or not profile.get("document_number"):
        raise SystemExit(f"通报参数文件 {path} 须为含 document_number（文号）等字段的映射")
    return profile


def failed(what: str, response: httpx.Response) -> int:
    detail = response.json().get("detail", response.text) if response.content else ""
    print(f"{what}失败（HTTP {response.status_code}）：{detail}", file=sys.stderr)
    return 1


def write_files(http: httpx.Client, base: str, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in FORMATS:
        response = http.get(f"{base}/notice.{fmt}")
        response.raise_for_status()
        name = response.headers["content-disposition"].split('filename="')[1].rstrip('"')
        (out / name).write_bytes(response.content)
        written.append(out / name)
    return written


def run(action: str, period: str, profile_path: Path, out: Path) -> int:
    url, headers = endpoint("reporter")
    profile = load_profile(profile_path)
    draft_id, report_id = (
        draft_id_for(period, profile["document_number"]),
        report_id_for(period, profile["document_number"]),
    )
    with httpx.Client(base_url=url, headers=headers, timeout=TIMEOUT) as http:
        if action == "draft":
            response = http.post(f"/reports/{period}/draft", json=profile)
            if response.status_code != 200:
                return failed("起草", response)
            files = write_files(http, f"/reports/drafts/{draft_id}", out)
            print(f"草稿已保存（{draft_id}），文件：{', '.join(str(f) for f in files)}")
            return 0
        if action == "freeze":
            response = http.post(f"/reports/drafts/{draft_id}/freeze")
            if response.status_code != 201:
                return failed("定稿", response)
            files = write_files(http, f"/reports/finals/{report_id}", out)
            print(
                f"已定稿（{report_id}，内容哈希 {response.json()['content_hash']}），文件：{', '.join(map(str, files))}"
            )
            return 0
        response = http.post(f"/reports/finals/{report_id}/publish")
        if response.status_code != 200:
            return failed("发布", response)
        event = response.json()["event"]
        print(f"已发布《{event['title']}》（{event['document_number']}），整改期限 {event['deadline']}")
        return 0
