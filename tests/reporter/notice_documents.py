"""Notice documents for the format tests: the Lincang seed's, one with long lists, one with an empty list."""

from __future__ import annotations

from services.reporter.document import Attachment, NoticeDocument, Row, RowGroup, build_document
from services.reporter.stats import compute_numbers
from tests.reporter.builders import Q3, Seed, lincang_profile

COUNTIES = ("临翔区", "凤庆县", "云县", "永德县", "镇康县", "双江自治县", "耿马自治县", "沧源自治县")


def seed_document() -> NoticeDocument:
    seed = Seed()
    numbers = compute_numbers(
        Q3, seed.targets, seed.units, seed.verdicts, seed.cases, rounding="truncate", previous_known=True
    )
    return build_document(numbers, lincang_profile())


def long_document(rows: int) -> NoticeDocument:
    """The seed's notice with `rows` listed targets: half websites, half accounts on two platforms."""
    doc = seed_document()
    websites, accounts = doc.attachments
    sites = [
        Row(serial=n, county=COUNTIES[n % len(COUNTIES)], name=f"测试第{n}号政府网站", problems="首页栏目长期不更新")
        for n in range(1, rows // 2 + 1)
    ]
    groups, serial = [], 0
    for platform in ("微信公众号", "新浪微博"):
        listed = []
        for _ in range(rows // 4):
            serial += 1
            listed.append(Row(serial=serial, county=COUNTIES[serial % 3], name=f"账号{serial}", problems="未及时注销"))
        groups.append(RowGroup(label=platform, rows=listed))
    return with_attachments(
        doc,
        websites.model_copy(update={"groups": [RowGroup(label="", rows=sites)]}),
        accounts.model_copy(update={"groups": groups}),
    )


def empty_document() -> NoticeDocument:
    """A quarter in which nothing failed: both lists are empty."""
    doc = seed_document()
    websites, accounts = doc.attachments
    return with_attachments(
        doc,
        websites.model_copy(update={"groups": [RowGroup(label="", rows=[])]}),
        accounts.model_copy(update={"groups": []}),
    )


def with_attachments(doc: NoticeDocument, *attachments: Attachment) -> NoticeDocument:
    return doc.model_copy(update={"attachments": list(attachments)})


def listed(annex: Attachment) -> list[list[str]]:
    """What a reader sees in an attachment's table below its header, line by line: platform rows, then rows."""
    lines: list[list[str]] = []
    for group in annex.groups:
        if group.label:
            lines.append([group.label])
        lines.extend(row.cells for row in group.rows)
    return lines
