"""The contract every console page is written against.

A page route takes ``ctx: Page`` (the signed-in user, the CSRF token, clients onto the other services carrying the
user's own token) and returns ``render(ctx, request, "<page>/x.html.j2", **values)``. A POST calls
``await check_csrf(ctx, request)`` first. Errors are raised: ``forbidden(…)``, ``not_found(…)``, ``ServiceDown``
(a service did not answer); the handlers installed by ``install_error_pages`` turn them into Chinese pages.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn
from urllib.parse import quote

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.console.clients import ServiceClients, ServiceDown, SessionRejected
from services.console.sessions import Session, SessionUser, same_secret
from shared.clock import CHINA_TZ, ensure_aware

if TYPE_CHECKING:
    from services.console.service import ConsoleService

__all__ = [
    "Page",
    "PageContext",
    "PageError",
    "ServiceClients",
    "ServiceDown",
    "SessionUser",
    "check_csrf",
    "forbidden",
    "json_or_error",
    "not_found",
    "page_context",
    "render",
]

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
SESSION_COOKIE = "xj_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"

NAV = (("/", "总览"), ("/inventory", "监测对象"), ("/cases", "整改"), ("/reports", "通报"))


class PageError(Exception):
    """An error page: 403, 404, 400 … with a message a person can act on."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class LoginRequired(Exception):
    def __init__(self, next_path: str, expired: bool = False) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.expired = expired


@dataclass(frozen=True)
class PageContext:
    user: SessionUser
    csrf: str
    api: ServiceClients
    session: Session | None = None


def forbidden(message: str = "您无权查看或操作此内容。") -> NoReturn:
    raise PageError(403, message)


def not_found(message: str = "您要找的页面不存在，或已被删除。") -> NoReturn:
    raise PageError(404, message)


def json_or_error(response: httpx.Response) -> Any:
    """A service's JSON answer; its 403/404 become the console's error pages, any other failure an error."""
    if response.status_code == 403:
        forbidden(_detail(response) or "您无权查看或操作此内容。")
    if response.status_code == 404:
        not_found(_detail(response) or "您要找的内容不存在。")
    response.raise_for_status()
    return response.json()


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return ""
    return detail if isinstance(detail, str) else ""


def _next_of(request: Request) -> str:
    # After sign-in a GET comes back to where it was; a POST cannot be replayed, so it lands on the overview.
    if request.method != "GET":
        return "/"
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def console_of(request: Request) -> ConsoleService:
    console: ConsoleService = request.app.state.service
    return console


async def page_context(request: Request) -> PageContext:
    """The signed-in user of this request, or a redirect to /login?next=… when there is none or it expired."""
    console = console_of(request)
    session = await console.resume(request.cookies.get(SESSION_COOKIE, ""))
    if session is None:
        # A cookie that no longer opens a session: it expired (or was ended elsewhere); the form says so.
        raise LoginRequired(_next_of(request), expired=bool(request.cookies.get(SESSION_COOKIE)))
    ctx = PageContext(session.user, session.csrf, console.pool.clients(session.token), session)
    request.state.page = ctx
    return ctx


Page = Annotated[PageContext, Depends(page_context)]


async def check_csrf(ctx: PageContext, request: Request) -> None:
    """Every state-changing request carries the session's token (form field ``csrf`` or header X-CSRF-Token)."""
    given = request.headers.get(CSRF_HEADER)
    if not given:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not same_secret(given, ctx.csrf):
        raise PageError(403, "页面已过期或请求来源无法确认，请刷新页面后重试。")


# --- templates ---------------------------------------------------------------------------------------------------


def _as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return ensure_aware(value).astimezone(CHINA_TZ)
    if isinstance(value, str) and value:
        try:
            return ensure_aware(datetime.fromisoformat(value)).astimezone(CHINA_TZ)
        except ValueError:
            return None
    return None


def cn_date(value: object) -> str:
    """2022年9月29日 (Beijing time), from a date, a datetime or an ISO string; "—" when there is none."""
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    else:
        at = _as_datetime(value)
        if at is None:
            if isinstance(value, str) and len(value) == 10:
                try:
                    day = date.fromisoformat(value)
                except ValueError:
                    return value
            else:
                return "—" if not value else str(value)
        else:
            day = at.date()
    return f"{day.year}年{day.month}月{day.day}日"


def cn_datetime(value: object) -> str:
    """2022-09-29 14:03 (Beijing time); "—" when there is none."""
    at = _as_datetime(value)
    if at is None:
        return "—" if not value else str(value)
    return at.strftime("%Y-%m-%d %H:%M")


def percent(value: object, digits: int = 1) -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"{float(str(value)) * 100:.{digits}f}%"
    except ValueError:
        return str(value)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cn_date"] = cn_date
    env.filters["cn_datetime"] = cn_datetime
    env.filters["percent"] = percent
    env.globals["nav"] = NAV
    return env


TEMPLATES = _environment()


def _active_nav(path: str) -> str:
    for href, _label in reversed(NAV):
        if href != "/" and (path == href or path.startswith(href + "/")):
            return href
    if path.startswith("/targets"):
        return "/inventory"
    return "/" if path == "/" else ""


def render_template(
    request: Request, template: str, ctx: PageContext | None, status_code: int = 200, **values: Any
) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(
        request=request,
        ctx=ctx,
        user=ctx.user if ctx else None,
        csrf=ctx.csrf if ctx else "",
        active=_active_nav(request.url.path),
        **values,
    )
    response = HTMLResponse(html, status_code=status_code)
    # Pages show what one user may see: never kept by a shared cache.
    response.headers["Cache-Control"] = "no-store"
    # No framing by other sites (clickjacking a 提交 button), no MIME sniffing, no full URLs leaked in Referer.
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def render(ctx: PageContext, request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """A page in the base layout (nav, the user and role, 退出); the template extends base.html.j2."""
    return render_template(request, template, ctx, status_code, **values)


# --- error pages -------------------------------------------------------------------------------------------------

_TITLES = {
    400: "请求有误",
    403: "无权访问",
    404: "页面不存在",
    405: "请求方式不正确",
    500: "系统出错",
    502: "服务出错",
    503: "服务暂时不可用",
}


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    ctx: PageContext | None = getattr(request.state, "page", None)
    title = _TITLES.get(status, "出错了")
    return render_template(request, "error.html.j2", ctx, status, status=status, title=title, message=message)


async def _signed_in_if_any(request: Request) -> None:
    """For an error no page route saw (an unknown URL): show it in the signed-in user's layout when there is one."""
    if getattr(request.state, "page", None) is not None or not request.cookies.get(SESSION_COOKIE):
        return
    with contextlib.suppress(LoginRequired):
        await page_context(request)


def login_redirect(request: Request, next_path: str, expired: bool = False) -> Response:
    query = [f"next={quote(next_path, safe='/')}"] if next_path not in ("", "/") else []
    query += ["expired=1"] if expired else []
    target = "/login" + ("?" + "&".join(query) if query else "")
    response: Response
    if request.headers.get("HX-Request"):
        # htmx follows a redirect inside the swapped fragment; HX-Redirect makes it load the whole login page.
        response = Response(status_code=200, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def install_error_pages(app: FastAPI) -> None:
    """Exception handlers that turn the page errors into Chinese pages (called from ServiceSpec.configure)."""

    async def on_page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return error_page(request, exc.status, exc.message)

    async def on_login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return login_redirect(request, exc.next_path, exc.expired)

    async def on_rejected(request: Request, exc: Exception) -> Response:
        # The registry no longer accepts the session's token (revoked, or the user deactivated): sign in again.
        sid = request.cookies.get(SESSION_COOKIE, "")
        if sid:
            await console_of(request).end(sid)
        return login_redirect(request, _next_of(request), expired=True)

    async def on_service_down(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceDown)
        return error_page(request, 503, exc.message)

    async def on_upstream_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, httpx.HTTPStatusError)
        detail = _detail(exc.response)
        if exc.response.status_code in (400, 409, 422):
            return error_page(request, 400, detail or "提交的内容有误，请检查后重试。")
        return error_page(request, 502, "后台服务处理出错，请稍后再试；如果反复出现，请联系管理员。")

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        await _signed_in_if_any(request)
        messages = {404: "您要找的页面不存在，或已被删除。", 405: "请通过页面上的按钮操作。"}
        message = messages.get(exc.status_code) or (exc.detail if isinstance(exc.detail, str) else "请求无法处理。")
        return error_page(request, exc.status_code, message)

    async def on_invalid(request: Request, exc: Exception) -> Response:
        await _signed_in_if_any(request)
        return error_page(request, 400, "请求参数有误，请从页面上的链接或按钮进入。")

    async def on_crash(request: Request, exc: Exception) -> Response:
        # Starlette still re-raises the exception after this page is sent, so the server logs its traceback.
        return error_page(request, 500, "系统处理出错，请稍后再试；如果反复出现，请联系管理员。")

    app.add_exception_handler(PageError, on_page_error)
    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(SessionRejected, on_rejected)
    app.add_exception_handler(ServiceDown, on_service_down)
    app.add_exception_handler(httpx.HTTPStatusError, on_upstream_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(500, on_crash)
