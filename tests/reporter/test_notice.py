"""The notice rendered from plain values: the seed's structure, its phrases, and the same bytes every time."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser

from services.reporter.render import render_notice
from services.reporter.stats import InteractionTally, NoticeNumbers, Rounding, compute_numbers
from shared.events import Outcome
from tests.reporter.builders import MESSAGES, Q3, Seed, lincang_profile, verdict, website


def seed_numbers(rounding: Rounding = "truncate") -> NoticeNumbers:
    seed = Seed()
    return compute_numbers(
        Q3, seed.targets, seed.units, seed.verdicts, seed.cases, rounding=rounding, previous_known=True
    )


class TextOf(HTMLParser):
    """The printed text, one block per line, the way a reader sees it."""

    BLOCKS = frozenset({"p", "h1", "h2", "tr", "section", "div"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skip = tag in ("style", "title")
        if tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.skip = False
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data.strip())


def text_of(html: str) -> list[str]:
    parser = TextOf()
    parser.feed(html)
    return [line.strip() for line in "".join(parser.parts).splitlines() if line.strip()]


def test_the_seed_notice_has_the_seeds_structure_in_order() -> None:
    lines = text_of(render_notice(seed_numbers(), lincang_profile()))
    expected = [
        "临政办字〔2022〕111号",
        "临沧市人民政府办公室关于2022年三季度全市政府网站和政府系统政务新媒体检查情况的通报",
        "各县、自治县、区人民政府，市直各委、办、局：",
        "一、总体情况",
        "二、存在问题",
        "三、工作要求",
        "附件：1．2022年三季度全市普查不合格网站名单",
        "2．2022年三季度全市抽查不合格政府系统政务新媒体名单",
        "2022 年 10 月 7 日",
        "（此件公开发布）",
        "附件 1",
        "附件 2",
        "抄送：市委各部门，市人大常委会办公室，市政协办公室，市监委，市法院，市检察院。",
    ]
    positions = [lines.index(line) for line in expected]
    assert positions == sorted(positions)


def test_the_overview_prints_the_seeds_sentences_with_the_computed_numbers() -> None:
    text = "\n".join(text_of(render_notice(seed_numbers("truncate"), lincang_profile())))
    assert (
        "（一）2022 年二季度通报问题整改情况。经查，2022 年第二季度发现的 1 个问题网站、5 个问题专栏、"
        "3 个不合格政府系统政务新媒体均已整改完成。"
    ) in text
    assert (
        "（二）三季度政府网站普查情况。2022 年三季度，全市在“全国政府网站信息报送系统”中登记在运行政府网站 9 个，"
        "市级部门信息公开专栏 39 个。市级抽查发现不合格政府网站 1 个，合格率 88.88%；市级专栏合格率 100%。"
    ) in text
    assert (
        "（三）三季度政府系统政务新媒体抽查情况。按照政府系统政务新媒体管理相关要求，三季度新增登记政府系统政务新媒体 9 个。"
        "目前，全市在运行政府系统政务新媒体 251 个，市级抽查发现不合格政务新媒体 4 个，合格率为 98.40%。"
    ) in text
    assert "网民留言办理情况" not in text  # no interaction data in this slice
    assert "数据不足" not in text


def test_one_rounding_rule_holds_for_the_whole_document() -> None:
    text = "".join(text_of(render_notice(seed_numbers("half_up"), lincang_profile())))
    assert "合格率 88.89%" in text
    assert "合格率为 98.41%" in text
    assert "88.88" not in text


def test_the_problems_name_example_sites_and_accounts_as_the_seed_does() -> None:
    text = "\n".join(text_of(render_notice(seed_numbers(), lincang_profile())))
    assert "（一）互动回应方面。" in text
    assert "如：“镇康县人民政府”网站。" in text
    assert "（二）政务新媒体方面。一是个别僵尸账号未及时注销，如：微信公众号“沧源县人社局”；二是" in text
    assert "如：微信公众号“云县教育体育局”。" in text


def test_the_requirements_end_with_the_rectification_deadline() -> None:
    text = "\n".join(text_of(render_notice(seed_numbers(), lincang_profile())))
    assert "（一）落实主体责任。" in text
    assert "围绕 2022 年云南省政务公开工作要点及临沧市贯彻落实 2022 年云南省政务公开工作要点责任分解" in text
    assert (
        "被通报为三季度不合格的政府网站、政务新媒体，要举一反三，及时整改，"
        "于 2022 年 10 月 14 日前将整改情况报市政府办公室。"
    ) in text
    assert "临沧市人民政府办公室2022年10月7日印发" in text


def test_the_attachments_list_targets_in_administrative_order_under_platform_headings() -> None:
    lines = text_of(render_notice(seed_numbers(), lincang_profile()))
    first = lines[lines.index("附件 1") :]
    assert first[2:4] == ["序号 县（区） 网站名称 存在问题", "1 镇康县 镇康县人民政府 留言未及时办理"]
    second = lines[lines.index("附件 2") :]
    assert second[3:8] == [
        "微信公众号",
        "1 云县 云县教育体育局 内容长期不更新",
        "2 镇康县 镇康司法行政 内容长期不更新",
        "3 沧源自治县 世界佤乡秘境沧源 内容长期不更新",
        "4 沧源自治县 沧源县人社局 未及时注销",
    ]
    assert lines.count("监测数据采集时间：7 月 1 日—9 月 29 日") == 2


def test_the_same_inputs_give_the_same_bytes_whatever_their_order() -> None:
    seed = Seed()
    first = render_notice(seed_numbers(), lincang_profile())
    shuffled = seed.targets, seed.verdicts, seed.units
    for items in shuffled:
        random.Random(7).shuffle(items)
    again = compute_numbers(
        Q3, shuffled[0], shuffled[2], shuffled[1], seed.cases, rounding="truncate", previous_known=True
    )
    assert render_notice(again, lincang_profile()).encode() == first.encode()
    assert not re.search(r"\d{2}:\d{2}:\d{2}", first)


def test_names_from_the_data_are_escaped() -> None:
    site = website("w1", "<script>alert(1)</script>", "云县")
    numbers = compute_numbers(Q3, [site], [], [verdict(site, Outcome.unqualified, (MESSAGES,))])
    html = render_notice(numbers, lincang_profile())
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_targets_without_a_conclusion_are_stated_in_a_note() -> None:
    sites = [website(f"w{i}", f"网站{i}", "云县") for i in range(3)]
    verdicts = [verdict(sites[0], Outcome.insufficient), verdict(sites[1], Outcome.qualified)]
    text = "".join(text_of(render_notice(compute_numbers(Q3, sites, [], verdicts), lincang_profile())))
    assert "注：另有 2 个政府网站因监测数据不足暂未作出合格判定，未计入不合格数量" in text
    assert "未发现不合格政府网站，合格率 100%" in text


def test_the_interaction_paragraph_appears_only_with_interaction_data() -> None:
    numbers = seed_numbers().model_copy(update={"interaction": InteractionTally(platforms=10, messages=119, overdue=2)})
    text = "".join(text_of(render_notice(numbers, lincang_profile())))
    assert (
        "（四）网民留言办理情况。全市开设网民留言平台的政府网站和专栏共 10 个，2022 年第三季度全市共接到网民留言 119 条，"
        "逾期答复 2 条。"
    ) in text


def test_a_quarter_without_findings_says_so_and_lists_none() -> None:
    site = website("w1", "云县人民政府", "云县")
    numbers = compute_numbers(Q3, [site], [], [verdict(site, Outcome.qualified)])
    lines = text_of(render_notice(numbers, lincang_profile(public=False)))
    assert "本次检查未发现不合格政府网站和政府系统政务新媒体。" in lines
    assert lines.count("无") == 2
    assert "（此件公开发布）" not in lines
    assert "（一）2022 年二季度通报问题整改情况。2022 年第二季度无检查记录，不涉及通报问题整改。" in lines
