"""通报 in a real browser: the city administrator drafts, edits, previews, freezes, downloads and publishes a notice;
a second editor's stale save is refused; an auditor reads without write buttons; a unit user cannot draft.
"""

from __future__ import annotations

import asyncio
import io
import re
import zipfile
from pathlib import Path

from playwright.async_api import BrowserContext, Page, expect

from tests.conftest import wait_until
from tests.console.conftest import ADMIN, SONGXI, ConsoleStack, login

AUDITOR_PASSWORD = "Auditor-pass-2022"
NUMBER = "云政办字〔2022〕111号"
OPENING = "为进一步加强全市政府网站和政务新媒体管理，市政府办公室于9月下旬开展了三季度检查，现将有关情况通报如下。"


async def period_known_to_the_reporter(stack: ConsoleStack) -> None:
    async def known() -> bool:
        got = await stack.http.get(f"{stack.reporter}/reports/2022Q3/numbers", headers=stack.admin)
        return got.status_code == 200

    await wait_until(known, timeout=30, interval=0.1, what="the reporter's projection of period 2022Q3")


async def download(page: Page, link: str) -> tuple[str, bytes]:
    async with page.expect_download() as downloading:
        await page.locator(link).click()
    done = await downloading.value
    path = await done.path()
    assert path is not None
    return done.suggested_filename, await asyncio.to_thread(Path(path).read_bytes)


async def test_the_city_admin_drafts_edits_previews_freezes_downloads_and_publishes_a_notice(
    browser: BrowserContext, console_stack: ConsoleStack
) -> None:
    await period_known_to_the_reporter(console_stack)
    page = await browser.new_page()
    await login(page, ADMIN.username, ADMIN.password, "/reports?period=2022Q3")

    await page.locator("#new-draft").click()
    await page.get_by_label("文号").fill(NUMBER)
    await page.get_by_label("发文机关").fill("云岭市人民政府办公室")
    await page.get_by_label("城市").fill("云岭市")
    await page.get_by_label("成文日期").fill("2022-10-10")
    await page.get_by_label("整改期限").fill("2022-10-21")
    await page.get_by_label("第1条工作要求标题").fill("落实主体责任")
    await page.get_by_label("第1条工作要求内容").fill("各单位要切实履行主管主办责任，对照问题逐项整改。")
    await page.get_by_role("button", name="生成草稿").click()
    await expect(page.locator("#flash")).to_have_text("草稿已生成。")
    await expect(page.locator("#document-number")).to_have_text(NUMBER)
    await expect(page.locator("#draft-version")).to_contain_text("第1版")
    draft_url = page.url.split("?")[0]

    # Edit the opening; the preview (the reporter's HTML in a sandboxed frame) shows it.
    await page.locator("#edit-draft").click()
    await expect(page.get_by_label("文号")).to_have_value(NUMBER)
    await expect(page.get_by_label("第1条工作要求标题")).to_have_value("落实主体责任")
    await page.get_by_label("开头段落").fill(OPENING)
    await page.get_by_role("button", name="保存修改").click()
    await expect(page.locator("#flash")).to_have_text("修改已保存。")
    await expect(page.locator("#draft-version")).to_contain_text("第2版")
    await expect(page.locator("#notice-preview")).to_have_attribute("sandbox", "")
    await expect(page.frame_locator("#notice-preview").get_by_text(OPENING)).to_be_visible()

    # Two editors on version 2: the first saves, the second is told and offered the latest.
    other = await browser.new_page()
    await other.goto(draft_url + "/edit")
    await page.goto(draft_url + "/edit")
    await page.get_by_label("总体情况补充").fill("部分单位建立了信息发布协调机制。")
    await page.get_by_role("button", name="保存修改").click()
    await expect(page.locator("#draft-version")).to_contain_text("第3版")
    await other.get_by_label("开头段落").fill("另一位编辑的开头。")
    await other.get_by_role("button", name="保存修改").click()
    await expect(other.locator("#conflict")).to_contain_text("草稿已被他人修改")
    await other.get_by_role("link", name="重新载入最新草稿").click()
    await expect(other.get_by_label("总体情况补充")).to_have_value("部分单位建立了信息发布协调机制。")
    await other.close()

    # Freeze, after confirming.
    await page.goto(draft_url)
    await page.locator("#freeze-draft").click()
    await expect(page.locator("h1")).to_have_text("确认定稿")
    await page.get_by_role("button", name="确认定稿").click()
    await expect(page.locator("#flash")).to_contain_text("已定稿")
    await expect(page.locator("#final-state")).to_contain_text("未发布")
    await expect(page.frame_locator("#notice-preview").get_by_text(OPENING)).to_be_visible()

    name, pdf = await download(page, '[data-format="pdf"]')
    assert name == "notice-2022Q3.pdf" and pdf.startswith(b"%PDF")
    name, docx = await download(page, '[data-format="docx"]')
    assert name == "notice-2022Q3.docx"
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        assert "word/document.xml" in archive.namelist()
        assert OPENING in archive.read("word/document.xml").decode()
    name, xlsx = await download(page, '[data-format="xlsx"]')
    assert name == "notice-2022Q3.xlsx" and xlsx.startswith(b"PK")

    # The draft now points to its final and offers no more edits.
    await page.goto(draft_url)
    await expect(page.locator("#final-link")).to_be_visible()
    await expect(page.locator("#edit-draft")).to_have_count(0)

    await page.locator("#final-link").click()
    await page.locator("#publish-final").click()
    await expect(page.locator("h1")).to_have_text("确认发布")
    await page.get_by_role("button", name="确认发布").click()
    await expect(page.locator("#flash")).to_contain_text("已发布")
    await expect(page.locator("#final-state")).to_contain_text("已发布")
    await expect(page.locator("#publish-final")).to_have_count(0)


async def test_an_auditor_reads_the_notices_without_write_buttons_and_a_unit_user_cannot_draft(
    browser: BrowserContext, console_stack: ConsoleStack
) -> None:
    stack = console_stack
    await period_known_to_the_reporter(stack)
    profile = {
        "document_number": NUMBER,
        "issuer": "云岭市人民政府办公室",
        "city": "云岭市",
        "recipients": ["各县（区）人民政府"],
        "issue_date": "2022-10-10",
        "deadline": "2022-10-21",
    }
    made = await stack.http.post(f"{stack.reporter}/reports/2022Q3/drafts", json=profile, headers=stack.admin)
    assert made.status_code == 201, made.text
    draft_id = made.json()["draft_id"]
    auditor = {"username": "auditor", "display_name": "审计员", "role": "auditor", "password": AUDITOR_PASSWORD}
    assert (await stack.http.post(f"{stack.registry}/auth/users", json=auditor, headers=stack.admin)).status_code == 201

    page = await browser.new_page()
    await login(page, "auditor", AUDITOR_PASSWORD, "/reports?period=2022Q3")
    await expect(page.locator("#drafts")).to_contain_text(NUMBER)
    await expect(page.locator("#new-draft")).to_have_count(0)
    await page.get_by_role("link", name="查看").first.click()
    await expect(page.locator("#document-number")).to_have_text(NUMBER)
    await expect(page.locator("#edit-draft")).to_have_count(0)
    await expect(page.locator("#freeze-draft")).to_have_count(0)
    response = await page.goto(f"/reports/drafts/{draft_id}/edit")
    assert response is not None and response.status == 403

    await page.get_by_role("button", name="退出").click()
    await login(page, SONGXI.username, SONGXI.password, "/reports")
    await expect(page.get_by_text("通报由市级管理员起草")).to_be_visible()
    await expect(page.locator("#drafts")).to_have_count(0)
    response = await page.goto("/reports/new?period=2022Q3")
    assert response is not None and response.status == 403
    # By URL the draft is the reporter's to refuse: a unit user reads no drafts.
    response = await page.goto(f"/reports/drafts/{draft_id}")
    assert response is not None and response.status == 403
    await expect(page.locator(".error-message")).to_contain_text(re.compile("无权"))
