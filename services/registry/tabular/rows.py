"""Reading one data row: each getter parses a cell and records a problem (row, column, reason) instead of raising."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .cells import Cell, CellError, is_blank
from .problems import ImportProblem
from .read import Sheet

T = TypeVar("T")


class Row:
    def __init__(self, sheet: Sheet, number: int, cells: tuple[Cell, ...], problems: list[ImportProblem]) -> None:
        self.sheet = sheet
        self.number = number
        self.cells = cells
        self.problems = problems
        self.failed = False

    def raw(self, key: str) -> Cell:
        index = self.sheet.columns.get(key)
        return self.cells[index] if index is not None and index < len(self.cells) else None

    def has(self, key: str) -> bool:
        return not is_blank(self.raw(key))

    def get(self, key: str, parse: Callable[[Cell], T], required: bool = False) -> T | None:
        """The parsed cell, or None when blank or bad (a bad or missing required value is recorded)."""
        value = self.raw(key)
        if is_blank(value):
            if required and key in self.sheet.columns:
                self.problem(key, "必须填写")
            return None
        try:
            return parse(value)
        except CellError as exc:
            self.problem(key, str(exc))
            return None

    def problem(self, key: str, reason: str) -> None:
        self.failed = True
        self.problems.append(self.sheet.problem(self.number, key, self.raw(key), reason))


def rows_of(sheet: Sheet, problems: list[ImportProblem]) -> list[Row]:
    return [Row(sheet, number, cells, problems) for number, cells in sheet.rows]
