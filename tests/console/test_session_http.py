"""The session cookie's flags, CSRF on state-changing requests and the stored session, at the HTTP level."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from services.console.app import SPEC as CONSOLE
from services.console.settings import ConsoleSettings
from tests.apps import running
from tests.console.conftest import ADMIN, SONGXI, Account, ConsoleStack

CSRF_INPUT = re.compile(r'name="csrf" value="([^"]+)"')
LOGIN_INPUT = re.compile(r'name="login_csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def console_stack(shared_console_stack: ConsoleStack) -> ConsoleStack:
    """One stack for the module: every test signs in afresh in a context (or client) of its own."""
    return shared_console_stack


async def sign_in(http: httpx.AsyncClient, next_path: str = "/account", who: Account = ADMIN) -> httpx.Response:
    form = await http.get("/login")
    match = LOGIN_INPUT.search(form.text)
    assert match, form.text
    body = {"username": who.username, "password": who.password, "login_csrf": match.group(1), "next": next_path}
    return await http.post("/login", data=body)


def set_cookie(response: httpx.Response, name: str) -> str:
    [header] = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    return header


async def test_the_session_cookie_is_httponly_lax_and_the_database_keeps_only_its_hash(
    console_stack: ConsoleStack,
) -> None:
    async with httpx.AsyncClient(base_url=console_stack.console) as http:
        signed_in = await sign_in(http)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/account"
        cookie = set_cookie(signed_in, "xj_session")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # cookie_secure is off by default (plain http on 127.0.0.1)
        sid = http.cookies["xj_session"]
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(console_stack.mongodb_uri, tz_aware=True)
    try:
        sessions = mongo[f"{console_stack.db_prefix}_console"]["sessions"]
        stored = await sessions.find_one({"_id": hashlib.sha256(sid.encode()).hexdigest()})
        everything = await sessions.find().to_list()
    finally:
        await mongo.close()
    assert stored is not None
    assert sid not in str(everything)
    assert stored["user"]["username"] == "admin" and stored["expires_at"] > stored["created_at"]


async def test_the_session_cookie_is_secure_when_cookie_secure_is_set(console_stack: ConsoleStack) -> None:
    settings = ConsoleSettings.model_validate(
        {
            "nats_url": console_stack.nats_url,
            "mongodb_uri": console_stack.mongodb_uri,
            "mongodb_db_prefix": console_stack.db_prefix,
            "registry_url": console_stack.registry,
            "cookie_secure": True,
            "log_level": "WARNING",
        }
    )
    async with running(CONSOLE, settings) as console, httpx.AsyncClient(base_url=console) as http:
        form = await http.get("/login")
        assert "Secure" in set_cookie(form, "xj_login")
        # A client keeps a Secure cookie for https only: over this test's http it is handed back by hand.
        login_csrf = LOGIN_INPUT.search(form.text)
        assert login_csrf
        body = {"username": ADMIN.username, "password": ADMIN.password, "login_csrf": login_csrf.group(1)}
        http.cookies.set("xj_login", login_csrf.group(1))
        signed_in = await http.post("/login", data=body)
        assert signed_in.status_code == 303
        assert "Secure" in set_cookie(signed_in, "xj_session")


async def test_a_login_form_not_from_the_console_is_refused_and_opens_no_session(console_stack: ConsoleStack) -> None:
    async with httpx.AsyncClient(base_url=console_stack.console) as http:
        forged = await http.post("/login", data={"username": ADMIN.username, "password": ADMIN.password})
        assert forged.status_code == 400 and "页面已过期" in forged.text
        assert "xj_session" not in http.cookies


async def test_after_sign_in_the_console_never_redirects_off_site(console_stack: ConsoleStack) -> None:
    async with httpx.AsyncClient(base_url=console_stack.console) as http:
        signed_in = await sign_in(http, next_path="//evil.example/phish")
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"


async def test_logout_needs_the_csrf_token_and_then_ends_the_session(console_stack: ConsoleStack) -> None:
    async with httpx.AsyncClient(base_url=console_stack.console) as http:
        await sign_in(http)
        page = await http.get("/account")
        assert page.status_code == 200
        match = CSRF_INPUT.search(page.text)
        assert match
        token = match.group(1)
        assert (await http.post("/logout")).status_code == 403
        assert (await http.post("/logout", data={"csrf": "forged"})).status_code == 403
        assert (await http.post("/logout", headers={"X-CSRF-Token": "forged"})).status_code == 403
        assert (await http.get("/account")).status_code == 200  # nothing changed: still signed in
        sid = http.cookies["xj_session"]
        out = await http.post("/logout", headers={"X-CSRF-Token": token})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        http.cookies.set("xj_session", sid)  # the old cookie, replayed
        again = await http.get("/account")
        assert again.status_code == 303 and again.headers["location"].startswith("/login?next=/account")


async def test_signing_out_revokes_the_registry_token_the_session_held(console_stack: ConsoleStack) -> None:
    registry, admin = console_stack.registry, console_stack.admin

    async def login_tokens() -> dict[str, bool]:
        tokens = (await console_stack.http.get(f"{registry}/auth/tokens", headers=admin)).json()
        return {t["token_id"]: t["revoked"] for t in tokens if t["kind"] == "login"}

    before = await login_tokens()
    async with httpx.AsyncClient(base_url=console_stack.console) as http:
        await sign_in(http)
        token = CSRF_INPUT.search((await http.get("/account")).text)
        assert token
        await http.post("/logout", headers={"X-CSRF-Token": token.group(1)})
    this_session = {token_id: revoked for token_id, revoked in (await login_tokens()).items() if token_id not in before}
    assert list(this_session.values()) == [True]


async def test_a_session_whose_registry_token_was_revoked_goes_back_to_login(console_stack: ConsoleStack) -> None:
    async with httpx.AsyncClient(base_url=console_stack.console) as http:
        await sign_in(http, who=SONGXI)
        assert "松溪县人民政府" in (await http.get("/account")).text  # the page asks the registry for the unit
        # An administrator revokes the unit user's sign-in token (or deactivates the account) in the registry.
        registry, admin = console_stack.registry, console_stack.admin
        users = (await console_stack.http.get(f"{registry}/auth/users", headers=admin)).json()
        [user_id] = [u["user_id"] for u in users if u["username"] == SONGXI.username]
        tokens = await console_stack.http.get(f"{registry}/auth/tokens", params={"user_id": user_id}, headers=admin)
        for token in tokens.json():
            revoked = await console_stack.http.delete(f"{registry}/auth/tokens/{token['token_id']}", headers=admin)
            assert revoked.status_code == 204
        after = await http.get("/account")
        assert after.status_code == 303 and after.headers["location"] == "/login?next=/account&expired=1"
        assert (await http.get("/account")).headers["location"] == "/login?next=/account"  # the session is gone
