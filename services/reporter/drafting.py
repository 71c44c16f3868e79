"""The notice's sentences, drafted from its numbers in the wording the notices use (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.reporter.chinese import full_date, ordinal, percent, quarter_name
from services.reporter.profile import NoticeProfile, Requirement
from services.reporter.stats import (
    Example,
    NoticeNumbers,
    ProblemCategory,
    Rectification,
    Tally,
    TypeCounts,
    split_period,
)
from shared.events import TargetType


@dataclass(frozen=True)
class Paragraph:
    heading: str  # printed bold-ish before the text, e.g. （一）互动回应方面。
    text: str


def survey_word(numbers: NoticeNumbers) -> str:
    """普查 unless websites or columns were sampled this period (a spot check may sample new media only)."""
    sampled = numbers.websites.checked is not None or numbers.columns.checked is not None
    return "抽查" if numbers.mode == "spot_check" and sampled else "普查"


def sampled_part(tally: Tally, what: str) -> str:
    """「抽查政府网站 5 个，」 when the type was sampled; nothing when it was checked in full."""
    return "" if tally.checked is None else f"{what} {tally.checked} 个，"


def this_quarter(numbers: NoticeNumbers) -> str:
    return quarter_name(numbers.quarter)


# --- 一、总体情况 -------------------------------------------------------------------------------------------------


def counted(counts: TypeCounts) -> str:
    """1 个问题网站、5 个问题专栏、3 个不合格政府系统政务新媒体 (only the kinds that occur)."""
    parts = [
        (counts.websites, "问题网站"),
        (counts.columns, "问题专栏"),
        (counts.accounts, "不合格政府系统政务新媒体"),
    ]
    return "、".join(f"{n} 个{what}" for n, what in parts if n)


def previous_heading(previous: Rectification) -> str:
    year, quarter = split_period(previous.period_id)
    return f"{year} 年{quarter_name(quarter)}通报问题整改情况。"


def previous_text(previous: Rectification) -> str:
    year, quarter = split_period(previous.period_id)
    when = f"{year} 年第{quarter_name(quarter)}"
    found, done = previous.found, previous.rectified
    if not found.total:
        if not previous.known:
            return f"{when}无检查记录，不涉及通报问题整改。"
        return f"经查，{when}未发现问题网站、问题专栏和不合格政府系统政务新媒体，不涉及整改。"
    if done == found:
        return f"经查，{when}发现的 {counted(found)}均已整改完成。"
    pending = TypeCounts(
        websites=found.websites - done.websites,
        columns=found.columns - done.columns,
        accounts=found.accounts - done.accounts,
    )
    if not done.total:
        return f"经查，{when}发现的 {counted(found)}均未整改完成。"
    return f"经查，{when}发现的 {counted(found)}中，已整改完成 {counted(done)}，尚有 {counted(pending)}未整改完成。"


def websites_heading(numbers: NoticeNumbers) -> str:
    return f"{this_quarter(numbers)}政府网站{survey_word(numbers)}情况。"


def websites_text(numbers: NoticeNumbers) -> str:
    sites, columns = numbers.websites, numbers.columns
    column_kind = "市级部门信息公开专栏" if numbers.all_columns_are_disclosure else "政府网站专栏"
    text = f"{numbers.year} 年{this_quarter(numbers)}，全市在“全国政府网站信息报送系统”中登记在运行政府网站 {sites.running} 个"
    text += f"，{column_kind} {columns.running} 个。" if columns.running else "。"
    findings: list[str] = []
    if sites.running:
        found = f"发现不合格政府网站 {sites.unqualified} 个" if sites.unqualified else "未发现不合格政府网站"
        findings.append(f"市级抽查{sampled_part(sites, '政府网站')}{found}，合格率 {percent(sites.pass_rate)}")
    if columns.running:
        found = f"发现不合格专栏 {columns.unqualified} 个，" if columns.unqualified else ""
        sampled = f"市级抽查专栏 {columns.checked} 个，" if columns.checked is not None else ""
        findings.append(f"{sampled}{found}市级专栏合格率 {percent(columns.pass_rate)}")
    return text + ("；".join(findings) + "。" if findings else "")


def accounts_heading(numbers: NoticeNumbers) -> str:
    return f"{this_quarter(numbers)}政府系统政务新媒体抽查情况。"


def accounts_text(numbers: NoticeNumbers) -> str:
    accounts, quarter = numbers.accounts, this_quarter(numbers)
    text = f"按照政府系统政务新媒体管理相关要求，{quarter}新增登记政府系统政务新媒体 {accounts.newly_registered} 个。"
    text += f"目前，全市在运行政府系统政务新媒体 {accounts.running} 个"
    if not accounts.running:
        return text + "。"
    found = f"发现不合格政务新媒体 {accounts.unqualified} 个" if accounts.unqualified else "未发现不合格政务新媒体"
    return text + f"，市级抽查{sampled_part(accounts, '')}{found}，合格率为 {percent(accounts.pass_rate)}。"


def interaction_paragraph(numbers: NoticeNumbers) -> Paragraph | None:
    data = numbers.interaction
    if data is None:
        return None
    return Paragraph(
        "网民留言办理情况。",
        f"全市开设网民留言平台的政府网站和专栏共 {data.platforms} 个，{numbers.year} 年第{this_quarter(numbers)}"
        f"全市共接到网民留言 {data.messages} 条，逾期答复 {data.overdue} 条。",
    )


def insufficient_note(numbers: NoticeNumbers) -> str:
    """Targets without a conclusion are said, not hidden: they are not counted as unqualified."""
    parts = [
        (numbers.websites.without_conclusion, "政府网站"),
        (numbers.columns.without_conclusion, "专栏"),
        (numbers.accounts.without_conclusion, "政务新媒体"),
    ]
    named = "、".join(f"{n} 个{what}" for n, what in parts if n)
    if not named:
        return ""
    return f"注：另有 {named}因监测数据不足暂未作出合格判定，未计入不合格数量，待补充监测后另行核定。"


def overview(numbers: NoticeNumbers) -> list[Paragraph]:
    paragraphs = [
        Paragraph(previous_heading(numbers.previous), previous_text(numbers.previous)),
        Paragraph(websites_heading(numbers), websites_text(numbers)),
        Paragraph(accounts_heading(numbers), accounts_text(numbers)),
    ]
    interaction = interaction_paragraph(numbers)
    if interaction is not None:
        paragraphs.append(interaction)
    return [Paragraph(f"（{ordinal(i)}）{p.heading}", p.text) for i, p in enumerate(paragraphs, 1)]


# --- 二、存在问题 -------------------------------------------------------------------------------------------------

WEBSITE_PROBLEMS = {
    "security": ("安全管理方面", "个别政府网站内容审核把关不严，安全防护措施落实不到位，存在{labels}等问题"),
    "availability": ("网站运行方面", "个别政府网站运行维护保障不到位，监测期间多次无法正常访问，存在{labels}等问题"),
    "updates": ("信息更新方面", "个别政府网站信息发布不及时，首页或栏目长期未更新，存在{labels}等问题"),
    "columns": ("专栏建设方面", "个别专栏日常管理不到位，内容更新不及时，存在{labels}等问题"),
    "interaction": ("互动回应方面", "个别部门和单位不重视与网民互动，互动功能管理亟待加强，存在{labels}等问题"),
    "services": ("办事服务方面", "个别政府网站政务服务功能有待提升，存在{labels}等问题"),
    "other": ("其他方面", "个别政府网站存在{labels}等问题"),
}
ACCOUNT_PROBLEMS = {
    "zombie": "个别僵尸账号未及时注销",
    "stale": "个别政务新媒体主管责任落实不到位，未严格按照“谁开设、谁主办”的原则及时更新",
    "interaction": "个别政务新媒体未提供有效互动功能，互动回应不及时",
    "security": "个别政务新媒体内容审核把关不严，存在{labels}等问题",
    "other": "个别政务新媒体存在{labels}等问题",
}


def bare(name: str, suffix: str) -> str:
    return name.removesuffix(suffix) or name


def example_text(example: Example) -> str:
    """“镇康县人民政府”网站, “X”网站“通知公告”栏目, 微信公众号“云县教育体育局”."""
    if example.target_type is TargetType.website:
        return f"“{bare(example.name, '网站')}”网站"
    if example.target_type is TargetType.column:
        column = f"“{example.name}”" if example.name.endswith(("栏目", "专栏")) else f"“{example.name}”栏目"
        return f"“{bare(example.site_name, '网站')}”网站{column}" if example.site_name else column
    return f"{example.platform}“{example.name}”"


def with_examples(text: str, category: ProblemCategory) -> str:
    text = text.format(labels="、".join(category.labels))
    if category.examples:
        text += "，如：" + "、".join(example_text(e) for e in category.examples)
    return text


def problems(numbers: NoticeNumbers) -> list[Paragraph]:
    drafted = [
        Paragraph(f"{WEBSITE_PROBLEMS[c.key][0]}。", with_examples(WEBSITE_PROBLEMS[c.key][1], c) + "。")
        for c in numbers.website_problems
    ]
    if numbers.account_problems:
        drafted.append(Paragraph("政务新媒体方面。", account_items(numbers.account_problems)))
    return [Paragraph(f"（{ordinal(i)}）{p.heading}", p.text) for i, p in enumerate(drafted, 1)]


def account_items(categories: Sequence[ProblemCategory]) -> str:
    items = [with_examples(ACCOUNT_PROBLEMS[c.key], c) for c in categories]
    if len(items) == 1:
        return items[0] + "。"
    return "；".join(f"{ordinal(i)}是{item}" for i, item in enumerate(items, 1)) + "。"


# --- 三、工作要求 and the rest ------------------------------------------------------------------------------------


def default_requirements(profile: NoticeProfile, numbers: NoticeNumbers) -> list[Requirement]:
    year, city, province = numbers.year, profile.city, profile.province
    key_points = (
        f"围绕 {year} 年{province}政务公开工作要点及{city}贯彻落实 {year} 年{province}政务公开工作要点责任分解"
        if province
        else f"围绕 {year} 年政务公开工作要点及{city}贯彻落实责任分解"
    )
    return [
        Requirement(
            heading="落实主体责任",
            text="各县（区）、市直各有关部门要加强统筹组织，切实落实主管主办责任，强化政府网站和政务新媒体常态化监管，"
            "严格落实值班读网制度，加强对政府网站和政务新媒体整体运行、栏目更新、信息内容质量、链接可用性等日常监测，"
            "及时发现并督促整改存在问题。要细化责任分工和工作流程，做实做细各个工作环节，确保常态化监管措施落实落细。",
        ),
        Requirement(
            heading="规范办事服务",
            text="各县（区）、市政务服务管理局在本月内要组织力量完成对政府网站政务服务事项进行全面排查整改，"
            "重点检查办事指南关键要素是否齐全、信息是否与实际办事要求一致、办理材料格式要求是否明确、"
            "提供下载的样表是否规范等。",
        ),
        Requirement(
            heading="强化互动交流",
            text="各县（区）、市直各有关部门要进一步畅通网上互动交流渠道，安排专人负责，及时、准确、规范答复网民留言，"
            "确保信息在规定时限内办理，积极探索多样化的互动方式，不断提升政企政民互动水平。",
        ),
        Requirement(
            heading="突出公开质效确保工作落实",
            text="各县（区）、市直各有关部门在政府网站和政务新媒体管理工作上，要结合政务公开工作，"
            f"{key_points}，结合政务公开工作中存在的突出问题认真抓好工作落实。"
            "牢固树立“今天再晚也是早、明天再早也是晚”的效率意识，结合本级本部门的工作，做实做细各个工作环节，"
            "列出任务清单，明确责任和时限，迅速高效抓好政务公开工作。",
        ),
    ]


def requirements(profile: NoticeProfile, numbers: NoticeNumbers) -> list[Paragraph]:
    chosen = profile.requirements or default_requirements(profile, numbers)
    return [Paragraph(f"（{ordinal(i)}）{r.heading}。", r.text) for i, r in enumerate(chosen, 1)]


def closing(profile: NoticeProfile, numbers: NoticeNumbers) -> str:
    return (
        f"各县（区）、市直各有关部门要认真落实工作要求，被通报为{this_quarter(numbers)}不合格的政府网站、政务新媒体，"
        f"要举一反三，及时整改，于 {full_date(profile.deadline)}前将整改情况报{profile.issuer_short}。"
    )


def title(profile: NoticeProfile, numbers: NoticeNumbers) -> str:
    return f"{profile.issuer}关于{numbers.year}年{this_quarter(numbers)}全市政府网站和政府系统政务新媒体检查情况的通报"


def opening(profile: NoticeProfile, numbers: NoticeNumbers) -> str:
    if profile.opening:
        return profile.opening
    return (
        "为持续提升全市政府网站和政府系统政务新媒体建设管理水平，根据国家、省有关通知要求，"
        f"{numbers.year} 年{this_quarter(numbers)}，{profile.issuer_short}对全市在运行政府网站和政府系统政务新媒体情况"
        f"进行了检查{'，其中' + numbers.sampling if numbers.sampling else ''}。现将检查情况通报如下："
    )


def attachment_titles(numbers: NoticeNumbers) -> tuple[str, str]:
    period = f"{numbers.year}年{this_quarter(numbers)}"
    return (
        f"{period}全市{survey_word(numbers)}不合格网站名单",
        f"{period}全市抽查不合格政府系统政务新媒体名单",
    )
