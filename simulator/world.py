"""The simulated web, precomputed from a scenario: every site's blocks and columns and every account's posts.

Built once at start-up and again after a control PATCH, so a request only bisects a list and builds a string.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from shared.clock import CHINA_TZ
from simulator.messages import Board, board_messages
from simulator.scenario import AccountSpec, ColumnSpec, Scenario, WebsiteSpec
from simulator.timeline import HISTORY_DAYS, Item, build_items, stable_hash
from simulator.titles import kind_of, make_title

# Synthetic homepage blocks, fed by the homepage's own stream (its stale_days): (id, name, title family).
PORTAL_BLOCKS = (("ttxw", "头条新闻", "news"), ("bmdt", "部门动态", "news"), ("xqdt", "县区动态", "county"))
DEPARTMENT_BLOCKS = (("gzdt", "工作动态", "news"), ("mtgz", "媒体关注", "media"))
# Declared columns of these families appear on the homepage as blocks with their items; others as links.
HOMEPAGE_KINDS = frozenset({"news", "notice", "policy"})
HOMEPAGE_BLOCK_SIZE = 7
LIST_PAGE_SIZE = 20


class Stream:
    """Items newest first, searchable by the instant they appear."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self._keys = [-i.published_at.timestamp() for i in items]  # ascending
        self.by_slug = {i.slug: i for i in items}

    def visible_count(self, at: datetime) -> int:
        return len(self.items) - bisect.bisect_left(self._keys, -at.timestamp())

    def newest(self, at: datetime, limit: int) -> list[Item]:
        start = bisect.bisect_left(self._keys, -at.timestamp())
        return self.items[start : start + limit]


@dataclass
class Block:
    id: str
    name: str
    stream: Stream
    column: ColumnSpec | None = None


@dataclass
class Site:
    spec: WebsiteSpec
    unit_name: str
    blocks: list[Block]  # shown on the homepage with their items
    links: list[Block]  # declared columns shown on the homepage as links only
    frozen_after: datetime  # the homepage shows nothing published after this instant
    columns: list[ColumnSpec]  # the declared columns it was built from
    board: Board | None = None  # the message board (互动交流), if the site has one
    by_id: dict[str, Block] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {b.id: b for b in (*self.blocks, *self.links)}


@dataclass
class Feed:
    spec: AccountSpec
    unit_name: str
    stream: Stream


class World:
    def __init__(self, scenario: Scenario, previous: World | None = None) -> None:
        """Build every site and feed; with ``previous`` (same units and period), reuse what did not change."""
        self.scenario = scenario
        self.point = scenario.period.monitoring_point
        self.earliest = scenario.period.window_start - timedelta(days=HISTORY_DAYS)
        self.counties = tuple(dict.fromkeys(u.county for u in scenario.units if u.county != "市直"))
        same_base = previous is not None and _base(previous.scenario) == _base(scenario)
        old_sites = previous.sites if previous is not None and same_base else {}
        old_feeds = previous.feeds if previous is not None and same_base else {}
        self.sites: dict[str, Site] = {}
        for w in scenario.websites:
            old = old_sites.get(w.id)
            columns = [c for c in scenario.columns if c.site == w.id]
            reuse = old is not None and old.spec == w and old.columns == columns
            self.sites[w.id] = old if reuse and old is not None else self._site(w, columns)
        self.feeds: dict[str, Feed] = {}
        for a in scenario.accounts:
            feed = old_feeds.get(a.id)
            self.feeds[a.id] = feed if feed is not None and feed.spec == a else self._feed(a)

    def _org(self, unit_id: str) -> str:
        return self.scenario.unit(unit_id).name

    def _site(self, w: WebsiteSpec, columns: list[ColumnSpec]) -> Site:
        earliest = max(w.registered_on, self.earliest)
        org = self.scenario.city if w.type == "门户" else self._org(w.unit)
        kinds = PORTAL_BLOCKS if w.type == "门户" else DEPARTMENT_BLOCKS

        def block_of(seq: int) -> str:
            return kinds[stable_hash(w.id, "block", seq) % len(kinds)][0]

        def title_of(seq: int) -> str:
            kind = next(k for b, _, k in kinds if b == block_of(seq))
            return make_title(kind, w.id, seq, org, self.scenario.city, self.counties)

        home = build_items(w.id, w.states, self.point, earliest, title_of, block_of)
        blocks = [Block(b, name, Stream([i for i in home if i.block == b])) for b, name, _ in kinds]
        links: list[Block] = []
        for c in columns:
            block = Block(c.id, c.name, Stream(self._column_items(c, earliest)), c)
            (blocks if kind_of(c.column_type) in HOMEPAGE_KINDS else links).append(block)
        newest_home_day = self.point - timedelta(days=w.states.stale_days)
        frozen_after = datetime.combine(newest_home_day, time(23, 59, 59), CHINA_TZ)
        board = Board(w.board, board_messages(w, self.scenario.period, self.counties)) if w.board else None
        return Site(w, self._org(w.unit), blocks, links, frozen_after, columns, board)

    def _column_items(self, c: ColumnSpec, earliest: date) -> list[Item]:
        if c.states.empty:
            return []
        org = self._org(self.scenario.column_unit(c))
        kind = kind_of(c.column_type)
        return build_items(
            c.id,
            c.states,
            self.point,
            earliest,
            lambda seq: make_title(kind, c.id, seq, org, self.scenario.city, self.counties),
            lambda _seq: c.id,
        )

    def _feed(self, a: AccountSpec) -> Feed:
        org = self._org(a.unit)
        earliest = max(a.registered_on, self.earliest)
        items = build_items(
            a.id,
            a.states,
            self.point,
            earliest,
            lambda seq: make_title("post", a.id, seq, a.name, self.scenario.city),
            lambda _seq: a.id,
        )
        if a.states.closure_notice and items:
            # The last thing the account said: it stops updating (停更公告); a zombie if it is never closed.
            items[0] = replace(items[0], title=f"关于“{a.name}”{a.platform}停止更新的公告")
        return Feed(a, org, Stream(items))


def _base(scenario: Scenario) -> tuple[object, ...]:
    """What every site and feed depends on besides its own entry."""
    return (scenario.city, scenario.period, scenario.units)
