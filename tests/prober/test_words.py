"""content: the Aho-Corasick matcher over the maintained dictionary, and the content observer."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.prober.extract.words import DEFAULT_PATH, DictionaryError, load_matcher, parse_dictionary

from .test_corpus import CorpusSite, observe

DICTIONARY = """
version: "test-1"
groups:
  - category: leader_title
    severity: 严重
    entries:
      - word: 省长王某
        suggestion: 副省长王某
      - word: 书记李某
        suggestion: 市委书记李某
        allow: [副书记李某]
  - category: institution
    severity: 严重
    entries:
      - [国务院办公室, 国务院办公厅]
      - [国务院新闻办公厅, 国务院新闻办公室]
  - category: typo
    severity: 一般
    entries:
      - [部暑, 部署]
      - [重新部暑, 重新部署]
      - {word: 精减, suggestion: 精简, severity: 疑似, allow: [精减机构]}
"""


def matcher() -> object:
    return parse_dictionary(DICTIONARY.encode())


def words(text: str) -> list[str]:
    return [f.word for f in parse_dictionary(DICTIONARY.encode()).find(text, "http://x/")]


def test_a_wrong_form_is_found_with_its_suggestion_category_severity_context_and_offset() -> None:
    text = "根据" + "甲" * 40 + "国务院办公室通知要求" + "乙" * 40
    [finding] = parse_dictionary(DICTIONARY.encode()).find(text, "http://x/a.html")
    assert (finding.word, finding.suggestion, finding.category, finding.severity) == (
        "国务院办公室",
        "国务院办公厅",
        "institution",
        "严重",
    )
    assert finding.offset == 42 and text[finding.offset :].startswith("国务院办公室")
    assert finding.context == "甲" * 30 + "国务院办公室" + "通知要求" + "乙" * 26
    assert finding.url == "http://x/a.html"


def test_a_wrong_form_inside_the_right_form_is_not_a_finding() -> None:
    assert words("副省长王某出席") == []  # the suggestion contains the wrong form
    assert words("市委副书记李某") == []  # the allow list
    assert words("精减机构，精减开支") == ["精减"]
    assert words("省长王某出席") == ["省长王某"]


def test_right_institution_names_are_not_findings() -> None:
    assert words("国务院办公厅、国务院新闻办公室、国务院办公室主任") == ["国务院办公室"]


def test_a_match_inside_a_longer_match_is_one_finding() -> None:
    assert words("重新部暑工作，部暑到位") == ["重新部暑", "部暑"]


def test_findings_per_page_are_bounded() -> None:
    found = parse_dictionary(DICTIONARY.encode()).find("部暑" * 500, "http://x/", limit=10)
    assert len(found) == 10


def test_the_version_names_the_file_and_changes_with_its_content() -> None:
    one = parse_dictionary(DICTIONARY.encode()).version
    two = parse_dictionary((DICTIONARY + "\n# edited\n").encode()).version
    assert one.startswith("test-1+") and two.startswith("test-1+") and one != two


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("groups: 3", "list 'groups'"),
        ("groups: [{category: x, severity: 很严重, entries: []}]", "severity"),
        ("groups: [{category: x, severity: 一般, entries: [{word: 省长, allow: [市长]}]}]", "'allow'"),
        ("groups: [{category: x, severity: 一般, entries: [[]]}]", "entry 1"),
        ("groups: [: bad", "YAML"),
    ],
)
def test_a_broken_dictionary_says_where_it_is_broken(text: str, message: str) -> None:
    with pytest.raises(DictionaryError, match=message):
        parse_dictionary(text.encode())


def test_the_shipped_dictionary_loads_and_reloads_when_its_file_changes(tmp_path: Path) -> None:
    shipped = load_matcher()
    assert shipped is load_matcher(DEFAULT_PATH)  # built once
    assert len(shipped.entries) > 50
    custom = tmp_path / "words.yaml"
    custom.write_text(DICTIONARY, encoding="utf-8")
    first = load_matcher(custom)
    assert first.version.startswith("test-1+")
    custom.write_text(DICTIONARY.replace("test-1", "test-2"), encoding="utf-8")
    assert load_matcher(custom).version.startswith("test-2+")
    with pytest.raises(DictionaryError, match="cannot read"):
        load_matcher(tmp_path / "missing.yaml")


async def test_the_observer_checks_the_homepage_and_its_newest_articles(tmp_path: Path) -> None:
    routes: dict[str, str | bytes] = {
        "/": "hp_trs_city_utf8.html",
        "/zwdt/lcyw/202209/t20220928_1188001.html": "article_trs_utf8.html",
        "/zwdt/lcyw/202209/t20220927_1187950.html": "article_jcms_gbk.html",
        "/zwdt/lcyw/202209/t20220926_1187811.html": "article_clean_utf8.html",
    }
    async with CorpusSite(routes) as site:
        seen = await observe("content", site.url("/"), content_max_pages=3)
        custom = tmp_path / "words.yaml"
        custom.write_text(DICTIONARY, encoding="utf-8")
        own = await observe("content", site.url("/"), content_max_pages=0, words_path=str(custom))
    facts = seen.facts
    assert facts.pages_checked == 4
    assert facts.dictionary_version == load_matcher().version
    by_url = {(f.url.rsplit("/", 1)[-1], f.word) for f in facts.findings}
    assert ("", "国务院办公室") in by_url  # on the homepage
    assert ("t20220928_1188001.html", "市长张卫东") in by_url
    assert ("t20220927_1187950.html", "防汛抗早") in by_url  # a GBK article
    assert not any(f.url.endswith("t20220926_1187811.html") for f in facts.findings)
    assert own.facts.pages_checked == 1 and own.facts.dictionary_version.startswith("test-1+")
    assert [f.word for f in own.facts.findings] == ["国务院办公室"]
