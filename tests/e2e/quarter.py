"""Checks shared by the quarter tests: the system's outputs against the scenario's ground truth."""

from __future__ import annotations

import email
import json
from collections import Counter
from collections.abc import Sequence
from email import policy
from pathlib import Path
from typing import Any

import httpx
import nats

from simulator.scenario import Scenario
from simulator.truth import ExpectedInteraction, expected_numbers, expected_outcomes
from xunjian.demo import Demo, DemoResult


def rows_of(
    numbers: dict[str, Any],
) -> tuple[list[tuple[int, str, str, str]], list[tuple[str, list[tuple[int, str, str, str]]]]]:
    def row(r: dict[str, Any]) -> tuple[int, str, str, str]:
        return (r["serial"], r["county"], r["name"], "；".join(r["problems"]))

    sites = [row(r) for r in numbers["website_rows"]]
    groups = [(g["platform"], [row(r) for r in g["rows"]]) for g in numbers["account_groups"]]
    return sites, groups


def assert_notice_matches_truth(scenario: Scenario, result: DemoResult) -> None:
    truth = expected_numbers(scenario)
    got = result.numbers
    assert (got["websites"]["running"], got["websites"]["unqualified"]) == (
        truth.websites_running,
        truth.websites_unqualified,
    )
    assert (got["columns"]["running"], got["columns"]["unqualified"]) == (
        truth.columns_running,
        truth.columns_unqualified,
    )
    assert (got["accounts"]["running"], got["accounts"]["unqualified"], got["accounts"]["newly_registered"]) == (
        truth.accounts_running,
        truth.accounts_unqualified,
        truth.accounts_new,
    )
    for kind, rate in (
        ("websites", truth.websites_pass_rate),
        ("columns", truth.columns_pass_rate),
        ("accounts", truth.accounts_pass_rate),
    ):
        assert f"{got[kind]['pass_rate']}%" == rate, kind
    sites, groups = rows_of(got)
    assert sites == [(r.seq, r.county, r.name, r.problems) for r in truth.website_rows]
    assert groups == [
        (g.platform, [(r.seq, r.county, r.name, r.problems) for r in g.rows]) for g in truth.account_groups
    ]
    html = result.outputs["html"].read_text(encoding="utf-8")
    for rate in (truth.websites_pass_rate, truth.accounts_pass_rate):
        assert rate in html
    assert_interaction_matches_truth(truth.interaction, got, html)
    for r in truth.website_rows:
        assert r.name in html


def assert_interaction_matches_truth(truth: ExpectedInteraction | None, got: dict[str, Any], html: str) -> None:
    """（四）网民留言办理情况: the reporter's numbers are the truth's, and the notice prints them (or leaves （四） out)."""
    if truth is None:
        assert got.get("interaction") is None
        assert "网民留言办理情况" not in html
        return
    assert got["interaction"] == truth.model_dump()
    printed = (
        f"全市开设网民留言平台的政府网站和专栏共 {truth.platforms} 个，"
        f"{got['year']} 年第三季度全市共接到网民留言 {truth.messages} 条，逾期答复 {truth.overdue} 条。"
    )
    assert printed.replace("第三季度", _quarter_words(got["quarter"])) in html


def _quarter_words(quarter: int) -> str:
    return f"第{'一二三四'[quarter - 1]}季度"


def admin(demo: Demo) -> dict[str, str]:
    """The city administrator's token `xunjian up` gives every service (the registry's bootstrap administrator)."""
    return {"Authorization": f"Bearer {demo.stack.admin_token}"}


async def assert_verdicts_match_truth(demo: Demo, scenario: Scenario) -> None:
    truth = {t: e for t, e in expected_outcomes(scenario).items() if e.running}
    async with httpx.AsyncClient(timeout=30, headers=admin(demo)) as http:
        stored = (await http.get(f"{demo.url('evaluator')}/verdicts", params={"period_id": scenario.period.id})).json()
    got = {v["target_id"]: v for v in stored}
    for target_id, expected in truth.items():
        verdict = got[target_id]
        assert expected.outcome is not None  # running targets always have an expected outcome
        assert verdict["outcome"] == expected.outcome.value, (target_id, verdict["indicators"])
        labels = [i["label"] for i in verdict["indicators"] if i["status"] == "fail"]
        assert labels == expected.problems, target_id


def read_mail(mail_dir: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default) for path in sorted(mail_dir.glob("*.eml"))
    ]


def assert_one_email_per_problem(
    scenario: Scenario, result: DemoResult, uncertain: Sequence[dict[str, Any]] = ()
) -> None:
    """Every problem's notice once; a notice whose send a killed notifier left uncertain may be there once or not at
    all (a person decides: it is never sent again by itself)."""
    every = read_mail(result.mail_dir)
    message_ids = Counter(m["Message-ID"] for m in every)
    assert all(n == 1 for n in message_ids.values()), "an e-mail was sent twice"
    emails = [m for m in every if str(m["Subject"]).startswith("【整改通知】")]  # early warnings (预警提醒) besides
    units = {u.id: u for u in scenario.units}
    expected: Counter[tuple[str, str, str]] = Counter()
    for outcome in expected_outcomes(scenario).values():
        if outcome.running:
            for problem in outcome.problems:
                expected[(units[outcome.unit_id].emails[0], outcome.name, problem)] += 1
    got: Counter[tuple[str, str, str]] = Counter()
    for message in emails:
        subject = str(message["Subject"])
        for recipient, name, problem in expected:
            if str(message["To"]) == recipient and name in subject and problem in subject:
                got[(recipient, name, problem)] += 1
    unsure = {(row["recipient"], row["subject"]) for row in uncertain}
    for key in [k for k in expected if any(r == k[0] and k[1] in subj and k[2] in subj for r, subj in unsure)]:
        assert got[key] <= 1, key
        got[key] = expected[key]  # sent once or not at all: both are what "uncertain" means
    assert got == expected
    assert len(emails) <= sum(expected.values())
    assert len(emails) + len(unsure) >= sum(expected.values())


async def verdict_events(nats_url: str) -> list[dict[str, Any]]:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        count = (await js.stream_info("VERDICTS", subjects_filter="verdict.changed")).state.subjects or {}
        sub = await js.subscribe("verdict.changed", stream="VERDICTS", ordered_consumer=True)
        # The stream also holds verdict.warning events: read exactly the verdict.changed ones.
        events = [json.loads((await sub.next_msg(5)).data) for _ in range(count.get("verdict.changed", 0))]
        await sub.unsubscribe()
        return events
    finally:
        await nc.close()


def assert_no_duplicate_verdicts(events: list[dict[str, Any]]) -> None:
    keys = Counter((e["verdict"]["target_id"], e["verdict"]["revision"]) for e in events)
    assert all(n == 1 for n in keys.values()), [k for k, n in keys.items() if n > 1]
    per_target: dict[str, list[int]] = {}
    for e in events:
        per_target.setdefault(e["verdict"]["target_id"], []).append(e["verdict"]["revision"])
    for target, revisions in per_target.items():
        assert sorted(revisions) == list(range(1, len(revisions) + 1)), target


async def uncertain_deliveries(demo: Demo) -> list[dict[str, Any]]:
    """Deliveries the notifier could not settle (a send cut short by a kill): for a person, never resent."""
    async with httpx.AsyncClient(headers=admin(demo)) as http:
        response = await http.get(f"{demo.url('notifier')}/deliveries", params={"status": "uncertain"})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows
