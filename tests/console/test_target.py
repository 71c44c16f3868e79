"""A target's page in a real browser: the verdict with its explanation, the observations, the evidence as the prober
saw it with its dates marked, and a unit user who cannot open another unit's target by URL."""

from __future__ import annotations

import re

from playwright.async_api import Browser, BrowserContext, expect

from tests.console.conftest import ADMIN, MEILING, SONGXI, ConsoleStack, login


async def test_a_failing_target_shows_its_verdict_observations_and_the_evidence_with_the_newest_date_marked(
    browser: BrowserContext, chromium: Browser, console_stack: ConsoleStack
) -> None:
    await console_stack.run_round()
    page = await browser.new_page()
    await login(page, ADMIN.username, ADMIN.password, "/inventory?outcome=unqualified&type=website")
    await expect(page.locator("#targets")).to_contain_text("首页长期不更新")
    await page.locator('#targets a[href="/targets/songxi-portal"]').click()

    await expect(page.get_by_role("heading", name="松溪县人民政府", level=1)).to_be_visible()
    await expect(page.locator("#verdict")).to_contain_text("不合格")
    stale = page.locator("#indicators tr.failed", has_text="首页长期不更新")
    await expect(stale).to_have_count(1)
    explanation = await stale.locator("td.explanation").inner_text()
    assert "已25天未更新" in explanation, explanation  # what the unit has to act on
    await expect(page.locator("#indicators")).to_contain_text("站点无法访问")
    await expect(page.locator("#target-facts")).to_contain_text("5399230001")
    await expect(page.locator("#versions")).to_contain_text("首次登记")

    await page.get_by_label("检查项").select_option("homepage")
    await page.get_by_role("button", name="筛选").click()
    rows = page.locator("#observation-list tbody tr")
    await expect(rows.first).to_contain_text("最新信息 2022-09-04")  # 25 days before the monitoring point
    assert {await r.get_attribute("data-kind") for r in await rows.all()} == {"homepage"}
    await rows.get_by_role("link", name="查看页面").first.click()

    await expect(page.locator("#newest-date")).to_have_text("2022年9月4日")
    await expect(page.locator("#dated-items li.newest").first).to_contain_text("2022年9月4日")
    frame = page.frame_locator("#evidence-frame")
    newest = frame.locator("mark.xj-newest")
    await expect(newest.first).to_be_visible()
    assert re.fullmatch(r"2022\s*年\s*0?9\s*月\s*0?4\s*日?", (await newest.first.inner_text()).strip())
    assert await page.locator("#evidence-frame").get_attribute("sandbox") == ""

    # The archived copy is served to run nothing and load nothing, and only to someone who may see the target.
    src = str(await page.locator("#evidence-frame").get_attribute("src"))
    served = await page.request.get(src)
    assert served.ok and served.headers["content-type"].startswith("text/html")
    assert served.headers["content-security-policy"].startswith("sandbox;")
    assert "default-src 'none'" in served.headers["content-security-policy"]
    other = await chromium.new_context(base_url=console_stack.console)
    try:
        stranger = await other.new_page()
        await login(stranger, MEILING.username, MEILING.password, "/")
        refused = await stranger.request.get(src)
        assert refused.status == 403 and "松溪" not in await refused.text()
    finally:
        await other.close()


async def test_a_unit_user_opening_another_units_target_by_url_gets_the_403_page_and_none_of_its_data(
    browser: BrowserContext,
) -> None:
    page = await browser.new_page()
    await login(page, MEILING.username, MEILING.password, "/")
    answer = await page.goto("/targets/songxi-portal")
    assert answer is not None and answer.status == 403
    await expect(page.get_by_role("heading", name="无权访问")).to_be_visible()
    await expect(page.locator(".error-message")).to_contain_text("无权")
    html = await page.content()
    for secret in ("松溪", "songxi-portal/", "5399230001", "sx-gov"):
        assert secret not in html, secret
    for path in ("/targets/songxi-portal/observations/x", "/targets/songxi-portal/observations/x/page"):
        refused = await page.request.get(path)
        assert refused.status == 403 and "松溪" not in await refused.text()

    own = await browser.new_page()
    await browser.clear_cookies()
    await login(own, SONGXI.username, SONGXI.password, "/targets/songxi-portal")
    await expect(own.get_by_role("heading", name="松溪县人民政府", level=1)).to_be_visible()
    await expect(own.locator("#verdict")).to_contain_text("尚无判定")  # no round has run
