"""Rate limits and quiet hours: tables of plain values, no servers."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from services.notifier.channels.chat_settings import ChannelSettings, RateLimit
from services.notifier.channels.limits import Pacing, QuietHours, RateLimiter
from services.notifier.models import Channel
from shared.clock import CHINA_TZ

PER_MINUTE_20 = RateLimit(max_messages=20, window_s=60)


def limiter_with_sends(limits: list[RateLimit], sends: list[float], key: str = "robot-a") -> RateLimiter:
    limiter = RateLimiter(limits)
    for at in sends:
        limiter.record(key, at)
    return limiter


@pytest.mark.parametrize(
    ("sends", "now", "delay"),
    [
        ([], 0.0, 0.0),
        ([float(i) for i in range(19)], 19.0, 0.0),  # the 20th fits
        ([float(i) for i in range(20)], 20.0, 40.0),  # the 21st waits until the first leaves the window
        ([float(i) for i in range(20)], 59.999, 0.001),  # just before the window edge
        ([float(i) for i in range(20)], 60.0, 0.0),  # exactly at the edge: the first send no longer counts
        ([float(i) for i in range(20)], 61.0, 0.0),
        ([0.0] * 20 + [30.0] * 5, 30.0, 30.0),  # a burst: the oldest must go first
        ([0.0] * 10 + [30.0] * 15, 31.0, 29.0),  # 25 in the window: the 6th oldest (at 0) must leave
        ([0.0] * 5 + [30.0] * 20, 31.0, 59.0),  # 25 in the window: the 6th oldest is at 30
    ],
)
def test_twenty_a_minute_per_robot(sends: list[float], now: float, delay: float) -> None:
    assert limiter_with_sends([PER_MINUTE_20], sends).delay_for("robot-a", now) == pytest.approx(delay)


def test_robots_are_limited_each_on_its_own() -> None:
    limiter = limiter_with_sends([PER_MINUTE_20], [float(i) for i in range(20)], key="robot-a")
    assert limiter.delay_for("robot-a", 20.0) == pytest.approx(40.0)
    assert limiter.delay_for("robot-b", 20.0) == 0.0


@pytest.mark.parametrize(
    ("sends", "now", "delay"),
    [
        ([0.0], 30.0, 30.0),  # 1 a minute
        ([0.0, 60.0, 120.0, 180.0, 240.0], 300.0, 3300.0),  # 5 an hour: the first send leaves at 3600
        ([i * 3600.0 for i in range(10)], 36_000.0, 50_400.0),  # 10 a day: the first leaves at 86400
    ],
)
def test_sms_windows_all_apply_and_the_longest_wait_wins(sends: list[float], now: float, delay: float) -> None:
    sms = ChannelSettings().rate_limits[Channel.sms]
    assert limiter_with_sends(sms, sends, key="13800000000").delay_for("13800000000", now) == pytest.approx(delay)


def test_reserve_counts_only_a_send_that_may_go_and_old_sends_are_forgotten() -> None:
    limiter = RateLimiter([RateLimit(max_messages=2, window_s=10)])
    assert [limiter.reserve("k", 0.0), limiter.reserve("k", 1.0), limiter.reserve("k", 2.0)] == [0.0, 0.0, 8.0]
    assert limiter.reserve("k", 10.0) == 0.0  # the send at 0 left; the refused one at 2 was never counted
    assert limiter.delay_for("k", 1000.0) == 0.0
    assert limiter._sent == {}  # nothing kept for keys with no send in any window


def test_no_limits_never_delay() -> None:
    limiter = limiter_with_sends([], [0.0] * 1000)
    assert limiter.delay_for("robot-a", 0.0) == 0.0


def beijing(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2022, 10, day, hour, minute, tzinfo=CHINA_TZ)


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (beijing(7, 9), beijing(7, 9)),  # daytime: now
        (beijing(7, 21, 59), beijing(7, 21, 59)),
        (beijing(7, 22), beijing(8, 8)),  # the quiet hours start: tomorrow morning
        (beijing(7, 23, 30), beijing(8, 8)),
        (beijing(8, 0), beijing(8, 8)),  # past midnight: this morning
        (beijing(8, 7, 59), beijing(8, 8)),
        (beijing(8, 8), beijing(8, 8)),  # the end itself is allowed
        (datetime(2022, 10, 7, 15, 0, tzinfo=UTC), beijing(8, 8)),  # 23:00 in Beijing, asked in UTC
        (datetime(2022, 10, 8, 1, 0), datetime(2022, 10, 8, 8, 0, tzinfo=CHINA_TZ)),  # naive: taken as Beijing
    ],
)
def test_no_sms_between_22_and_8_beijing_time_across_midnight(now: datetime, allowed: datetime) -> None:
    assert QuietHours(time(22), time(8)).next_allowed(now) == allowed


def test_the_answer_keeps_the_zone_it_was_asked_in() -> None:
    answer = QuietHours().next_allowed(datetime(2022, 10, 7, 15, 0, tzinfo=UTC))
    assert answer.tzinfo == UTC and answer == datetime(2022, 10, 8, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "now", "allowed"),
    [
        (time(12), time(14), beijing(7, 13), beijing(7, 14)),  # a window within one day
        (time(12), time(14), beijing(7, 14), beijing(7, 14)),
        (time(12), time(14), beijing(7, 11), beijing(7, 11)),
        (time(0), time(6), beijing(7, 0), beijing(7, 6)),
        (time(22), time(22), beijing(7, 23), beijing(7, 23)),  # equal times: no quiet hours
    ],
)
def test_other_quiet_windows(start: time, end: time, now: datetime, allowed: datetime) -> None:
    assert QuietHours(start, end).next_allowed(now) == allowed


def test_only_sms_is_held_at_night_and_limits_come_from_the_settings() -> None:
    pacing = Pacing.from_settings(ChannelSettings())
    night = beijing(7, 23)
    assert pacing.not_before(Channel.sms, night) == beijing(8, 8)
    assert [pacing.not_before(c, night) for c in (Channel.email, Channel.dingtalk, Channel.wecom)] == [night] * 3
    wecom = pacing.limiter(Channel.wecom)
    for i in range(20):
        assert wecom.reserve("robot", float(i)) == 0.0
    assert wecom.delay_for("robot", 20.0) == pytest.approx(41.0)  # 61 s window: a second of margin
    assert pacing.limiter(Channel.email).delay_for("relay", 0.0) == 0.0


def test_settings_parse_from_json_as_the_environment_gives_them() -> None:
    settings = ChannelSettings.model_validate_json(
        '{"quiet_hours_start": "21:30", "quiet_hours_end": "07:00",'
        ' "rate_limits": {"email": [{"max_messages": 100, "window_s": 3600}]}}'
    )
    pacing = Pacing.from_settings(settings)
    assert pacing.not_before(Channel.sms, beijing(7, 21, 45)) == beijing(8, 7)
    assert settings.rate_limits[Channel.email] == [RateLimit(max_messages=100, window_s=3600)]
    assert settings.rate_limits[Channel.wecom] == ChannelSettings().rate_limits[Channel.wecom]  # defaults kept
    assert pacing.limiter(Channel.email).reserve("relay", 0.0) == 0.0
