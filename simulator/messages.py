"""A message board's messages (留言): when each is asked and answered, deterministic from the scenario alone.

Messages are asked ``per_week`` on average, one in each slot of 7 / per_week days counted back from the start of the
monitoring point's day (so none is asked on that day: the daily reading of the board may come before it), each at a
hashed instant inside its slot, any hour. A message is answered on a working day 1 … ``reply_days`` working days
later (shared.workdays: the published holidays and 调休), during office hours. Planted exceptions:

- ``overdue``: messages asked within the window, answered 1–3 working days after their due day and before the
  monitoring point's day;
- ``unanswered_over_3_months``: the newest messages whose 3-month national limit (国办秘函〔2019〕19号, a last day on
  a holiday moved to the next working day) ended at least a week before the monitoring point, never answered.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from shared.clock import CHINA_TZ
from shared.workdays import NATIONAL, add_months
from simulator.scenario import MessageBoardSpec, PeriodSpec, WebsiteSpec
from simulator.timeline import stable_hash, unit_interval
from simulator.titles import make_message_title

BOARD_HISTORY_DAYS = 60  # messages start this long before the window (or at the site's registration)
NATIONAL_REPLY_MONTHS = 3  # W-V5: 「超过3个月未答复」
LOOKBACK_MONTHS = 12  # W-V5: messages of the year before the monitoring point
MAX_LATE_WORKING_DAYS = 3
UNANSWERED_MARGIN_DAYS = 7  # an unanswered message's 3-month limit ends at least this long before the point
# What the prober reads of a board by default (PROBE_INTERACTION_MAX_PAGES list pages, at most 200 messages): a
# scenario whose messages to count do not fit is refused rather than silently half-read.
PROBER_LIST_PAGES = 5
PROBER_MAX_MESSAGES = 200
CATEGORIES = (("咨询", 60), ("建议", 25), ("投诉", 15))  # share in percent

Planted = Literal["", "late", "unanswered"]


@dataclass(frozen=True, slots=True)
class BoardMessage:
    seq: int
    title: str
    category: str
    asked_at: datetime
    answered_at: datetime | None
    due: date  # the last day of the board's promised reply time
    planted: Planted = ""

    @property
    def asked_on(self) -> date:
        return self.asked_at.date()

    @property
    def answered_on(self) -> date | None:
        return self.answered_at.date() if self.answered_at is not None else None

    @property
    def slug(self) -> str:
        return f"m{self.seq}"

    def answered_by(self, at: datetime) -> bool:
        return self.answered_at is not None and self.answered_at <= at


class Board:
    """A board's messages newest first, searchable by the instant they are asked."""

    def __init__(self, spec: MessageBoardSpec, messages: list[BoardMessage]) -> None:
        self.spec = spec
        self.messages = messages
        self._keys = [-m.asked_at.timestamp() for m in messages]  # ascending
        self.by_slug = {m.slug: m for m in messages}

    def visible(self, at: datetime) -> list[BoardMessage]:
        """The messages asked by ``at``, newest first."""
        return self.messages[bisect.bisect_left(self._keys, -at.timestamp()) :]


def national_due(asked: date) -> date:
    """The last day of the national 3-month limit, moved off a holiday or rest day (民法典第二百零三条)."""
    return NATIONAL.next_working_day_on_or_after(add_months(asked, NATIONAL_REPLY_MONTHS)).due


def board_messages(site: WebsiteSpec, period: PeriodSpec, counties: tuple[str, ...] = ()) -> list[BoardMessage]:
    """Every message of the site's board, newest first (empty without a board)."""
    board = site.board
    if board is None:
        return []
    point = period.monitoring_point
    earliest = max(site.registered_on, period.window_start - timedelta(days=BOARD_HISTORY_DAYS))
    anchor = datetime.combine(point, time(0), CHINA_TZ)
    slot = timedelta(days=7) / board.per_week
    instants: list[datetime] = []
    while True:
        n = len(instants)
        at = (anchor - slot * (n + 0.1 + 0.8 * unit_interval(site.id, "ask", n))).replace(second=0, microsecond=0)
        if at.date() < earliest:
            break
        instants.append(at)
    first_seq = 10000 + stable_hash(site.id, "board") % 80000
    messages = [
        _regular(site.id, board, first_seq + len(instants) - 1 - n, at, counties) for n, at in enumerate(instants)
    ]
    late = _late(site.id, board, messages, period)
    unanswered = _unanswered(board, messages, point, late)
    return [late.get(m.seq) or (replace_unanswered(m) if m.seq in unanswered else m) for m in messages]


def _regular(
    site_id: str, board: MessageBoardSpec, seq: int, asked_at: datetime, counties: tuple[str, ...]
) -> BoardMessage:
    category = _category(site_id, seq)
    asked = asked_at.date()
    after = 1 + stable_hash(site_id, "reply", seq) % board.reply_days
    return BoardMessage(
        seq=seq,
        title=make_message_title(category, site_id, seq, counties),
        category=category,
        asked_at=asked_at,
        answered_at=_office_hour(site_id, seq, NATIONAL.add_working_days(asked, after).due),
        due=NATIONAL.add_working_days(asked, board.reply_days).due,
    )


def _category(site_id: str, seq: int) -> str:
    roll = stable_hash(site_id, "category", seq) % 100
    for category, share in CATEGORIES:
        if roll < share:
            return category
        roll -= share
    return CATEGORIES[0][0]


def _office_hour(site_id: str, seq: int, day: date) -> datetime:
    minutes = stable_hash(site_id, "answered", seq) % (8 * 60)
    return datetime.combine(day, time(9), CHINA_TZ) + timedelta(minutes=minutes)


def _late(
    site_id: str, board: MessageBoardSpec, messages: list[BoardMessage], period: PeriodSpec
) -> dict[int, BoardMessage]:
    """``overdue`` messages of the window answered 1–3 working days after their due day, before the point's day."""
    chosen: dict[int, BoardMessage] = {}
    for m in sorted(messages, key=lambda m: stable_hash(site_id, "late", m.seq)):
        if len(chosen) >= board.overdue:
            break
        late_day = NATIONAL.add_working_days(m.due, 1 + stable_hash(site_id, "late", m.seq) % MAX_LATE_WORKING_DAYS).due
        if m.asked_on >= period.window_start and late_day < period.monitoring_point:
            answered = _office_hour(site_id, m.seq, late_day)
            chosen[m.seq] = BoardMessage(m.seq, m.title, m.category, m.asked_at, answered, m.due, "late")
    return chosen


def _unanswered(
    board: MessageBoardSpec, messages: list[BoardMessage], point: date, late: dict[int, BoardMessage]
) -> set[int]:
    """The newest messages asked within the look-back year whose 3-month limit ended before the point."""
    since = add_months(point, -LOOKBACK_MONTHS)
    # A week past the limit at the point, so the veto does not hang on the last day's readings.
    latest_due = point - timedelta(days=UNANSWERED_MARGIN_DAYS)
    eligible = [
        m.seq for m in messages if m.seq not in late and since <= m.asked_on and national_due(m.asked_on) < latest_due
    ]
    return set(eligible[: board.unanswered_over_3_months])


def replace_unanswered(m: BoardMessage) -> BoardMessage:
    return BoardMessage(m.seq, m.title, m.category, m.asked_at, None, m.due, "unanswered")


def board_problems(where: str, site: WebsiteSpec, period: PeriodSpec) -> list[str]:
    """Planted messages that cannot be placed, and boards longer than the prober reads (scenario validation)."""
    board = site.board
    if board is None:
        return []
    messages = board_messages(site, period)
    problems = []
    late = sum(1 for m in messages if m.planted == "late")
    if late < board.overdue:
        problems.append(
            f"{where}.overdue: only {late} messages of the window can be answered late before the monitoring point, "
            f"got {board.overdue}"
        )
    unanswered = sum(1 for m in messages if m.planted == "unanswered")
    if unanswered < board.unanswered_over_3_months:
        problems.append(
            f"{where}.unanswered_over_3_months: only {unanswered} messages are more than 3 months old at the "
            f"monitoring point (messages start {BOARD_HISTORY_DAYS} days before the window), "
            f"got {board.unanswered_over_3_months}"
        )
    counted = [n for n, m in enumerate(messages) if m.asked_on >= period.window_start or m.planted == "unanswered"]
    reach = min(PROBER_LIST_PAGES * board.page_size, PROBER_MAX_MESSAGES)
    if counted and counted[-1] >= reach:
        problems.append(
            f"{where}: {counted[-1] + 1} messages must be read at the monitoring point, more than the prober's "
            f"{PROBER_LIST_PAGES} list pages of {board.page_size} (at most {PROBER_MAX_MESSAGES}); "
            "lower per_week or raise page_size (at most 40)"
        )
    return problems
