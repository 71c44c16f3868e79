"""What a notice needs that is not in the data: who issues it, to whom, its number and its dates."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Requirement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    heading: str = Field(min_length=1, description="e.g. 落实主体责任")
    text: str = Field(min_length=1)


class NoticeProfile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    document_number: str = Field(min_length=1, description="文号, e.g. 临政办字〔2022〕111号")
    issuer: str = Field(min_length=1, description="e.g. 临沧市人民政府办公室")
    issuer_short: str = Field(default="市政府办公室", description="how the text names the issuer")
    city: str = Field(min_length=1, description="e.g. 临沧市")
    province: str = Field(default="", description="e.g. 云南省; named in the 政务公开工作要点 requirement")
    recipients: list[str] = Field(min_length=1, description="主送, e.g. 各县、自治县、区人民政府")
    cc: list[str] = Field(default_factory=list, description="抄送")
    issue_date: date
    deadline: date = Field(description="rectification reports are due by this date")
    printed_on: date | None = Field(default=None, description="印发 date; the issue date when absent")
    public: bool = Field(default=True, description="prints （此件公开发布）")
    opening: str = Field(default="", description="the opening paragraph as edited; drafted from the data when empty")
    overview_remarks: str = Field(default="", description="a closing paragraph of 总体情况 (good practice seen)")
    requirements: list[Requirement] = Field(default_factory=list, description="三、工作要求; defaults when empty")

    @model_validator(mode="after")
    def deadline_after_issue(self) -> NoticeProfile:
        if self.deadline < self.issue_date:
            raise ValueError("the rectification deadline cannot be before the issue date")
        return self
