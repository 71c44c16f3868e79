"""Wrong and sensitive expressions in published text, found with one Aho-Corasick pass per page.

The dictionary is a YAML file the inspecting office maintains (services/prober/dictionaries/words.yaml by default,
another file through PROBE_WORDS_PATH): wrong leader names and titles with the right form, wrong institution names,
forbidden and sensitive words, common typos, each with a category and a severity (一般 / 疑似 / 严重). A wrong form
that is part of a right one (省长某某 inside 副省长某某, 中华民国 inside 中华民国时期) is not a finding: every
entry's suggestion and its ``allow`` list are checked against the characters around the match.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import ahocorasick
import yaml

from shared.events import WordFinding

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "dictionaries" / "words.yaml"
CONTEXT_CHARS = 30
MAX_FINDINGS_PER_PAGE = 100  # a page full of one typo needs its first findings, not all of them
Severity = Literal["一般", "疑似", "严重"]
SEVERITIES: tuple[Severity, ...] = ("一般", "疑似", "严重")


class DictionaryError(ValueError):
    """The dictionary file cannot be used; the message says where, for the office that edits it."""


@dataclass(frozen=True)
class Entry:
    word: str
    suggestion: str
    category: str
    severity: Severity
    allow: tuple[str, ...]  # right forms that contain the word

    def allowed_at(self, text: str, start: int) -> bool:
        for right in self.allow:
            at = right.find(self.word)
            while at >= 0:
                begin = start - at
                if begin >= 0 and text[begin : begin + len(right)] == right:
                    return True
                at = right.find(self.word, at + 1)
        return False


class WordMatcher:
    def __init__(self, entries: list[Entry], version: str) -> None:
        self.version = version
        self.entries = entries
        self._automaton = ahocorasick.Automaton()
        for index, entry in enumerate(entries):
            self._automaton.add_word(entry.word, index)
        if entries:
            self._automaton.make_automaton()

    def find(self, text: str, url: str, limit: int = MAX_FINDINGS_PER_PAGE) -> list[WordFinding]:
        if not self.entries:
            return []
        spans: list[tuple[int, int, Entry]] = []
        for end, index in self._automaton.iter(text):
            entry = self.entries[index]
            start = end - len(entry.word) + 1
            if not entry.allowed_at(text, start):
                spans.append((start, end + 1, entry))
        return [_finding(text, url, start, entry) for start, _, entry in _outermost(spans)[:limit]]


def _outermost(spans: list[tuple[int, int, Entry]]) -> list[tuple[int, int, Entry]]:
    """Drop a match lying inside a longer one (台湾总统 inside 台湾总统府): one mistake, one finding."""
    ordered = sorted(spans, key=lambda s: (s[0], -(s[1] - s[0])))
    kept: list[tuple[int, int, Entry]] = []
    for span in ordered:
        if kept and span[0] >= kept[-1][0] and span[1] <= kept[-1][1]:
            continue
        kept.append(span)
    return kept


def _finding(text: str, url: str, start: int, entry: Entry) -> WordFinding:
    before = text[max(0, start - CONTEXT_CHARS) : start]
    after = text[start + len(entry.word) : start + len(entry.word) + CONTEXT_CHARS]
    return WordFinding(
        word=entry.word,
        suggestion=entry.suggestion,
        category=entry.category,
        severity=entry.severity,
        context=(before + entry.word + after).replace("\n", " "),
        url=url,
        offset=start,
    )


# --- the dictionary file ----------------------------------------------------------------------------------------

_CACHE: dict[tuple[str, int, int], WordMatcher] = {}


def load_matcher(path: str | Path | None = None) -> WordMatcher:
    """The matcher for a dictionary file, built once per file version (path, size and modification time)."""
    file = Path(path) if path else DEFAULT_PATH
    try:
        stat = file.stat()
    except OSError as exc:
        raise DictionaryError(f"{file}: cannot read the dictionary ({exc.strerror})") from exc
    key = (str(file), stat.st_size, stat.st_mtime_ns)
    if key not in _CACHE:
        _CACHE.clear()  # one dictionary in use at a time; an edited file replaces the old matcher
        _CACHE[key] = parse_dictionary(file.read_bytes(), str(file))
    return _CACHE[key]


def parse_dictionary(raw: bytes, source: str = "words.yaml") -> WordMatcher:
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DictionaryError(f"{source}: not valid UTF-8 YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise DictionaryError(f"{source}: expected a mapping with 'version' and a list 'groups'")
    entries: dict[str, Entry] = {}
    for number, group in enumerate(data["groups"], start=1):
        for entry in _group_entries(group, f"{source}: group {number}"):
            entries.setdefault(entry.word, entry)  # the first definition of a word wins
    digest = hashlib.sha256(raw).hexdigest()[:8]
    return WordMatcher(list(entries.values()), f"{data.get('version', 'unversioned')}+{digest}")


def _group_entries(group: Any, where: str) -> list[Entry]:
    if not isinstance(group, dict) or not isinstance(group.get("entries"), list):
        raise DictionaryError(f"{where}: expected 'category', 'severity' and a list 'entries'")
    category = str(group.get("category", "")).strip()
    severity = _severity(group.get("severity"), where)
    if not category:
        raise DictionaryError(f"{where}: 'category' is missing")
    return [_entry(item, category, severity, f"{where}, entry {i}") for i, item in enumerate(group["entries"], 1)]


def _entry(item: Any, category: str, severity: Severity, where: str) -> Entry:
    if isinstance(item, list) and 1 <= len(item) <= 2:
        word, suggestion, allow, own = str(item[0]), str(item[1]) if len(item) > 1 else "", [], severity
    elif isinstance(item, dict) and item.get("word"):
        word, suggestion = str(item["word"]), str(item.get("suggestion", "") or "")
        allow = [str(a) for a in item.get("allow", []) or []]
        own = _severity(item.get("severity", severity), where)
    else:
        raise DictionaryError(f"{where}: expected [wrong, right] or a mapping with 'word'")
    word = word.strip()
    if not word:
        raise DictionaryError(f"{where}: empty word")
    rights = [r for r in [suggestion, *allow] if word in r and r != word]
    bad = [a for a in allow if word not in a]
    if bad:
        raise DictionaryError(f"{where}: 'allow' forms must contain the word {word!r}: {bad}")
    return Entry(word, suggestion.strip(), category, own, tuple(rights))


def _severity(value: Any, where: str) -> Severity:
    if value not in SEVERITIES:
        raise DictionaryError(f"{where}: severity must be one of 一般, 疑似, 严重 (got {value!r})")
    return cast(Severity, value)
