"""What an import gives back: an inventory, or every problem found, each with its place and a reason in Chinese."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, computed_field

from shared.events import Inventory


class ImportProblem(BaseModel):
    """One problem: where (file, sheet, spreadsheet row, column header as written) and why, in Chinese.

    ``row`` is the row number Excel shows (CSV: the record number, the header being row 1); 0 for a problem with the
    whole file or sheet. ``message`` is the sentence to show: 「网站」第12行「网站地址」：不是有效的网址（…）.
    """

    model_config = ConfigDict(frozen=True)

    sheet: str
    row: int
    column: str
    value: str
    reason: str
    file: str = ""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def message(self) -> str:
        if not self.row and not self.column:
            sheet = f"工作表「{self.sheet}」" if self.sheet else ""
            return f"文件「{self.file}」{sheet}：{self.reason}"
        place = f"第{self.row}行" if self.row else ""
        column = f"「{self.column}」" if self.column else ""
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "…"
        got = f"（填写的是“{shown}”）" if shown else ""
        return f"「{self.sheet}」{place}{column}：{self.reason}{got}"


class ImportResult(BaseModel):
    """Either ``inventory`` (no problems at all) or ``problems`` (and no inventory): an import is all-or-nothing."""

    model_config = ConfigDict(frozen=True)

    inventory: Inventory | None
    problems: list[ImportProblem]

    @property
    def ok(self) -> bool:
        return self.inventory is not None
