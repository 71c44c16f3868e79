"""The target page's core: an observation's key facts and what each registry version changed."""

from __future__ import annotations

from services.console.target_view import changed_fields, key_facts, versions


def test_a_homepage_observation_reads_as_its_newest_item_and_count() -> None:
    observation = {
        "kind": "homepage",
        "status": 200,
        "timing": {"total_ms": 1234.0},
        "facts": {
            "kind": "homepage",
            "newest_item_on": "2022-09-04",
            "items": [{"title": "a", "published_on": "2022-09-04"}, {"title": "b", "published_on": None}],
        },
    }
    assert key_facts(observation) == ["HTTP 200", "用时 1.2 秒", "最新信息 2022-09-04", "有日期的信息 1 条"]


def test_a_failed_visit_says_why_and_nothing_about_facts_it_never_saw() -> None:
    observation = {"kind": "availability", "status": None, "error": "timeout", "facts": {"opened": False}}
    assert key_facts(observation) == ["访问失败：timeout"]


def test_an_account_and_an_empty_column_read_as_the_notices_would_say() -> None:
    account = {
        "kind": "newmedia",
        "status": 200,
        "facts": {"newest_post_at": "2022-09-05T10:00:00+08:00", "posts_in_window": 0},
    }
    assert key_facts(account)[1:] == ["最新发布 2022-09-05", "近14天发布 0 条"]
    column = {"kind": "columns", "status": 200, "facts": {"items": [], "empty": True}}
    assert key_facts(column)[1:] == ["未找到有日期的信息", "有日期的信息 0 条", "空白栏目"]


def test_versions_are_newest_first_with_who_why_and_each_changed_field() -> None:
    first = {"name": "松溪县政府", "url": "http://a/", "status": "running", "version": 1}
    second = {**first, "name": "松溪县人民政府", "site_code": "5399230001", "version": 2}
    history = [
        {
            "version": 2,
            "snapshot": second,
            "changed_by": "admin",
            "reason": "更正名称",
            "changed_at": "2022-09-01T00:00:00Z",
        },
        {
            "version": 1,
            "snapshot": first,
            "changed_by": "import",
            "reason": "导入清单",
            "changed_at": "2022-07-01T00:00:00Z",
        },
    ]
    listed = versions(history)
    assert [(v.version, v.changed_by, v.reason) for v in listed] == [
        (2, "admin", "更正名称"),
        (1, "import", "导入清单"),
    ]
    assert listed[0].changes == ["名称：松溪县政府 → 松溪县人民政府", "网站标识码：（空） → 5399230001"]
    assert listed[1].changes == ["首次登记"]
    assert changed_fields(first, {**first, "version": 9}) == []
