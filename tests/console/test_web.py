"""The page contract's error pages, CSRF check and layout, on a bare FastAPI app (no services, no database)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from services.console.clients import ConsolePool, ServiceDown
from services.console.sessions import SessionUser
from services.console.web import (
    LoginRequired,
    PageContext,
    check_csrf,
    forbidden,
    install_error_pages,
    not_found,
    render,
)

USER = SessionUser("u1", "admin", "李明", "city_admin")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_error_pages(app)
    # Nothing listens on port 9: a page that calls the "prober" there finds it down.
    pool = ConsolePool({"prober": "http://127.0.0.1:9"}, timeout_s=2)
    ctx = PageContext(USER, "the-csrf-token", pool.clients("secret"))

    @app.get("/page", response_class=HTMLResponse)
    async def page(request: Request) -> HTMLResponse:
        request.state.page = ctx
        return render(ctx, request, "error.html.j2", status=200, title="示例页面", message="正文")

    @app.get("/secret")
    async def secret(request: Request) -> None:
        request.state.page = ctx
        forbidden("您无权查看其他单位的监测对象。")

    @app.get("/missing")
    async def missing() -> None:
        not_found()

    @app.get("/down")
    async def down(request: Request) -> None:
        request.state.page = ctx
        await ctx.api.prober.get("/observations")

    @app.get("/unset")
    async def unset() -> None:
        await ctx.api.reporter.get("/reports")

    @app.get("/gone")
    async def gone() -> None:
        raise LoginRequired("/cases?state=overdue", expired=True)

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("a bug")

    @app.post("/change")
    async def change(request: Request) -> dict[str, bool]:
        await check_csrf(ctx, request)
        return {"changed": True}

    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as http:
        yield http
    await pool.close()


async def test_a_page_is_rendered_in_the_layout_with_the_nav_and_the_user(client: httpx.AsyncClient) -> None:
    answer = await client.get("/page")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-frame-options"] == "SAMEORIGIN" and answer.headers["x-content-type-options"] == "nosniff"
    for text in ("总览", "监测对象", "整改", "通报", "李明", "市级管理员", "退出", "示例页面"):
        assert text in answer.text
    assert 'name="csrf" value="the-csrf-token"' in answer.text  # the 退出 form carries it
    assert "/static/htmx.min.js" in answer.text and "/static/console.css" in answer.text


async def test_forbidden_and_not_found_are_chinese_error_pages(client: httpx.AsyncClient) -> None:
    refused = await client.get("/secret")
    assert refused.status_code == 403 and "您无权查看其他单位的监测对象。" in refused.text
    assert "李明" in refused.text  # still in the layout of the signed-in user
    missing = await client.get("/missing")
    assert missing.status_code == 404 and "页面不存在" in missing.text
    unknown = await client.get("/no/such/page")
    assert unknown.status_code == 404 and "您要找的页面不存在" in unknown.text


async def test_a_bug_gives_a_chinese_500_page_without_the_traceback(client: httpx.AsyncClient) -> None:
    crashed = await client.get("/crash")
    assert crashed.status_code == 500 and "系统处理出错" in crashed.text and "a bug" not in crashed.text


async def test_a_service_that_does_not_answer_gives_a_503_page_naming_it(client: httpx.AsyncClient) -> None:
    down = await client.get("/down")
    assert down.status_code == 503 and "采集服务暂时不可用" in down.text
    unset = await client.get("/unset")
    assert unset.status_code == 503 and "通报服务暂时不可用" in unset.text


async def test_a_post_needs_the_sessions_csrf_token_in_the_form_or_the_header(client: httpx.AsyncClient) -> None:
    assert (await client.post("/change")).status_code == 403
    assert (await client.post("/change", data={"csrf": "forged"})).status_code == 403
    assert (await client.post("/change", headers={"X-CSRF-Token": "forged"})).status_code == 403
    assert (await client.post("/change", data={"csrf": "the-csrf-token"})).json() == {"changed": True}
    assert (await client.post("/change", headers={"X-CSRF-Token": "the-csrf-token"})).json() == {"changed": True}
    upload = await client.post("/change", data={"csrf": "the-csrf-token"}, files={"f": ("a.txt", b"x")})
    assert upload.json() == {"changed": True}


def test_service_down_names_the_service_in_chinese() -> None:
    assert ServiceDown("notifier").message == "整改与通知服务暂时不可用，请稍后再试。"


async def test_an_ended_session_sends_a_page_to_login_and_an_htmx_request_with_hx_redirect(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/gone")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/cases%3Fstate%3Doverdue&expired=1"
    fragment = await client.get("/gone", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and fragment.headers["hx-redirect"] == page.headers["location"]
