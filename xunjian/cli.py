"""The `xunjian` command: up, down, status, demo, probe, asyncapi."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import httpx

from shared.events import CheckKind
from xunjian.state import STATE_DIR, STATE_FILE, load_state, write_state


def cmd_up(args: argparse.Namespace) -> int:
    from xunjian.stack import Stack

    state = load_state()
    if state is not None and alive(int(state["pid"])):
        print(f"xunjian 已在运行（{STATE_FILE}）；先执行 `xunjian down`", file=sys.stderr)
        return 1
    stack = Stack(Path(args.data_dir), Path(args.data_dir) / "logs")
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    stack.start_servers()
    # A running system probes its inventory on the wall clock; the demo drives time itself instead.
    stack.env.setdefault("SCHEDULE_REALTIME", "true")
    stack.add_services()
    stack.on_restart = lambda _name: write_state(stack.describe())
    try:
        stack.start()
        write_state(stack.describe())
        for name, child in stack.children.items():
            print(f"{name:<10} {child.url}")
        print(f"控制台：{stack.children['console'].url}/")
        print(f"　　　　用户名 admin，密码见 {STATE_FILE}（admin_password）或 REGISTRY_BOOTSTRAP_ADMIN_PASSWORD")
        print(f"日志：{stack.log_dir}　管理员令牌：{STATE_FILE}（admin_token）")
        print("按 Ctrl-C 或执行 `xunjian down` 停止", flush=True)
        stopped.wait()
    finally:
        print("正在停止 …", file=sys.stderr)
        stack.stop()
        STATE_FILE.unlink(missing_ok=True)
    return 0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A zombie has exited but is not yet reaped by its parent: it no longer runs anything.
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split()[2] != "Z"


def cmd_down(_: argparse.Namespace) -> int:
    if not STATE_FILE.exists():
        print("xunjian 未在运行", file=sys.stderr)
        return 0
    pid = int(json.loads(STATE_FILE.read_text())["pid"])
    if alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    STATE_FILE.unlink(missing_ok=True)
    print("已停止")
    return 0


def cmd_status(_: argparse.Namespace) -> int:
    if not STATE_FILE.exists():
        print("xunjian 未在运行")
        return 3
    state = json.loads(STATE_FILE.read_text())
    worst = 0
    for name, child in state["children"].items():
        try:
            ready = httpx.get(f"{child['url']}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            ready = False
        worst = max(worst, 0 if ready else 1)
        print(f"{name:<10} {'就绪' if ready else '未就绪'}  {child['url']}  pid {child['pid']}")
    return worst


def cmd_demo(args: argparse.Namespace) -> int:
    from xunjian.demo import DEMO_SCENARIO, run_demo

    result = run_demo(Path(args.scenario or DEMO_SCENARIO), Path(args.out))
    print(f"监测周期 {result.period_id}：探测 {result.probes} 次，用时 {result.elapsed_s:.0f} 秒")
    for kind, path in result.outputs.items():
        print(f"通报（{kind}）：{path}")
    kinds = "，".join(f"{kind} {n} 封" for kind, n in sorted(result.emails.items())) or "无"
    print(f"邮件：{kinds}（{result.mail_dir}）")
    if result.dead_letters:
        print(f"注意：死信 {result.dead_letters} 条，见 DEAD 流", file=sys.stderr)
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    from services.prober.app import probe_once
    from services.prober.settings import ProberSettings

    observation = asyncio.run(probe_once(args.url, args.kind, ProberSettings()))
    print(observation.model_dump_json(indent=2))
    return 0


def cmd_registry(args: argparse.Namespace) -> int:
    from xunjian.registry_cli import export_file, import_files

    if args.action == "import":
        return import_files([Path(p) for p in args.files], args.reason)
    return export_file(Path(args.files[0]))


def cmd_report(args: argparse.Namespace) -> int:
    from xunjian.report_cli import run

    return run(args.action, args.period, Path(args.profile), Path(args.out))


def cmd_asyncapi(args: argparse.Namespace) -> int:
    from xunjian.asyncapi import document

    text = json.dumps(document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xunjian", description="政府网站与政务新媒体巡检")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the whole system on this machine")
    up.add_argument("--data-dir", default=str(STATE_DIR), help="where embedded servers keep data and logs")
    up.set_defaults(run=cmd_up)
    sub.add_parser("down", help="stop a system started with `xunjian up`").set_defaults(run=cmd_down)
    sub.add_parser("status", help="readiness of every service").set_defaults(run=cmd_status)
    demo = sub.add_parser("demo", help="run one monitoring quarter against the simulator")
    demo.add_argument("--scenario", help="scenario YAML (default: the built-in demo)")
    demo.add_argument("--out", default="out", help="output folder")
    demo.set_defaults(run=cmd_demo)
    probe = sub.add_parser("probe", help="run one check against one URL and print the observation")
    probe.add_argument("url")
    probe.add_argument("--kind", default="homepage", choices=[k.value for k in CheckKind])
    probe.set_defaults(run=cmd_probe)
    registry = sub.add_parser("registry", help="import or export the inventory spreadsheet (XLSX or CSV)")
    registry.add_argument("action", choices=["import", "export"])
    registry.add_argument("files", nargs="+", help="import: XLSX or CSV files; export: one .xlsx (or .zip of CSV)")
    registry.add_argument("--reason", default="导入清单", help="why (recorded in the history)")
    registry.set_defaults(run=cmd_registry)
    report = sub.add_parser("report", help="the quarterly notice: draft, freeze (定稿) and publish it")
    report.add_argument("action", choices=["draft", "freeze", "publish"])
    report.add_argument("period", help="monitoring period, e.g. 2022Q3")
    report.add_argument("--profile", required=True, help="YAML or JSON: 文号, issuer, 主送, dates, text blocks")
    report.add_argument("--out", default="out", help="where the notice's files are written")
    report.set_defaults(run=cmd_report)
    spec = sub.add_parser("asyncapi", help="write the AsyncAPI document of every event")
    spec.add_argument("--out", default="docs/asyncapi.json")
    spec.set_defaults(run=cmd_asyncapi)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
