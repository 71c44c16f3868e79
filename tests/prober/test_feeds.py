from datetime import datetime, timedelta

from services.prober.extract.feeds import read_feed
from shared.clock import CHINA_TZ

OBSERVED = datetime(2022, 9, 29, 12, 0, tzinfo=CHINA_TZ)


def rss(*items: tuple[str, str], encoding: str = "utf-8") -> str:
    body = "".join(f"<item><title>{title}</title><pubDate>{when}</pubDate></item>" for title, when in items)
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>'
        f'<rss version="2.0"><channel><title>临沧发布</title>{body}</channel></rss>'
    )


def test_newest_post_and_posts_in_the_14_days_before_the_observation() -> None:
    feed = rss(
        ("临沧市召开会议", "Wed, 28 Sep 2022 10:00:00 +0800"),
        ("国庆假期出行提示", "Fri, 16 Sep 2022 09:00:00 +0800"),
        ("中秋节慰问", "Tue, 13 Sep 2022 10:00:00 +0800"),
    )
    activity = read_feed(feed, OBSERVED)
    assert activity.newest_post_at == datetime(2022, 9, 28, 10, 0, tzinfo=CHINA_TZ)
    assert activity.posts_in_window == 2
    assert activity.closure_notice_on is None


def test_posts_after_the_observation_do_not_count() -> None:
    feed = rss(("未来的推送", "Tue, 11 Oct 2022 10:00:00 +0800"), ("旧推送", "Tue, 02 Aug 2022 10:00:00 +0800"))
    activity = read_feed(feed, OBSERVED)
    assert activity.newest_post_at == datetime(2022, 8, 2, 10, 0, tzinfo=CHINA_TZ)
    assert activity.posts_in_window == 0


def test_a_closure_announcement_is_dated() -> None:
    feed = rss(("关于本公众号停止更新的公告", "Mon, 26 Sep 2022 23:30:00 +0800"), encoding="gbk")
    assert read_feed(feed, OBSERVED).closure_notice_on == datetime(2022, 9, 26).date()


def test_an_atom_feed_is_read_too() -> None:
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>临沧微博</title>'
        "<entry><title>一条微博</title><updated>2022-09-27T08:00:00+08:00</updated></entry></feed>"
    )
    activity = read_feed(atom, OBSERVED, window=timedelta(days=1))
    assert activity.newest_post_at == datetime(2022, 9, 27, 8, 0, tzinfo=CHINA_TZ)
    assert activity.posts_in_window == 0


def test_an_empty_or_broken_feed_has_no_posts() -> None:
    assert read_feed("", OBSERVED).newest_post_at is None
    assert read_feed("<html><body>404</body></html>", OBSERVED).posts_in_window == 0


def test_a_malformed_feed_is_still_read_by_the_forgiving_parser() -> None:
    # An unescaped & makes the XML ill-formed: the strict reader gives up and feedparser reads it.
    feed = rss(
        ("临沧市召开会议 & 部署工作", "Wed, 28 Sep 2022 10:00:00 +0800"), ("旧推送", "Fri, 16 Sep 2022 09:00:00 +0800")
    )
    activity = read_feed(feed, OBSERVED)
    assert activity.newest_post_at == datetime(2022, 9, 28, 10, 0, tzinfo=CHINA_TZ)
    assert activity.posts_in_window == 2


def test_dates_without_a_zone_are_beijing_time() -> None:
    feed = rss(("推送", "2022-09-28 10:00:00"))
    assert read_feed(feed, OBSERVED).newest_post_at == datetime(2022, 9, 28, 10, 0, tzinfo=CHINA_TZ)


def test_posts_without_a_date_prove_nothing() -> None:
    feed = rss(("推送", ""))
    activity = read_feed(feed, OBSERVED)
    assert activity.newest_post_at is None and activity.posts_in_window == 0
