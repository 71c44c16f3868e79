"""Signing in and out of the console in a real browser (Debian's chromium, headless)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import Browser, BrowserContext, expect

from tests.console.conftest import ADMIN, MEILING, SONGXI, ConsoleStack, login

SESSION_COOKIE = "xj_session"


@pytest.fixture(scope="module")
def console_stack(shared_console_stack: ConsoleStack) -> ConsoleStack:
    """One stack for the module: every test signs in afresh in a context (or client) of its own."""
    return shared_console_stack


async def session_cookies(browser: BrowserContext) -> list[str]:
    return [c["value"] for c in await browser.cookies() if c["name"] == SESSION_COOKIE]


async def test_the_city_admin_signs_in_and_sees_the_nav_and_their_name(browser: BrowserContext) -> None:
    page = await browser.new_page()
    await login(page, ADMIN.username, ADMIN.password, "/account")
    assert page.url.endswith("/account")
    nav = page.get_by_role("navigation", name="主导航")
    for label in ("总览", "监测对象", "整改", "通报"):
        await expect(nav.get_by_role("link", name=label)).to_be_visible()
    await expect(page.locator(".who-name")).to_have_text(ADMIN.display_name)
    await expect(page.locator(".who-role")).to_have_text("市级管理员")
    await expect(page.get_by_role("button", name="退出")).to_be_visible()
    # An address that does not exist answers in the same layout, still signed in.
    await page.goto("/no/such/page")
    await expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
    await expect(page.locator(".who-name")).to_have_text(ADMIN.display_name)
    await page.goto("/account")
    # The stylesheet and htmx are served: the masthead is styled and htmx is loaded.
    await expect(page.locator(".masthead")).to_have_css("background-color", "rgb(168, 32, 26)")
    assert await page.evaluate("typeof htmx !== 'undefined' && htmx.version.startsWith('2.')")


async def test_a_wrong_password_shows_the_error_and_opens_no_session(
    browser: BrowserContext, console_stack: ConsoleStack
) -> None:
    page = await browser.new_page()
    for username, password in ((ADMIN.username, "not-the-password"), ("nobody-here", "whatever-it-is")):
        await page.goto("/login")
        await page.get_by_label("用户名").fill(username)
        await page.get_by_label("密码").fill(password)
        await page.get_by_role("button", name="登录").click()
        # Unknown user and wrong password read the same: nothing tells which names exist.
        await expect(page.get_by_role("alert")).to_have_text("用户名或密码错误")
        await expect(page.get_by_label("用户名")).to_have_value(username)
        assert await session_cookies(browser) == []
    await page.goto("/account")
    await expect(page).to_have_url(f"{console_stack.console}/login?next=/account")


async def test_signing_out_ends_the_session_for_good(browser: BrowserContext, console_stack: ConsoleStack) -> None:
    page = await browser.new_page()
    await login(page, ADMIN.username, ADMIN.password, "/account")
    [sid] = await session_cookies(browser)
    await page.get_by_role("button", name="退出").click()
    await expect(page).to_have_url(f"{console_stack.console}/login")
    assert await session_cookies(browser) == []
    # The old cookie, replayed, opens nothing.
    await browser.add_cookies([{"name": SESSION_COOKIE, "value": sid, "url": console_stack.console}])
    await page.goto("/account")
    await expect(page).to_have_url(f"{console_stack.console}/login?next=/account&expired=1")
    await expect(page.get_by_role("status")).to_have_text("登录已过期，请重新登录。")


async def test_an_idle_session_expires_after_30_minutes_and_goes_back_to_login(
    browser: BrowserContext, console_stack: ConsoleStack
) -> None:
    page = await browser.new_page()
    await login(page, ADMIN.username, ADMIN.password, "/account")
    # Used every 29 minutes, the session lives on past its first half hour …
    for _ in range(2):
        console_stack.clock.advance(timedelta(minutes=29))
        await page.goto("/account")
        await expect(page.locator(".who-name")).to_have_text(ADMIN.display_name)
    # … left alone for 31, it is over, and signing in again comes back to the page asked for.
    console_stack.clock.advance(timedelta(minutes=31))
    await page.goto("/account?tab=1")
    await expect(page).to_have_url(f"{console_stack.console}/login?next=/account%3Ftab%3D1&expired=1")
    await page.get_by_label("用户名").fill(ADMIN.username)
    await page.get_by_label("密码").fill(ADMIN.password)
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(f"{console_stack.console}/account?tab=1")


async def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    browser: BrowserContext, console_stack: ConsoleStack
) -> None:
    page = await browser.new_page()
    await login(page, ADMIN.username, ADMIN.password, "/account")
    # The browser's own cookies, a form post without the token: what a forged cross-site form would send.
    refused = await browser.request.post("/logout", form={"note": "forged"}, max_redirects=0)
    assert refused.status == 403
    assert "请求来源无法确认" in await refused.text()
    await page.goto("/account")
    await expect(page.locator(".who-name")).to_have_text(ADMIN.display_name)  # still signed in


async def test_a_unit_user_signs_in_and_sees_their_role_and_unit(
    browser: BrowserContext, chromium: Browser, console_stack: ConsoleStack
) -> None:
    page = await browser.new_page()
    await login(page, SONGXI.username, SONGXI.password, "/account")
    await expect(page.locator(".who-name")).to_have_text(SONGXI.display_name)
    await expect(page.locator(".who-role")).to_have_text("单位用户")
    await expect(page.locator(".account-role")).to_have_text("单位用户")
    await expect(page.get_by_text("松溪县人民政府", exact=True)).to_be_visible()
    # Another unit's user, in a browser of their own, has a session of their own: neither sees the other.
    other = await chromium.new_context(base_url=console_stack.console)
    try:
        second = await other.new_page()
        await login(second, MEILING.username, MEILING.password, "/account")
        await expect(second.get_by_text("梅岭县人民政府", exact=True)).to_be_visible()
        await page.reload()
        await expect(page.locator(".who-name")).to_have_text(SONGXI.display_name)
    finally:
        await other.close()


async def test_a_user_changes_their_password_on_the_account_page(
    browser: BrowserContext, console_stack: ConsoleStack
) -> None:
    old, new = "Old-pass-2022", "New-pass-2022"
    user = {"username": "pw-changer", "display_name": "改密码的人", "role": "auditor", "password": old}
    created = await console_stack.http.post(
        f"{console_stack.registry}/auth/users", json=user, headers=console_stack.admin
    )
    assert created.status_code == 201, created.text
    page = await browser.new_page()
    await login(page, "pw-changer", old, "/account")
    form = page.locator("#change-password")

    async def change(current: str, first: str, again: str) -> None:
        await form.get_by_label("当前密码").fill(current)
        await form.get_by_label("新密码（不少于8个字符）").fill(first)
        await form.get_by_label("再次输入新密码").fill(again)
        await form.get_by_role("button", name="修改密码").click()

    await change("not-my-password", new, new)
    await expect(form.get_by_role("alert")).to_have_text("当前密码不正确")
    await change(old, new, new + "x")
    await expect(form.get_by_role("alert")).to_have_text("两次输入的新密码不一致")
    await change(old, new, new)
    await expect(form.get_by_role("status")).to_have_text("密码已修改，下次登录请使用新密码。")

    signed_in = await console_stack.http.post(
        f"{console_stack.registry}/auth/login", json={"username": "pw-changer", "password": old}
    )
    assert signed_in.status_code == 401
    signed_in = await console_stack.http.post(
        f"{console_stack.registry}/auth/login", json={"username": "pw-changer", "password": new}
    )
    assert signed_in.status_code == 200, signed_in.text
