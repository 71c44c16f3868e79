"""The overview's SVG charts: plain values in, SVG text out; read back with an XML parser, no fixtures."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal
from itertools import pairwise

from services.console.charts import Series, bar_chart, line_chart, percent

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_a_rate_prints_with_two_decimals_and_a_missing_one_as_no_data() -> None:
    assert percent(Decimal("72.73")) == "72.73%"
    assert percent(100) == "100.00%"
    assert percent(None) == "无数据"


def test_bar_chart_prints_every_value_on_its_bar_with_chinese_labels_in_the_order_given() -> None:
    svg = bar_chart(
        "by-county",
        "各县（区）合格率",
        ["翠湖区", "松溪县", "市直"],
        [Series("网站", [Decimal("50.00"), Decimal("100.00"), None]), Series("栏目", [Decimal("90.00"), None, 75])],
    )
    found = texts(svg)
    assert found.index("翠湖区") < found.index("松溪县") < found.index("市直")
    values = [t for t in found if t.endswith("%") or t == "无数据"]
    assert values == ["50.00%", "90.00%", "100.00%", "无数据", "无数据", "75.00%"]
    assert {"网站", "栏目"} <= set(found)


def test_bar_lengths_are_proportional_to_the_rates() -> None:
    svg = bar_chart("b", "t", ["甲", "乙"], [Series("网站", [Decimal("100"), Decimal("25")])], width=640)
    bars = [r for r in ET.fromstring(svg).iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    widths = [float(r.get("width", "0")) for r in bars]
    assert widths[0] == 4 * widths[1] > 0


def test_a_chart_is_an_accessible_image_whose_description_states_every_value() -> None:
    svg = bar_chart(
        "p", "各平台政务新媒体合格率", ["微信公众号", "微博"], [Series("政务新媒体", [Decimal("88.57"), 100])]
    )
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "p-title p-desc"
    assert root.findtext(f"{SVG}title") == "各平台政务新媒体合格率"
    assert root.findtext(f"{SVG}desc") == "微信公众号：政务新媒体 88.57%；微博：政务新媒体 100.00%。"


def test_the_same_data_draws_the_same_svg_byte_for_byte() -> None:
    def draw() -> str:
        return line_chart(
            "trend", "合格率走势", ["2022Q2", "2022Q3"], [Series("网站", [Decimal("80"), Decimal("72.73")])]
        )

    assert draw() == draw()


def test_the_line_chart_labels_each_period_and_prints_each_point_and_skips_missing_ones() -> None:
    svg = line_chart(
        "trend",
        "合格率走势",
        ["2022Q1", "2022Q2", "2022Q3"],
        [Series("网站", [Decimal("90"), None, Decimal("72.73")]), Series("政务新媒体", [None, Decimal("95"), 100])],
    )
    root = ET.fromstring(svg)
    found = texts(svg)
    assert {"2022Q1", "2022Q2", "2022Q3", "90.00%", "72.73%", "95.00%", "100.00%"} <= set(found)
    assert len(list(root.iter(f"{SVG}circle"))) == 4
    # 网站 has a gap in 2022Q2, so no line joins 2022Q1 to 2022Q3; 政务新媒体 joins its two points.
    assert len(list(root.iter(f"{SVG}polyline"))) == 1


def test_names_are_escaped_so_no_label_can_break_the_markup() -> None:
    svg = bar_chart("x", "<script>", ["A&B"], [Series("网站", [50])])
    root = ET.fromstring(svg)
    assert root.findtext(f"{SVG}title") == "<script>" and "A&B" in texts(svg)


def test_an_empty_chart_says_there_is_no_data() -> None:
    assert "暂无数据" in texts(bar_chart("e", "各县（区）合格率", [], [Series("网站", [])]))
    assert "暂无数据" in texts(line_chart("e", "合格率走势", [], [Series("网站", [])]))


def test_close_rates_of_one_period_print_their_values_apart_not_over_each_other() -> None:
    svg = line_chart(
        "t",
        "合格率走势",
        ["2022Q3"],
        [
            Series("网站", [Decimal("66.67")]),
            Series("栏目", [Decimal("71.43")]),
            Series("政务新媒体", [Decimal("61.54")]),
        ],
    )
    values = [
        t for t in ET.fromstring(svg).iter(f"{SVG}text") if (t.text or "").endswith("%") and "." in (t.text or "")
    ]
    ys = sorted(float(t.get("y", "0")) for t in values)
    assert len(ys) == 3 and all(b - a >= 12 for a, b in pairwise(ys))
