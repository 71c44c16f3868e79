"""The notice as one document: every block of text in reading order, built once and laid out by each format.

HTML, PDF, DOCX and XLSX all render this value, so the four can never say different things (pure).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from services.reporter import drafting
from services.reporter.chinese import compact_date, full_date, month_day
from services.reporter.profile import NoticeProfile
from services.reporter.stats import ListedTarget, NoticeNumbers

# How a paragraph is set: body text, a note in a smaller size.
Style = Literal["body", "note"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Paragraph(Frozen):
    lead: str = ""  # a numbered sub-heading run in 楷体 before the text: （一）落实主体责任。
    text: str
    style: Style = "body"


class Section(Frozen):
    heading: str  # 一、总体情况, set in 黑体
    paragraphs: list[Paragraph]


class Row(Frozen):
    serial: int
    county: str
    name: str
    problems: str

    @property
    def cells(self) -> list[str]:
        return [str(self.serial), self.county, self.name, self.problems]


class RowGroup(Frozen):
    label: str  # a platform sub-heading row (微信公众号); empty for a table without groups
    rows: list[Row]


class Attachment(Frozen):
    number: int
    title: str
    columns: list[str]
    groups: list[RowGroup]
    window: str  # 监测数据采集时间：7 月 1 日—9 月 29 日

    @property
    def label(self) -> str:
        return f"附件 {self.number}"

    @property
    def empty(self) -> bool:
        return not any(group.rows for group in self.groups)


class NoticeDocument(Frozen):
    issuer: str  # 发文机关标志, the red header
    document_number: str
    title: str
    recipients: str  # 主送, with its colon
    opening: str
    sections: list[Section]
    closing: str
    attachment_list: list[str]  # 1．2022年三季度全市普查不合格网站名单
    signed_on: str  # 成文日期: 2022 年 10 月 7 日
    public_note: str  # （此件公开发布）or empty
    attachments: list[Attachment]
    cc: str  # 抄送：…。 or empty
    printed_by: str
    printed_on: str  # 2022年10月7日印发


def rows_of(listed: list[ListedTarget]) -> list[Row]:
    return [Row(serial=r.serial, county=r.county, name=r.name, problems="；".join(r.problems)) for r in listed]


def section(heading: str, paragraphs: list[drafting.Paragraph], extra: list[Paragraph]) -> Section:
    return Section(heading=heading, paragraphs=[Paragraph(lead=p.heading, text=p.text) for p in paragraphs] + extra)


def overview_section(numbers: NoticeNumbers, profile: NoticeProfile) -> Section:
    extra = []
    if note := drafting.insufficient_note(numbers):
        extra.append(Paragraph(text=note, style="note"))
    if profile.overview_remarks:
        extra.append(Paragraph(text=profile.overview_remarks))
    return section("一、总体情况", drafting.overview(numbers), extra)


def problems_section(numbers: NoticeNumbers) -> Section:
    drafted = drafting.problems(numbers)
    none = [] if drafted else [Paragraph(text="本次检查未发现不合格政府网站和政府系统政务新媒体。")]
    return section("二、存在问题", drafted, none)


def attachments(numbers: NoticeNumbers) -> list[Attachment]:
    first, second = drafting.attachment_titles(numbers)
    window = f"监测数据采集时间：{month_day(numbers.window_start)}—{month_day(numbers.monitoring_date)}"
    websites = [RowGroup(label="", rows=rows_of(numbers.website_rows))]
    accounts = [RowGroup(label=g.platform, rows=rows_of(g.rows)) for g in numbers.account_groups]
    return [
        Attachment(
            number=1, title=first, columns=["序号", "县（区）", "网站名称", "存在问题"], groups=websites, window=window
        ),
        Attachment(
            number=2,
            title=second,
            columns=["序号", "县（区）", "政务新媒体名称", "存在问题"],
            groups=accounts,
            window=window,
        ),
    ]


def build_document(numbers: NoticeNumbers, profile: NoticeProfile) -> NoticeDocument:
    """The same numbers and profile always give the same document: no clock, no unordered iteration."""
    annexes = attachments(numbers)
    return NoticeDocument(
        issuer=profile.issuer,
        document_number=profile.document_number,
        title=drafting.title(profile, numbers),
        recipients="，".join(profile.recipients) + "：",
        opening=drafting.opening(profile, numbers),
        sections=[
            overview_section(numbers, profile),
            problems_section(numbers),
            section("三、工作要求", drafting.requirements(profile, numbers), []),
        ],
        closing=drafting.closing(profile, numbers),
        attachment_list=[f"{a.number}．{a.title}" for a in annexes],
        signed_on=full_date(profile.issue_date),
        public_note="（此件公开发布）" if profile.public else "",
        attachments=annexes,
        cc=f"抄送：{'，'.join(profile.cc)}。" if profile.cc else "",
        printed_by=profile.issuer,
        printed_on=f"{compact_date(profile.printed_on or profile.issue_date)}印发",
    )
