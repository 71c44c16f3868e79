"""New-media accounts read from JSON feeds and from platform back-office exports (CSV, XLSX) uploaded by hand."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import openpyxl
import pytest

from services.prober.app import SPEC
from services.prober.extract.exports import ExportError, read_export
from services.prober.extract.feeds import read_feed
from services.prober.settings import ProberSettings
from shared.clock import CHINA_TZ
from tests.apps import running

SEEN = datetime(2022, 9, 29, 18, tzinfo=CHINA_TZ)
TOKEN = "upload-token-for-tests-0123456789"


def test_a_json_feed_gives_the_newest_post_the_window_count_and_a_closure_notice() -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "items": [
            {"title": "秋季招生公告", "date_published": "2022-09-10T09:00:00+08:00"},
            {"title": "关于本账号停止更新的公告", "date_published": "2022-09-20T09:00:00+08:00"},
            {"title": "明天的新闻", "date_published": "2022-09-30T09:00:00+08:00"},
        ],
    }
    activity = read_feed(json.dumps(feed, ensure_ascii=False), SEEN)
    assert activity.newest_post_at == datetime(2022, 9, 20, 1, tzinfo=UTC)
    assert activity.posts_in_window == 1  # 9月10日 is 19 days back; 9月30日 is after the observation
    assert activity.closure_notice_on is not None and activity.closure_notice_on.isoformat() == "2022-09-20"


def test_a_plain_json_list_with_millisecond_timestamps_is_read() -> None:
    activity = read_feed(json.dumps([{"text": "发布", "time": 1663639200000}]), SEEN)
    assert activity.newest_post_at == datetime(2022, 9, 20, 2, tzinfo=UTC)


def test_a_wechat_csv_export_in_gb18030_with_a_title_row_is_read() -> None:
    text = "公众号图文数据（2022-07-01至2022-09-29）\n标题,发布时间,阅读数,留言数\n第一篇,2022-09-20 10:00,100,2\n第二篇,2022年9月25日,50,0\n合计,,150,2\n"
    read = read_export("图文.csv", text.encode("gb18030"))
    assert [at.date().isoformat() for at, _ in read.posts] == ["2022-09-20", "2022-09-25"]
    assert read.has_interaction is True  # a 留言数 column: the account has the function
    assert read.skipped_rows == [5]


def test_an_xlsx_export_with_excel_dates_and_no_comment_column_is_read() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["微博正文", "发布时间", "转发"])
    sheet.append(["今日发布", datetime(2022, 9, 27, 8, 30), 3])
    buffer = io.BytesIO()
    book.save(buffer)
    read = read_export("weibo.xlsx", buffer.getvalue())
    assert read.posts[0][0].date().isoformat() == "2022-09-27" and read.posts[0][1] == "今日发布"
    assert read.has_interaction is None


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("a.csv", "标题,阅读数\n一,1\n".encode(), "表头"),
        ("a.xlsx", b"not a workbook", "XLSX"),
        ("a.csv", "发布时间,标题\n不是时间,一\n".encode(), "没有可识别"),
    ],
)
def test_an_unreadable_export_is_refused_with_a_reason_in_chinese(name: str, body: bytes, message: str) -> None:
    with pytest.raises(ExportError, match=message):
        read_export(name, body)


async def test_an_uploaded_export_becomes_one_observation_however_often_it_is_uploaded(
    nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any
) -> None:
    settings = ProberSettings(
        nats_url=nats_url_,
        mongodb_uri=mongodb_uri,
        mongodb_db_prefix=db_prefix,
        api_token=TOKEN,
    )
    export = "标题,发布时间,留言数\n通知,2022-09-28 09:00,1\n".encode()
    files = {"file": ("导出.csv", export)}
    async with running(SPEC, settings) as base, httpx.AsyncClient() as http:
        url = f"{base}/newmedia/acct-1/export"
        anonymous = await http.post(url, files=files, params={"period_id": "2022Q3"})
        auth = {"Authorization": f"Bearer {TOKEN}"}
        first = await http.post(url, files=files, params={"period_id": "2022Q3"}, headers=auth)
        again = await http.post(url, files=files, params={"period_id": "2022Q3"}, headers=auth)
        bad = await http.post(url, files={"file": ("x.csv", b"nothing")}, params={"period_id": "2022Q3"}, headers=auth)
    assert anonymous.status_code == 401
    assert first.status_code == 202 and first.json()["facts"]["source"] == "export"
    assert first.json()["facts"]["has_interaction"] is True
    assert again.json()["event_id"] == first.json()["event_id"]
    assert (await jetstream.stream_info("OBSERVATIONS")).state.messages == 1
    assert bad.status_code == 422 and "无法读取" in bad.json()["detail"]
