"""Rebuild the registry import example: examples/registry-example.xlsx and examples/csv/*.csv.

The example is the demo prefecture 云岭市 (simulator/demo.yaml) as an office would register it: its units with
levels and contacts, websites, columns, message boards, service-guide sources, new-media accounts and the period.
Addresses point at the simulator (default http://127.0.0.1:8800, the simulator's default port), so the example
imports straight into a demo stack.

    .venv/bin/python examples/make_examples.py [--base-url http://127.0.0.1:8800]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from services.registry.tabular import export_csv, export_xlsx, parse_import
from services.registry.tabular.cells import credit_code_check
from shared.events import Contact, Inventory, Target, TargetType, Unit, UnitLevel
from simulator.scenario import demo_path, load_scenario

HERE = Path(__file__).parent
CONTACTS = {
    "yl-zfb": [
        Contact(name="李明", role="分管领导", mobile="13908830001", email="liming@example.gov.cn"),
        Contact(
            name="王芳",
            role="网站管理员",
            mobile="13908830901",
            email="wangfang@example.gov.cn",
            chatbot="https://oapi.dingtalk.com/robot/send?access_token=example",
        ),
    ],
    "ch-gov": [Contact(name="张伟", role="网站管理员", mobile="13908830111", email="zhangwei@example.gov.cn")],
    "sx-gov": [Contact(name="赵丽", role="网站管理员", mobile="13908830211")],
    "yl-xwb": [Contact(name="陈静", role="新媒体运维", mobile="13908830902", email="chenjing@example.gov.cn")],
}
FIRST_LEVEL = {"ylportal-ywdt", "ylportal-tzgg", "ylportal-zcwj"}


def credit_code(n: int) -> str:
    body = f"11530{n:02d}00{n:03d}00000"
    return body + credit_code_check(body)


def example_inventory(base_url: str) -> Inventory:
    base = base_url.rstrip("/")
    scenario = load_scenario(demo_path())
    inventory = scenario.to_inventory(base)
    units = [_unit(u, n) for n, u in enumerate(inventory.units, start=1)]
    targets = [_target(t) for t in inventory.targets]
    sites = {t.target_id: t for t in targets if t.type is TargetType.website}
    guides = _guides(sites["yl-portal"], base)
    # The scenario registers its message boards itself (simulator message boards, with their reply_days).
    ordered = [t for kind in _ORDER for t in [*targets, *guides] if t.type is kind]
    return Inventory(units=units, targets=ordered, periods=inventory.periods)


_ORDER = (TargetType.website, TargetType.column, TargetType.message_board, TargetType.service_guide, TargetType.account)


def _unit(unit: Unit, n: int) -> Unit:
    if unit.unit_id == "yl-zfb":
        level = UnitLevel.city
    elif unit.unit_id.endswith("-gov"):
        level = UnitLevel.county
    else:
        level = UnitLevel.department
    code = credit_code(n) if level is not UnitLevel.department or n % 3 == 0 else ""
    return unit.model_copy(update={"level": level, "code": code, "contacts": CONTACTS.get(unit.unit_id, [])})


def _target(target: Target) -> Target:
    if target.type is TargetType.website:
        kind = "门户" if target.target_id.endswith("portal") else "部门"
        return target.model_copy(update={"site_kind": kind})
    if target.type is TargetType.column:
        return target.model_copy(update={"first_level": target.target_id in FIRST_LEVEL})
    if target.type is not TargetType.account:
        return target
    return target.model_copy(update={"account_id": target.target_id.replace("-", "_"), "feed_kind": "rss"})


def _guides(portal: Target, base: str) -> list[Target]:
    on_portal = Target(
        target_id="ylportal-bszn",
        type=TargetType.service_guide,
        name="云岭市人民政府门户网站办事服务",
        url=f"{base}/sites/yl-portal/bszn/",
        unit_id="yl-zwb",
        county="市直",
        site_id=portal.target_id,
        site_code=portal.site_code,
        update_period_days=7,
        registered_on=portal.registered_on,
    )
    platform = Target(
        target_id="yl-zwfw-bszn",
        type=TargetType.service_guide,
        name="一网通办平台云岭市办事指南",
        url="https://zwfw.example.gov.cn/yunling/bszn/",
        unit_id="yl-zwb",
        county="市直",
        update_period_days=7,
        registered_on=portal.registered_on.replace(year=2020),
    )
    return [on_portal, platform]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8800", help="the simulator's address")
    args = parser.parse_args()
    inventory = example_inventory(args.base_url)
    workbook = export_xlsx(inventory)
    (HERE / "registry-example.xlsx").write_bytes(workbook)
    csv_dir = HERE / "csv"
    csv_dir.mkdir(exist_ok=True)
    csv_files = export_csv(inventory)
    for name, data in csv_files.items():
        (csv_dir / name).write_bytes(data)
    # the example must import back to the same inventory, from the workbook and from the CSV files
    for files in ([("registry-example.xlsx", workbook)], list(csv_files.items())):
        result = parse_import(files)
        assert result.inventory == inventory, [p.message for p in result.problems]
    print(f"{len(inventory.units)} 个单位、{len(inventory.targets)} 个监测对象 → {HERE}")


if __name__ == "__main__":
    main()
