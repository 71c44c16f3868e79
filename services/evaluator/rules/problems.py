"""What is wrong with a rule set: one exception carrying every problem found, for the office user who wrote it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong, at one field. ``path`` is the English field path (``homepage.threshold``,
    ``scoring.items[3].points``; empty for the whole file); ``message`` is Chinese, for office users."""

    path: str
    message: str
    line: int | None = None  # 1-based, in the file submitted, when the field is written there
    column: int | None = None

    @property
    def text(self) -> str:
        """「homepage.threshold：本地规则为20天，宽于国家规则14天，不能放宽单项否决指标」"""
        return f"{self.path}：{self.message}" if self.path else self.message

    def located(self, source: str) -> str:
        where = [source]
        if self.line is not None:
            where.append(f"第{self.line}行" + (f"第{self.column}列" if self.column is not None else ""))
        return f"{'，'.join(where)}：{self.text}"

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message, "line": self.line, "column": self.column, "text": self.text}


class RuleSetError(ValueError):
    """A rule set that cannot be used: every problem found, each naming the field and what is wrong."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(p.located(source) for p in problems))
