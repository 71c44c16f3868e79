"""A fleet of targets and a quarter of what the prober sees of them, for the evaluation benchmark.

Each website has 12 columns, a message board and a service-guide source; accounts stand alone. The shapes are those
of tests/evaluator/test_replay.py, at scale: 20 visits a day, the homepage daily, each column weekly (on staggered
days), the board, guides, basics, links and content weekly, an account's feed daily and its content weekly. A few
sites go wrong in ways the rules must notice (a stale homepage in August, a September week of failed visits, a
serious wording error, stale columns), so verdicts change during the quarter as they do in a real one.

The same functions give both halves of the benchmark: ``Evidence`` values for the pure core and
``ObservationRecorded`` events for the end-to-end run.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from services.evaluator.rules import ColumnState, DayCount, Evidence, FeedSeen, PageSeen, Seen
from shared.clock import CHINA_TZ
from shared.events import (
    AvailabilityFacts,
    CheckKind,
    ContentFacts,
    DatedItem,
    DeadLink,
    Facts,
    InteractionFacts,
    LinksFacts,
    Message,
    NewMediaFacts,
    ObservationRecorded,
    PageFacts,
    Period,
    PeriodChanged,
    ServiceGuide,
    ServiceGuideFacts,
    SiteBasicsFacts,
    Target,
    TargetChanged,
    TargetType,
    WordFinding,
    natural_id,
)

PERIOD = Period(
    period_id="2022Q3",
    window_start=datetime(2022, 7, 1, tzinfo=CHINA_TZ),
    monitoring_point=datetime(2022, 9, 29, 23, 59, 59, tzinfo=CHINA_TZ),
)
ROUND = "bench-q3"
REGISTERED = date(2018, 1, 1)
# (name, column type, first level): the columns of a county portal, as the notices name them.
COLUMNS = (
    ("政务要闻", "要闻", True),
    ("部门动态", "动态", False),
    ("乡镇动态", "动态", False),
    ("通知公告", "通知公告", True),
    ("政策文件", "政策文件", True),
    ("政策解读", "政策文件", False),
    ("人事信息", "人事信息", False),
    ("规划计划", "规划计划", False),
    ("财政信息", "信息公开专栏", False),
    ("重点领域信息公开", "信息公开专栏", False),
    ("建议提案办理", "信息公开专栏", False),
    ("政府工作报告", "规划计划", False),
)
BASICS = SiteBasicsFacts(
    site_code="5309000001",
    icp="滇ICP备05000001号",
    police_record="滇公网安备53090202000001号",
    party_gov_label=True,
    search=True,
    error_report=True,
)
GUIDES = ServiceGuideFacts(
    service_offered=True,
    guides=[
        ServiceGuide(
            name=f"事项{k}", elements=["设定依据", "申请条件", "办理材料"], statutory_days=20, promised_days=10
        )
        for k in range(5)
    ],
)
# A board's questions: one every 3 days from June; every fifth is never answered, the others 6 days later.
MESSAGES = [
    Message(
        title=f"关于第{k}项事宜的咨询",
        category="咨询",
        asked_on=date(2022, 6, 1) + timedelta(days=3 * k),
        answered_on=None if k % 5 == 4 else date(2022, 6, 1) + timedelta(days=3 * k + 6),
        status="未答复" if k % 5 == 4 else "已答复",
    )
    for k in range(40)
]


@dataclass(frozen=True)
class Site:
    home: Target
    columns: tuple[Target, ...]
    board: Target
    guides: Target

    @property
    def targets(self) -> list[Target]:
        return [self.home, *self.columns, self.board, self.guides]


@dataclass(frozen=True)
class Fleet:
    sites: list[Site]
    accounts: list[Target]

    @property
    def targets(self) -> list[Target]:
        return [t for s in self.sites for t in s.targets] + self.accounts


def make_fleet(sites: int, accounts: int) -> Fleet:
    return Fleet([_site(i) for i in range(sites)], [_account(j) for j in range(accounts)])


def _site(i: int) -> Site:
    sid = f"site{i:03d}"
    url = f"http://127.0.0.1:9/sites/{sid}/"
    home = Target(
        target_id=sid,
        type=TargetType.website,
        name=f"第{i}县人民政府",
        url=url,
        unit_id=f"unit{i:03d}",
        county=f"第{i}县",
        registered_on=REGISTERED,
        has_message_board=True,
    )
    part = {"unit_id": home.unit_id, "county": home.county, "site_id": sid, "registered_on": REGISTERED}
    columns = tuple(
        Target(
            target_id=f"{sid}-c{k:02d}",
            type=TargetType.column,
            name=name,
            url=f"{url}c{k:02d}/",
            column_type=kind,
            first_level=first,
            **part,
        )
        for k, (name, kind, first) in enumerate(COLUMNS)
    )
    board = Target(target_id=f"{sid}-hdjl", type=TargetType.message_board, name="政务咨询", url=f"{url}hdjl/", **part)
    guides = Target(target_id=f"{sid}-bszn", type=TargetType.service_guide, name="办事指南", url=f"{url}bszn/", **part)
    return Site(home, columns, board, guides)


def _account(j: int) -> Target:
    return Target(
        target_id=f"acct{j:03d}",
        type=TargetType.account,
        name=f"第{j}号政务公众号",
        url=f"http://127.0.0.1:9/feeds/acct{j:03d}.xml",
        unit_id=f"acct-unit{j:03d}",
        county=f"第{j % 10}县",
        platform="微信公众号",
        registered_on=REGISTERED,
    )


# --- what each target shows on a day: shared by Evidence and observations ----------------------------------------


def quarter_days() -> Iterator[date]:
    day = PERIOD.window_start.date()
    while day <= PERIOD.monitoring_point.date():
        yield day
        day += timedelta(days=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA_TZ)


def failed_visits(i: int, day: date) -> set[int]:
    """Site 7 of every 10 fails 2 of its 20 visits (10 %, over the 5 % line) in the week from 9月5日."""
    return {3, 11} if i % 10 == 7 and date(2022, 9, 5) <= day <= date(2022, 9, 11) else set()


def homepage_newest(i: int, day: date) -> date:
    """Site 3 of every 10 shows nothing newer than 7月31日 until 9月1日 (首页长期不更新 from 8月15日)."""
    if i % 10 == 3 and date(2022, 8, 1) <= day <= date(2022, 8, 31):
        return date(2022, 7, 31)
    return day - timedelta(days=1)


def column_newest(i: int, k: int, day: date) -> date | None:
    """Most columns are fresh for their type; site 1 of every 5 lets its 动态 and 政策文件 columns go stale."""
    kind = COLUMNS[k][1]
    if i % 5 == 1 and kind in ("动态", "政策文件"):
        return date(2022, 1, 10)
    lag = {"要闻": 1, "动态": 3, "通知公告": 12, "政策文件": 40}.get(kind, 90)
    return day - timedelta(days=lag + (i + k) % 5)


def page(kind: Literal["homepage", "columns"], newest: date | None) -> PageFacts:
    items = (
        []
        if newest is None
        else [DatedItem(title=f"信息{n}", published_on=newest - timedelta(days=n)) for n in range(8)]
    )
    return PageFacts(kind=kind, newest_item_on=newest, items=items, empty=newest is None)


def content(i: int, day: date, pages: int) -> ContentFacts:
    """Site (or account) 5 of every 17 published a serious wording error in August; everyone has a minor one."""
    url = f"http://127.0.0.1:9/sites/site{i:03d}/c00/t{day:%Y%m%d}_1.html"
    found = [
        WordFinding(
            word="登陆", suggestion="登录", category="typo", severity="一般", context="请登陆系统", url=url, offset=120
        )
    ]
    if i % 17 == 5 and date(2022, 8, 1) <= day <= date(2022, 8, 14):
        found.append(
            WordFinding(
                word="中华人民共合国",
                suggestion="中华人民共和国",
                category="typo",
                severity="严重",
                context="中华人民共合国宪法",
                url=url,
                offset=40,
            )
        )
    return ContentFacts(pages_checked=pages, findings=found, dictionary_version="2022.3")


def links(i: int) -> LinksFacts:
    dead = [
        DeadLink(url=f"http://127.0.0.1:9/gone/{n}.html", found_on=f"http://127.0.0.1:9/sites/site{i:03d}/", status=404)
        for n in range(i % 4)
    ]
    return LinksFacts(pages_crawled=200, links_checked=3000, dead_total=len(dead), dead=dead)


def board(day: date) -> InteractionFacts:
    asked = [
        m
        if m.answered_on is None or m.answered_on <= day
        else m.model_copy(update={"answered_on": None, "status": "办理中"})
        for m in MESSAGES
        if m.asked_on is not None and m.asked_on <= day
    ]
    return InteractionFacts(
        channel_present=True, channel_kinds=["咨询", "建议"], messages=asked, messages_seen=len(asked)
    )


def feed_newest(j: int, day: date) -> datetime:
    """Account 2 of every 8 posts nothing from 8月1日 to 8月31日."""
    if j % 8 == 2 and date(2022, 8, 1) <= day <= date(2022, 8, 31):
        return at(date(2022, 7, 31), 18)
    return at(day - timedelta(days=1), 18)


def last_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --- Evidence, built directly, for the pure core ------------------------------------------------------------------


def site_evidence(i: int, site: Site, as_of: datetime) -> Evidence:
    today, start = as_of.date(), PERIOD.window_start.date()
    monday = max(last_monday(today), start)
    days = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    states = [
        ColumnState(
            name=c.name,
            column_type=c.column_type,
            first_level=c.first_level,
            newest_item_on=column_newest(i, k, today),
            empty=column_newest(i, k, today) is None,
            observation_id=f"{c.target_id}-{today}",
        )
        for k, c in enumerate(site.columns)
    ]
    return Evidence(
        target=site.home,
        period=PERIOD,
        as_of=as_of,
        availability={d: DayCount(20, len(failed_visits(i, d))) for d in days},
        homepage=PageSeen(f"{site.home.target_id}-home-{today}", at(today, 9), homepage_newest(i, today)),
        site_columns=states,
        content=[Seen(f"{site.home.target_id}-content-{monday}", content(i, monday, 50))],
        boards=[Seen(f"{site.board.target_id}-{monday}", board(monday))],
        boards_registered=1,
        services=[Seen(f"{site.guides.target_id}-{monday}", GUIDES)],
        services_registered=1,
        basics=Seen(f"{site.home.target_id}-basics-{monday}", BASICS),
        links=Seen(f"{site.home.target_id}-links-{monday}", links(i)),
    )


def column_evidence(i: int, k: int, column: Target, as_of: datetime) -> Evidence:
    today = as_of.date()
    seen = PageSeen(f"{column.target_id}-{today}", at(today, 9), column_newest(i, k, today))
    return Evidence(target=column, period=PERIOD, as_of=as_of, column=seen)


def account_evidence(j: int, account: Target, as_of: datetime) -> Evidence:
    today = as_of.date()
    monday = max(last_monday(today), PERIOD.window_start.date())
    facts = NewMediaFacts(newest_post_at=feed_newest(j, today), posts_in_window=30, has_interaction=True, source="rss")
    return Evidence(
        target=account,
        period=PERIOD,
        as_of=as_of,
        feed=FeedSeen(f"{account.target_id}-{today}", at(today, 10), facts.newest_post_at),
        content=[Seen(f"{account.target_id}-content-{monday}", content(j, monday, 20))],
        account=Seen(f"{account.target_id}-{today}", facts),
    )


# --- observations, for recording and the end-to-end run ----------------------------------------------------------


def observation(
    target: Target, when: datetime, kind: CheckKind, facts: Facts, opened: bool = True
) -> ObservationRecorded:
    request_id = natural_id("probe", target.target_id, kind.value, when)
    return ObservationRecorded(
        event_id=ObservationRecorded.id_for(request_id),
        occurred_at=when,
        correlation_id=ROUND,
        request_id=request_id,
        target_id=target.target_id,
        target_type=target.type,
        kind=kind,
        period_id=PERIOD.period_id,
        url=target.url,
        observed_at=when,
        status=200 if opened else None,
        error="" if opened else "timeout",
        facts=facts,
    )


def site_day(i: int, site: Site, day: date) -> list[ObservationRecorded]:
    failed = failed_visits(i, day)
    first = at(day, 0, 5)
    found = [
        observation(
            site.home,
            first + timedelta(minutes=70 * k),
            CheckKind.availability,
            AvailabilityFacts(opened=k not in failed),
            k not in failed,
        )
        for k in range(20)
    ]
    found.append(observation(site.home, at(day, 9), CheckKind.homepage, page("homepage", homepage_newest(i, day))))
    for k, column in enumerate(site.columns):
        if (day.toordinal() + k) % 7 == 0:  # each column weekly, a couple of them every day
            found.append(
                observation(column, at(day, 9, k + 1), CheckKind.columns, page("columns", column_newest(i, k, day)))
            )
    if day.weekday() == 0:
        found += [
            observation(site.board, at(day, 11), CheckKind.interaction, board(day)),
            observation(site.guides, at(day, 11, 30), CheckKind.service_guides, GUIDES),
            observation(site.home, at(day, 13), CheckKind.site_basics, BASICS),
            observation(site.home, at(day, 14), CheckKind.links, links(i)),
            observation(site.home, at(day, 15), CheckKind.content, content(i, day, 50)),
        ]
    return found


def account_day(j: int, account: Target, day: date) -> list[ObservationRecorded]:
    facts = NewMediaFacts(newest_post_at=feed_newest(j, day), posts_in_window=30, has_interaction=True, source="rss")
    found = [observation(account, at(day, 10), CheckKind.newmedia, facts)]
    if day.weekday() == 0:
        found.append(observation(account, at(day, 15, 30), CheckKind.content, content(j, day, 20)))
    return found


def quarter(fleet: Fleet, days: int | None = None) -> list[ObservationRecorded]:
    """A quarter (or its first ``days`` days) of observations in the order a prober records them: by time, every
    target interleaved."""
    found: list[ObservationRecorded] = []
    for day in itertools.islice(quarter_days(), days):
        today: list[ObservationRecorded] = []
        for i, site in enumerate(fleet.sites):
            today += site_day(i, site, day)
        for j, account in enumerate(fleet.accounts):
            today += account_day(j, account, day)
        found += sorted(today, key=lambda o: o.observed_at)
    return found


def registry_events(fleet: Fleet) -> list[TargetChanged | PeriodChanged]:
    changed_at = datetime(2022, 6, 30, tzinfo=CHINA_TZ)
    found: list[TargetChanged | PeriodChanged] = [
        TargetChanged(event_id=natural_id("target", t.target_id, t.version), occurred_at=changed_at, target=t)
        for t in fleet.targets
    ]
    found.append(PeriodChanged(event_id=natural_id("period", PERIOD.period_id), occurred_at=changed_at, period=PERIOD))
    return found
