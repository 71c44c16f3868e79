"""整改 in a real browser: the board after a round, a unit acknowledging and reporting, another unit kept out.

After a round of tests/e2e/notice.yaml, 松溪县人民政府's portal (unit sx-gov) has a case for its stale homepage and
梅岭发布 (ml-gov) one for its silent 微博. The console's clock is the wall clock, so every case of 2022 waiting
for its unit is past its deadline and shown as 超期.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import BrowserContext, FilePayload, Page, expect

from tests.conftest import wait_until
from tests.console.conftest import ADMIN, MEILING, SONGXI, ConsoleStack, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # what the notifier stores; its bytes must come back the same


async def songxi_homepage_case(stack: ConsoleStack, status: str = "notified") -> dict[str, Any]:
    """The portal's homepage case, once the notifier has it in ``status`` (the notice e-mail went out)."""

    async def found() -> dict[str, Any] | None:
        got = await stack.http.get(f"{stack.notifier}/cases", params={"period_id": "2022Q3"}, headers=stack.admin)
        return next(
            (
                c
                for c in got.json()
                if c["target_id"] == "songxi-portal" and "首页" in c["problem"] and c["status"] == status
            ),
            None,
        )

    case = await wait_until(found, timeout=60, interval=0.2, what=f"the homepage case {status}")
    assert case is not None
    return case


async def signed_in(browser: BrowserContext, username: str, password: str, path: str) -> Page:
    page = await browser.new_page()
    await login(page, username, password, path)
    return page


async def test_the_board_shows_a_rounds_case_under_its_state_overdue_highlighted_and_filters_by_county(
    browser: BrowserContext, console_stack: ConsoleStack
) -> None:
    await console_stack.run_round()
    case = await songxi_homepage_case(console_stack)
    page = await signed_in(browser, ADMIN.username, ADMIN.password, "/cases")

    card = page.locator(f'[data-state="notified"] [data-case-id="{case["case_id"]}"]')
    await expect(card).to_contain_text("松溪县人民政府")
    await expect(card).to_contain_text("首页长期不更新")
    await expect(card).to_have_class(re.compile(r"\bis-overdue\b"))  # deadline in 2022, the clock in the present
    await expect(page.locator('[data-state="notified"] h2')).to_contain_text("已通知")
    assert int(await page.locator("#total-overdue").inner_text()) >= 1

    # Filtered to 梅岭县 the card is gone, and 梅岭发布's case is there.
    await page.locator("#filter-county").select_option("梅岭县")
    await page.get_by_role("button", name="筛选").click()
    await expect(page).to_have_url(re.compile(r"county=%E6%A2%85%E5%B2%AD%E5%8E%BF"))
    await expect(page.locator(f'[data-case-id="{case["case_id"]}"]')).to_have_count(0)
    await expect(page.locator(".case-card", has_text="梅岭发布").first).to_be_visible()

    # The case page: target, problem, deadline and its source, the timeline and the notice e-mail sent.
    await page.goto(f"/cases/{case['case_id']}")
    await expect(page.locator("#case-state")).to_have_text("已通知")
    await expect(page.locator("#case-deadline")).to_contain_text("自立案之日")
    await expect(page.locator("#timeline")).to_contain_text("已发送整改通知")
    mail = page.locator("#deliveries tr", has_text="sxxzf@example.gov.cn")
    await expect(mail.first).to_contain_text("电子邮件")
    await expect(mail.first).to_contain_text("已发送")

    # Another unit's user: the board shows only its own cases, the songxi case by URL is refused.
    await page.get_by_role("button", name="退出").click()
    await login(page, MEILING.username, MEILING.password, "/cases")
    await expect(page.locator(".case-card", has_text="梅岭发布").first).to_be_visible()
    await expect(page.locator(".case-card", has_text="松溪")).to_have_count(0)
    response = await page.goto(f"/cases/{case['case_id']}")
    assert response is not None and response.status == 403
    await expect(page.locator(".error-page h1")).to_have_text("无权访问")
    await expect(page.locator(".error-message")).to_contain_text("无权")

    # The notifier's deliveries of one case keep its scope: another unit's token is refused, the admin's lists them.
    stack = console_stack
    credentials = {"username": MEILING.username, "password": MEILING.password}
    issued = await stack.http.post(f"{stack.registry}/auth/login", json=credentials)
    meiling = {"Authorization": f"Bearer {issued.json()['token']}"}
    deliveries = f"{stack.notifier}/cases/{case['case_id']}/deliveries"
    assert (await stack.http.get(deliveries, headers=meiling)).status_code == 403
    listed = (await stack.http.get(deliveries, headers=stack.admin)).json()
    assert any(d["recipient"] == "sxxzf@example.gov.cn" and d["status"] == "sent" for d in listed)


async def test_a_unit_user_acknowledges_and_reports_with_an_attachment_and_the_case_goes_to_recheck(
    browser: BrowserContext, console_stack: ConsoleStack
) -> None:
    await console_stack.run_round()
    case = await songxi_homepage_case(console_stack)
    page = await signed_in(browser, SONGXI.username, SONGXI.password, f"/cases/{case['case_id']}")

    await page.get_by_role("button", name="签收", exact=True).click()
    await expect(page.locator("#flash")).to_contain_text("已签收")
    await expect(page.locator("#case-state")).to_have_text("已签收")
    await expect(page.locator("#timeline")).to_contain_text("单位签收")

    # A file the notifier does not take: its reason in Chinese, the text kept for a second try.
    text = "首页已于10月9日更新，并建立每周更新制度，指定专人负责。"
    await page.get_by_label(re.compile("问题原因和整改措施")).fill(text)
    await page.locator("#rectification-files").set_input_files(
        files=[FilePayload(name="说明.txt", mimeType="text/plain", buffer="不是允许的类型".encode())]
    )
    await page.get_by_role("button", name="报送", exact=True).click()
    await expect(page.locator("#case-error")).to_contain_text("类型不受支持")
    await expect(page.get_by_label(re.compile("问题原因和整改措施"))).to_have_value(text)
    await expect(page.locator("#case-state")).to_have_text("已签收")

    await page.locator("#rectification-files").set_input_files(
        files=[FilePayload(name="整改后首页截图.png", mimeType="image/png", buffer=PNG)]
    )
    await page.get_by_role("button", name="报送", exact=True).click()
    await expect(page.locator("#flash")).to_contain_text("整改情况已报送")
    # Reported and a re-check asked at once: 复查中 until the evaluator answers (then 已整改 or back to 待整改).
    await expect(page.locator("#timeline")).to_contain_text("单位报送整改情况")
    await expect(page.locator("#timeline")).to_contain_text("发起复查")
    await expect(page.locator("#case-state")).to_have_text(re.compile("复查中|待整改|已整改"))
    await expect(page.locator("#case-report")).to_contain_text(text)

    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="整改后首页截图.png").click()
    download = await downloading.value
    assert download.suggested_filename == "整改后首页截图.png"
    path = await download.path()
    assert path is not None and path.read_bytes() == PNG

    stored = (
        await console_stack.http.get(f"{console_stack.notifier}/cases/{case['case_id']}", headers=console_stack.admin)
    ).json()
    actions = [e["action"] for e in stored["timeline"]]
    assert actions[:4] == ["notified", "acknowledged", "submitted", "verifying"]
    assert stored["report"]["submitted_by"] == SONGXI.username
