"""Every page of the corpus (tests/prober/corpus/) yields the facts written down for it in expected.yaml.

The pages imitate the layouts of the common government CMSes (TRS WCM, 大汉 JCMS, 开普云, 网站群 templates), in UTF-8
and GBK: homepages, column lists, message boards and message details, service-guide lists and guides, articles.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from services.prober.extract.basics import read_site_basics
from services.prober.extract.charset import decode
from services.prober.extract.guides import read_guide, read_guide_list
from services.prober.extract.messages import read_board, read_message
from services.prober.extract.pages import extract_items
from services.prober.extract.words import load_matcher
from services.prober.fetch import Fetcher
from services.prober.observers.base import Context
from services.prober.observers.basics import observe_site_basics
from services.prober.observers.content import observe_content, page_findings
from services.prober.observers.guides import observe_service_guides
from services.prober.observers.interaction import observe_interaction
from services.prober.settings import ProberSettings
from shared.clock import CHINA_TZ
from shared.events import CheckKind, ProbeRequested, TargetType
from tests.prober.servers import serve

CORPUS = Path(__file__).parent / "corpus"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
REF = date(2022, 9, 29)
URL = "http://www.example.gov.cn/sites/x/col/"
PAGES = sorted(EXPECTED)


def read(name: str) -> tuple[str, str]:
    return decode((CORPUS / name).read_bytes())


def test_the_corpus_has_thirty_pages_in_utf8_and_gbk_each_with_expected_facts() -> None:
    files = sorted(p.name for p in CORPUS.glob("*.html"))
    assert files == PAGES
    assert len(files) >= 30
    codecs = {EXPECTED[name]["codec"] for name in files}
    assert codecs == {"utf-8", "gb18030"}
    for name in files:
        if name.endswith("_gbk.html"):
            with pytest.raises(UnicodeDecodeError):
                (CORPUS / name).read_bytes().decode("utf-8")


@pytest.mark.parametrize("name", PAGES)
def test_each_page_decodes_with_its_codec(name: str) -> None:
    assert read(name)[1] == EXPECTED[name]["codec"]


@pytest.mark.parametrize("name", [n for n in PAGES if "list" in EXPECTED[n]])
def test_each_list_page_yields_its_newest_item_and_dated_count(name: str) -> None:
    expected = EXPECTED[name]["list"]
    found = extract_items(read(name)[0], URL, REF)
    assert found.newest_on == expected["newest"]
    assert (found.dated[0].title if found.dated else None) == expected["newest_title"]
    assert len(found.dated) == expected["dated"]
    assert found.column_is_empty() is expected["empty"]


@pytest.mark.parametrize("name", [n for n in PAGES if "basics" in EXPECTED[n]])
def test_each_homepage_yields_its_site_basics(name: str) -> None:
    facts = read_site_basics(read(name)[0], URL)
    assert facts.model_dump(exclude={"kind"}) == EXPECTED[name]["basics"]


def _message(m: Any) -> dict[str, Any]:
    return {k: getattr(m, k) for k in ("title", "category", "asked_on", "answered_on", "status")}


@pytest.mark.parametrize("name", [n for n in PAGES if "interaction" in EXPECTED[n]])
def test_each_message_board_yields_its_channels_and_messages(name: str) -> None:
    expected = EXPECTED[name]["interaction"]
    board = read_board(read(name)[0], URL, REF)
    assert board.channel_present is expected["channel_present"]
    assert board.channel_kinds == expected["channel_kinds"]
    assert len(board.pages) == expected["more_pages"]
    assert [_message(m) for m in board.messages] == expected["messages"]


@pytest.mark.parametrize("name", [n for n in PAGES if "message" in EXPECTED[n]])
def test_each_message_detail_yields_its_message(name: str) -> None:
    message = read_message(read(name)[0], URL, REF)
    assert message is not None
    assert _message(message) == EXPECTED[name]["message"]


@pytest.mark.parametrize("name", [n for n in PAGES if "guide_list" in EXPECTED[n]])
def test_each_service_page_says_whether_services_are_offered_and_lists_its_guides(name: str) -> None:
    listing = read_guide_list(read(name)[0], URL)
    assert listing.service_offered is EXPECTED[name]["guide_list"]["service_offered"]
    assert [g.name for g in listing.guides] == EXPECTED[name]["guide_list"]["guides"]


@pytest.mark.parametrize("name", [n for n in PAGES if "guide" in EXPECTED[n]])
def test_each_guide_yields_its_elements_time_limits_and_problems(name: str) -> None:
    expected = EXPECTED[name]["guide"]
    guide = read_guide(read(name)[0], URL + name)
    assert guide.name == expected["name"]
    assert guide.missing == expected["missing"]
    assert guide.elements + guide.missing and set(guide.elements).isdisjoint(guide.missing)
    assert (guide.statutory_days, guide.promised_days) == (expected["statutory_days"], expected["promised_days"])
    assert guide.problems == expected["problems"]


@pytest.mark.parametrize("name", [n for n in PAGES if "words" in EXPECTED[n]])
def test_each_page_yields_its_wrong_and_sensitive_words(name: str) -> None:
    findings = page_findings(load_matcher(), read(name)[0], URL + name)
    assert [f.word for f in findings] == EXPECTED[name]["words"]
    for finding in findings:
        assert finding.word in finding.context
        assert finding.url == URL + name


# --- serving the corpus to the observers (used by test_basics, test_messages, test_guides, test_words) ----------


class CorpusSite:
    """A local web server over a real socket serving corpus pages at chosen paths; it records what was asked."""

    def __init__(self, routes: dict[str, str | bytes]) -> None:
        self.routes = routes
        self.base = ""
        self.seen: list[str] = []
        self._runner: Any = None

    def url(self, path: str) -> str:
        return self.base + path

    async def __aenter__(self) -> CorpusSite:
        async def handle(request: web.Request) -> web.Response:
            self.seen.append(request.path_qs)
            page = self.routes.get(request.path_qs, self.routes.get(request.path))
            if page is None:
                raise web.HTTPNotFound()
            body = (CORPUS / page).read_bytes() if isinstance(page, str) else page
            return web.Response(body=body, content_type="text/html")

        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", handle)
        self._server = serve(app)
        self.base = await self._server.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._server.__aexit__(None, None, None)


async def observe(kind: str, url: str, **settings: Any) -> Any:
    """Run one observer against a URL with a real Fetcher, as the prober's service would."""
    observers = {
        "site_basics": observe_site_basics,
        "interaction": observe_interaction,
        "service_guides": observe_service_guides,
        "content": observe_content,
    }
    at = datetime(2022, 9, 29, 10, 0, tzinfo=CHINA_TZ)
    request = ProbeRequested(
        event_id=ProbeRequested.id_for("t", CheckKind(kind), at),
        occurred_at=at,
        target_id="t",
        target_type=TargetType.website,
        kind=CheckKind(kind),
        url=url,
        scheduled_for=at,
        period_id="2022Q3",
    )
    base = ProberSettings(probe_timeout_s=2.0, per_host_limit=8)
    fetcher = Fetcher(base)
    try:
        ctx = Context(fetcher, request, at, None, _Settings(base, settings))  # type: ignore[arg-type]
        return await observers[kind](ctx)
    finally:
        await fetcher.close()


class _Settings:
    """ProberSettings with the observer settings the lead has not wired yet (see the report)."""

    def __init__(self, base: Any, extra: dict[str, Any]) -> None:
        self._base, self._extra = base, extra

    def __getattr__(self, name: str) -> Any:
        if name in self._extra:
            return self._extra[name]
        return getattr(self._base, name)
