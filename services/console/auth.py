"""Sign-in, sign-out and the account page.

The console holds no passwords: the form's username and password go to the registry's POST /auth/login, whose
token the session keeps server-side (the browser only ever holds a random session id). Every page then calls the
services with that token, so each service keeps deciding what this user may see.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.clients import ServiceDown
from services.console.sessions import SessionUser, new_secret, safe_next, same_secret
from services.console.web import SESSION_COOKIE, Page, PageContext, check_csrf, console_of, render, render_template
from shared.logging import get_logger

log = get_logger(__name__)
router = APIRouter()

# The login form has no session yet: a double-submit cookie stops another site from signing a browser in.
LOGIN_COOKIE = "xj_login"
BAD_LOGIN = "用户名或密码错误"


def _login_form(
    request: Request, next_path: str, status: int = 200, error: str = "", username: str = "", expired: bool = False
) -> HTMLResponse:
    token = new_secret()
    response = render_template(
        request,
        "login.html.j2",
        None,
        status,
        next=safe_next(next_path),
        error=error,
        username=username,
        login_csrf=token,
        expired=expired,
    )
    secure = console_of(request).cookie_secure
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/login")
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_page(request: Request, next: str = "/", expired: bool = False) -> Response:
    console = console_of(request)
    if await console.resume(request.cookies.get(SESSION_COOKIE, "")):
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, next, expired=expired)


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    login_csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    if not same_secret(login_csrf, request.cookies.get(LOGIN_COOKIE, "")):
        return _login_form(request, next, 400, "页面已过期，请重新输入用户名和密码。", username)
    if not username.strip() or not password:
        return _login_form(request, next, 401, BAD_LOGIN, username)
    console = console_of(request)
    try:
        issued = await _registry_login(console.pool.anonymous("registry"), username.strip(), password)
    except ServiceDown:
        return _login_form(request, next, 503, "登录服务暂时不可用，请稍后再试。", username)
    if issued is None:
        # The same answer for an unknown user, a wrong password and a deactivated account.
        return _login_form(request, next, 401, BAD_LOGIN, username)
    token, user, token_id, token_expires_at = issued
    # A fresh id at every sign-in (no session fixation); a session this browser still had ends here.
    await console.end(request.cookies.get(SESSION_COOKIE, ""))
    sid, _session = await console.open(user, token, token_id, token_expires_at)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="lax", secure=console.cookie_secure, path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


async def _registry_login(
    client: Any, username: str, password: str
) -> tuple[str, SessionUser, str, datetime | None] | None:
    """The registry's token and user for these credentials, or None when it refuses them."""
    async with client:
        answer = await client.post("/auth/login", json={"username": username, "password": password})
        if answer.status_code in (401, 403, 422):
            return None
        if answer.status_code >= 500:
            raise ServiceDown("registry")
        answer.raise_for_status()
        issued = answer.json()
        token = issued["token"]
        me = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
        if me.status_code >= 500:
            raise ServiceDown("registry")
        me.raise_for_status()
    user = me.json()["user"]
    expires = issued.get("expires_at")
    return (
        token,
        SessionUser(user["user_id"], user["username"], user["display_name"], user["role"], user.get("unit_id")),
        issued.get("token_id", ""),
        datetime.fromisoformat(expires) if expires else None,
    )


@router.post("/logout", include_in_schema=False)
async def logout(ctx: Page, request: Request) -> Response:
    await check_csrf(ctx, request)
    console = console_of(request)
    session = await console.end(request.cookies.get(SESSION_COOKIE, ""))
    if session is not None and session.token_id:
        # The registry token goes with the session: a copy of it is worth nothing after sign-out.
        try:
            await ctx.api.registry.delete(f"/auth/tokens/{session.token_id}")
        except Exception as exc:  # the session is gone either way; the token still expires on its own
            log.warning("session.token_revoke_failed", error=repr(exc))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account", response_class=HTMLResponse, include_in_schema=False)
async def account(ctx: Page, request: Request, done: str = "") -> HTMLResponse:
    return await _account_page(ctx, request, done=done == "password")


@router.post("/account/password", response_class=HTMLResponse, include_in_schema=False)
async def change_password(ctx: Page, request: Request) -> Response:
    """修改密码: the registry checks the current password and the new one's length; the session goes on."""
    await check_csrf(ctx, request)
    form = await request.form()
    current, new, again = (str(form.get(name) or "") for name in ("current", "new", "again"))
    error = _password_problem(new, again)
    if error is None:
        body = {"password": new, "current_password": current, "reason": "本人修改密码"}
        answer = await ctx.api.registry.patch(f"/auth/users/{ctx.user.user_id}", json=body)
        error = _registry_refusal(answer.status_code, answer.json() if answer.content else {})
    if error is not None:
        return await _account_page(ctx, request, error=error, status=422)
    log.info("console.password_changed", user_id=ctx.user.user_id)
    return RedirectResponse("/account?done=password", status_code=303)


MIN_PASSWORD = 8  # the registry's rule (UserUpdate.password), said here before the form travels


def _password_problem(new: str, again: str) -> str | None:
    if len(new) < MIN_PASSWORD:
        return f"新密码不能少于{MIN_PASSWORD}个字符"
    if new != again:
        return "两次输入的新密码不一致"
    return None


def _registry_refusal(status: int, answer: Any) -> str | None:
    if status == 200:
        return None
    if status == 403:
        return "当前密码不正确" if "当前密码" in str(answer.get("detail", "")) else "无权修改该用户的密码"
    return "密码未能修改，请检查后重试"


async def _account_page(
    ctx: PageContext, request: Request, done: bool = False, error: str = "", status: int = 200
) -> HTMLResponse:
    console = console_of(request)
    session = ctx.session
    unit_name = ""
    if ctx.user.unit_id:
        answer = await ctx.api.registry.get(f"/units/{ctx.user.unit_id}")
        unit_name = answer.json().get("name", ctx.user.unit_id) if answer.status_code == 200 else ctx.user.unit_id
    return render(
        ctx,
        request,
        "account.html.j2",
        unit_name=unit_name,
        signed_in_at=session.created_at if session else None,
        expires=console.expiry(session) if session else None,
        idle_minutes=int(console.policy.idle.total_seconds() // 60),
        password_changed=done,
        password_error=error,
        status_code=status,
    )
