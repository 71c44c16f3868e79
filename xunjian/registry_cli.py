"""`xunjian registry import|export`: the inventory spreadsheet against a running system."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx

from xunjian.state import endpoint


def import_files(paths: list[Path], reason: str) -> int:
    url, headers = endpoint("registry")
    files = [("files", (p.name, p.read_bytes())) for p in paths]
    response = httpx.post(f"{url}/imports", files=files, params={"reason": reason}, headers=headers, timeout=600)
    body = response.json()
    if response.status_code == 200:
        print(
            f"导入成功：单位 {body['units']} 个（变更 {body['changed_units']} 个），"
            f"监测对象 {body['targets']} 个（变更 {body['changed_targets']} 个）"
        )
        return 0
    problems = body.get("detail", body)
    if isinstance(problems, list):
        print(f"导入被拒绝，共 {len(problems)} 处问题，未做任何修改：", file=sys.stderr)
        for problem in problems:
            print(
                f"  {problem if isinstance(problem, str) else json.dumps(problem, ensure_ascii=False)}", file=sys.stderr
            )
    else:
        print(f"导入失败（HTTP {response.status_code}）：{problems}", file=sys.stderr)
    return 1


def export_file(path: Path) -> int:
    url, headers = endpoint("registry")
    fmt = "csv" if path.suffix.lower() == ".zip" else "xlsx"
    response = httpx.get(f"{url}/exports", params={"format": fmt}, headers=headers, timeout=600)
    if response.status_code != 200:
        print(f"导出失败（HTTP {response.status_code}）：{response.text}", file=sys.stderr)
        return 1
    path.write_bytes(response.content)
    print(f"已导出到 {path}")
    return 0
