"""The overview (总览) in a real browser after a round of tests/e2e/notice.yaml: the charts' numbers read from the SVG
text against the simulator's ground truth, open cases by state and the warnings as the services hold them."""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from playwright.async_api import BrowserContext, Page, expect

from services.notifier.models import CaseStatus
from shared.events import Outcome, TargetType
from simulator.truth import expected_outcomes
from tests.console.conftest import ADMIN, SCENARIO, SONGXI, ConsoleStack, login

KINDS = {TargetType.website: "网站", TargetType.column: "栏目", TargetType.account: "政务新媒体"}


def rate(running: int, unqualified: int) -> str:
    share = Decimal(running - unqualified) * 100 / Decimal(running)
    return f"{share.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def expected_by(group: str) -> dict[tuple[str, str], str]:
    """(county or platform, kind label) → the rate the ground truth gives, for every group with a running target."""
    platforms = {a.id: a.platform for a in SCENARIO.accounts}
    running: Counter[tuple[str, str]] = Counter()
    failed: Counter[tuple[str, str]] = Counter()
    for e in expected_outcomes(SCENARIO).values():
        if not e.running or e.target_type not in KINDS:
            continue
        if group == "platform" and e.target_type is not TargetType.account:
            continue
        key = (e.county if group == "county" else platforms[e.target_id], KINDS[e.target_type])
        running[key] += 1
        failed[key] += e.outcome is Outcome.unqualified
    return {key: rate(n, failed[key]) for key, n in running.items()}


async def chart_texts(page: Page, chart_id: str) -> list[str]:
    texts: list[str] = await page.locator(f"svg#{chart_id} text").all_text_contents()
    return [t.strip() for t in texts]


async def bar_values(page: Page, chart_id: str) -> dict[tuple[str, str], str]:
    """Each bar's (category, series) → the value printed beside it, read from the bars' own <title>s."""
    titles = await page.locator(f"svg#{chart_id} rect > title").all_text_contents()
    found = {}
    for title in titles:
        category, series, value = title.split(" ")
        found[(category, series)] = value
    return found


async def api(stack: ConsoleStack, service: str, path: str, **params: Any) -> Any:
    response = await stack.http.get(f"{getattr(stack, service)}{path}", params=params, headers=stack.admin)
    assert response.status_code == 200, response.text
    return response.json()


async def test_after_a_round_the_overview_shows_the_rates_by_county_and_platform_the_cases_and_the_warnings(
    browser: BrowserContext, console_stack: ConsoleStack
) -> None:
    await console_stack.run_round()
    page = await browser.new_page()
    await login(page, ADMIN.username, ADMIN.password)
    await expect(page.get_by_role("heading", name="总览 · 2022Q3")).to_be_visible()

    # The three rates of the notice, the seed notice's shape in miniature (tests/e2e/notice.yaml).
    tallies = page.locator(".tally .stat")
    await expect(tallies).to_have_text(["66.67%", "71.43%", "61.54%"])
    trend = await chart_texts(page, "chart-trend")
    assert {"2022Q2", "2022Q3", "66.67%", "71.43%", "61.54%"} <= set(trend)  # 2022Q2 has no verdicts: no point
    county = await bar_values(page, "chart-counties")
    truth = expected_by("county")
    assert {key: county[key] for key in truth} == truth
    assert {value for key, value in county.items() if key not in truth} <= {"无数据"}  # e.g. 梅岭县 has no column
    assert county[("市直", "网站")] == "100.00%" and county[("松溪县", "网站")] == "50.00%"
    counties = [t for t in await chart_texts(page, "chart-counties") if t in {"松溪县", "梅岭县", "白沙自治县", "市直"}]
    assert counties == ["松溪县", "梅岭县", "白沙自治县", "市直"]  # administrative order, 市直 last
    assert await bar_values(page, "chart-platforms") == {
        (platform, "政务新媒体"): value for (platform, _), value in expected_by("platform").items()
    }
    assert [t for t in await chart_texts(page, "chart-platforms") if t in {"微信公众号", "微博", "抖音"}] == [
        "微信公众号",
        "微博",
        "抖音",
    ]
    title = page.locator("svg#chart-counties > title")
    await expect(title).to_have_text("2022Q3 各县（区）合格率")

    # Open cases by state, as the notifier holds them; nothing is resolved after one round.
    cases = await api(console_stack, "notifier", "/cases", period_id="2022Q3")
    assert len(cases) >= 9  # at least one case per unqualified target
    states = Counter(c["status"] for c in cases)
    await expect(page.locator(".open-total")).to_have_text(str(len(cases)))
    for status in (CaseStatus.open, CaseStatus.notified, CaseStatus.overdue):
        await expect(page.locator(f'tr[data-status="{status.value}"] td.num')).to_have_text(str(states[status.value]))

    # The warnings the evaluator holds, under their targets' names.
    warnings = await api(console_stack, "evaluator", "/warnings", period_id="2022Q3")
    assert warnings, "the scenario has a homepage 14 days old: a warning before the veto line"
    shown = page.locator(".warning-list li")
    await expect(shown).to_have_count(min(len(warnings), 10))
    first = warnings[0]
    target = await api(console_stack, "registry", f"/targets/{first['target_id']}")
    item = shown.filter(has_text=target["name"]).filter(has_text=first["label"])
    await expect(item.first).to_be_visible()

    # The round, every probe observed; probing keeps up (nothing left in PROBES).
    row = page.locator('tr[data-round="round-2022Q3"] td')
    await expect(row.nth(7)).to_have_text("已完成")
    assert await row.nth(3).inner_text() == await row.nth(5).inner_text()
    await expect(page.locator("#rounds .notice")).to_contain_text("采集跟得上")

    # A unit user sees its own unit's cases, no city-wide rates and no rounds.
    other = await browser.new_page()
    await browser.clear_cookies()
    await login(other, SONGXI.username, SONGXI.password)
    await expect(other.get_by_role("heading", name="总览 · 2022Q3")).to_be_visible()
    own = [c for c in cases if c["unit_id"] == SONGXI.unit_id]
    assert own, "松溪县人民政府's portal fails twice"
    await expect(other.locator(".open-total")).to_have_text(str(len(own)))
    await expect(other.locator("#rates")).to_have_count(0)
    await expect(other.locator("#rounds")).to_have_count(0)
    for w in warnings:
        named = await api(console_stack, "registry", f"/targets/{w['target_id']}")
        if named["unit_id"] != SONGXI.unit_id:
            await expect(other.locator(".warning-list li").filter(has_text=named["name"])).to_have_count(0)
