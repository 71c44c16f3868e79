"""parse_import: files in, an Inventory or every problem out. Pure: no database, no network, no clock."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from shared.events import Inventory, Target, Unit

from .headers import SHEETS, TARGET_SHEETS
from .periods import build_period, read_periods
from .problems import ImportProblem, ImportResult
from .read import Sheet, Workbook, read_files
from .targets import Known, Sites, TargetDraft, assign_ids, build_target, check_duplicates, check_targets, read_targets
from .units import Hierarchy, UnitDraft, build_unit, check_units, read_units


def parse_import(
    files: list[tuple[str, bytes]],
    known_units: Iterable[Unit] = (),
    known_targets: Iterable[Target] = (),
) -> ImportResult:
    """Read and validate every row of every file; all-or-nothing.

    ``files``: (file name, content) pairs: XLSX workbooks, CSV files (one sheet each, recognised by its header row)
    or ZIPs of them. ``known_units`` and ``known_targets`` are what the registry holds already: rows may refer to
    those units and websites, and rows without 对象编号 reuse the id of the registered target they match.
    """
    book = read_files(files)
    problems = list(book.problems)
    unit_drafts = read_units(_sheets(book, "unit"), problems)
    hierarchy = Hierarchy(unit_drafts, {u.unit_id: u for u in known_units})
    check_units(unit_drafts, hierarchy)

    known = list(known_targets)
    # the sheets' order, not the files' order: the same files in any order give the same inventory
    target_sheets = sorted(
        (s for s in book.sheets if s.spec in TARGET_SHEETS), key=lambda s: TARGET_SHEETS.index(s.spec)
    )
    target_drafts = read_targets(target_sheets, problems)
    assign_ids(target_drafts, Known(known))
    check_duplicates(target_drafts)
    check_targets(target_drafts, hierarchy, Sites(target_drafts, known))
    period_rows = read_periods(_sheets(book, "period"), problems)

    if not book.sheets and not problems:
        problems.append(ImportProblem(sheet="", row=0, column="", value="", reason="没有找到可导入的内容", file=""))
    if not problems:
        inventory = _build(unit_drafts, target_drafts, hierarchy, [values for _, values in period_rows], problems)
        if inventory is not None and not problems:
            return ImportResult(inventory=inventory, problems=[])
    return ImportResult(inventory=None, problems=_sorted(problems, files))


def _sheets(book: Workbook, kind: str) -> list[Sheet]:
    return [s for s in book.sheets if s.spec.kind == kind]


def _build(
    units: list[UnitDraft],
    targets: list[TargetDraft],
    hierarchy: Hierarchy,
    periods: list[dict[str, Any]],
    problems: list[ImportProblem],
) -> Inventory | None:
    """The models, once every row passed; a model that still refuses a value becomes a problem on its row."""
    built_units: list[Unit] = []
    built_targets: list[Target] = []
    for draft in units:
        try:
            built_units.append(build_unit(draft, hierarchy))
        except ValidationError as exc:
            draft.row.problem("", f"数据不合规：{_first_error(exc)}")
    for target in targets:
        try:
            built_targets.append(build_target(target, hierarchy))
        except ValidationError as exc:
            target.row.problem("", f"数据不合规：{_first_error(exc)}")
    try:
        built_periods = [build_period(values) for values in periods]
    except ValidationError as exc:
        problems.append(ImportProblem(sheet="监测周期", row=0, column="", value="", reason=_first_error(exc)))
        return None
    return Inventory(units=built_units, targets=built_targets, periods=built_periods)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"


def _sorted(problems: list[ImportProblem], files: list[tuple[str, bytes]]) -> list[ImportProblem]:
    names = [name for name, _ in files]
    order = {spec.title: n for n, spec in enumerate(SHEETS)}

    def key(problem: ImportProblem) -> tuple[int, int, int]:
        file_index = next((n for n, name in enumerate(names) if problem.file.startswith(name)), len(names))
        return file_index, order.get(problem.sheet, -1), problem.row

    return sorted(problems, key=key)
