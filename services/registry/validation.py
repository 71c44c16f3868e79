"""What the registry refuses, as plain checks over plain values; problems are written for office staff."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from shared.events import Inventory, Target, TargetStatus, TargetType, Unit

# Targets that belong to a website and must name it.
_SITE_PARTS = {TargetType.column, TargetType.message_board, TargetType.service_guide}


def check_inventory(inventory: Inventory, known_units: set[str], known_targets: set[str]) -> list[str]:
    """Every problem of an inventory change, given the units and targets already registered."""
    units = known_units | {u.unit_id for u in inventory.units}
    targets = known_targets | {t.target_id for t in inventory.targets}
    problems = _duplicates("单位", (u.unit_id for u in inventory.units))
    problems += _duplicates("监测对象", (t.target_id for t in inventory.targets))
    for unit in inventory.units:
        problems += _unit_problems(unit, units)
    for target in inventory.targets:
        problems += _target_problems(target, units, targets)
    return problems


def _duplicates(what: str, ids: Iterable[str]) -> list[str]:
    return [f"{what}编码「{key}」重复出现 {n} 次" for key, n in Counter(ids).items() if n > 1]


def _unit_problems(unit: Unit, units: set[str]) -> list[str]:
    problems = []
    for field, ref in (("上级单位", unit.parent_id), ("主管单位", unit.supervisor_id)):
        if ref and ref not in units:
            problems.append(f"单位「{unit.name}」的{field}编码「{ref}」未登记")
    if unit.parent_id == unit.unit_id:
        problems.append(f"单位「{unit.name}」不能是自己的上级单位")
    return problems


def _target_problems(target: Target, units: set[str], targets: set[str]) -> list[str]:
    name = f"「{target.name}」"
    problems = []
    if target.unit_id not in units:
        problems.append(f"监测对象{name}的主办单位编码「{target.unit_id}」未登记")
    if not target.url.startswith(("http://", "https://")):
        problems.append(f"监测对象{name}的地址「{target.url}」不是有效网址（应以 http:// 或 https:// 开头）")
    if target.type in _SITE_PARTS and (not target.site_id or target.site_id not in targets):
        problems.append(f"监测对象{name}须填写已登记的所属网站（当前为「{target.site_id or ''}」）")
    if target.type is TargetType.account and not target.platform:
        problems.append(f"政务新媒体{name}须填写平台（如微信公众号、微博、抖音）")
    if target.closed_on is not None and target.closed_on < target.registered_on:
        problems.append(f"监测对象{name}的关停日期早于登记日期")
    if target.status is TargetStatus.closed and target.closed_on is None:
        problems.append(f"监测对象{name}状态为关停/已注销，须填写关停（注销）日期")
    if target.update_period_days is not None and target.update_period_days <= 0:
        problems.append(f"栏目{name}的更新周期须为正整数（天）")
    return problems
