"""Everything a batch of targets' evaluations read, in a handful of queries, assembled into ``Evidence`` values.

A website's evidence includes its children: the columns (W-V4 at site level), message boards (W-V5) and
service-guide sources (W-V6) registered under it and running at the verdict's instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from shared.events import (
    CheckKind,
    ContentFacts,
    LinksFacts,
    NewMediaFacts,
    Period,
    SiteBasicsFacts,
    Target,
    TargetType,
)

from .recording import Latest, feed_seen, page_seen, seen, with_parts
from .repository import EvaluatorRepository, Pair
from .rules import Evidence, Seen, beijing_date

Facts = dict[tuple[str, str, str], Latest]


@dataclass(frozen=True)
class Subject:
    """One (target, period) to evaluate as of an instant."""

    target: Target
    period: Period
    as_of: datetime


async def gather(repo: EvaluatorRepository, subjects: Sequence[Subject]) -> list[Evidence]:
    pairs = [(s.target.target_id, s.period.period_id) for s in subjects]
    sites = [s for s in subjects if s.target.type is TargetType.website]
    counts = await repo.daily_counts([(s.target.target_id, s.period.period_id) for s in sites])
    children = await repo.children(s.target.target_id for s in sites)
    child_pairs = [(c.target_id, s.period.period_id) for s in sites for c in children.get(s.target.target_id, [])]
    latest = await repo.latest_facts([*pairs, *child_pairs])
    flagged = await repo.flagged_content(pairs)
    units = await repo.units(s.target.unit_id for s in subjects if s.target.type is TargetType.account)
    found: list[Evidence] = []
    for s, pair in zip(subjects, pairs, strict=True):
        own = _own(s, pair, latest, flagged.get(pair, []))
        if s.target.type is TargetType.account:
            own = replace(own, unit=units.get(s.target.unit_id))
        if s.target.type is TargetType.website:
            running = [c for c in children.get(pair[0], []) if c.is_running_at(beijing_date(s.as_of))]
            own = _with_children(own, running, latest)
            own = replace(own, availability=counts.get(pair, {}))
        found.append(own)
    return found


def _own(s: Subject, pair: Pair, latest: Facts, flagged: list[Latest]) -> Evidence:
    def at(kind: CheckKind) -> Latest | None:
        fact = latest.get((*pair, kind.value))
        # A fact observed after the verdict's instant did not exist yet (a replay evaluates the past).
        return fact if fact is not None and fact.observed_at <= s.as_of else None

    return Evidence(
        target=s.target,
        period=s.period,
        as_of=s.as_of,
        homepage=page_seen(at(CheckKind.homepage)),
        column=page_seen(at(CheckKind.columns)),
        feed=feed_seen(at(CheckKind.newmedia)),
        content=_content(flagged, at(CheckKind.content), s.as_of),
        basics=seen(at(CheckKind.site_basics), SiteBasicsFacts),
        links=seen(at(CheckKind.links), LinksFacts),
        account=seen(at(CheckKind.newmedia), NewMediaFacts),
    )


def _content(flagged: list[Latest], latest: Latest | None, as_of: datetime) -> list[Seen[ContentFacts]]:
    """Every check that found something, plus the latest (which says how many pages were read)."""
    chosen = {f.observation_id: f for f in flagged if f.observed_at <= as_of}
    if latest is not None:
        chosen.setdefault(latest.observation_id, latest)
    return [s for f in chosen.values() if (s := seen(f, ContentFacts)) is not None]


def _with_children(e: Evidence, children: list[Target], latest: Facts) -> Evidence:
    period_id = e.period.period_id

    def at(target_id: str, kind: CheckKind) -> Latest | None:
        found = latest.get((target_id, period_id, kind.value))
        return found if found is not None and found.observed_at <= e.as_of else None

    return with_parts(e, children, at)
