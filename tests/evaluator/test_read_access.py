"""Every read of the evaluator's API names its caller: lists keep to the units the caller may read.

On the review stack (tests/evaluator/test_reviews.py): a real registry with 青山县 and 边山县, one portal each, both
judged; a city administrator, 青山县's county administrator, a unit user of 青山县's office, and an auditor.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx

from shared.clock import CHINA_TZ

from .streams import homepage, publish, visit
from .test_reviews import BS, Stack, stack

__all__ = ["stack"]  # the fixture
RECHECK_ID = "recheck-bs-1"
OCTOBER = datetime(2022, 10, 20, 10, tzinfo=CHINA_TZ)


async def get(stack: Stack, path: str, who: str | None, **params: str) -> httpx.Response:
    headers = stack.tokens[who] if who else {}
    return await stack.http.get(f"{stack.evaluator}{path}", params=params, headers=headers)


async def verdict_targets(stack: Stack, who: str) -> list[str]:
    answer = await get(stack, "/verdicts", who, period_id="2022Q3")
    assert answer.status_code == 200, answer.text
    return [v["target_id"] for v in answer.json()]


async def test_without_a_known_token_no_read_answers(stack: Stack) -> None:
    paths = [
        "/verdicts?period_id=2022Q3",
        "/rounds/r",
        f"/rechecks/{RECHECK_ID}",
        "/rule-sets",
        "/rule-sets/national-2019",
    ]
    for path in paths:
        anonymous = await stack.http.get(f"{stack.evaluator}{path}")
        assert anonymous.status_code == 401, path
        assert anonymous.json()["detail"] == "未登录或令牌已失效"
        unknown = await stack.http.get(f"{stack.evaluator}{path}", headers={"Authorization": "Bearer not-a-token"})
        assert unknown.status_code == 401, path


async def test_a_unit_user_lists_its_own_units_verdicts_a_county_its_countys_and_an_auditor_every_one(
    stack: Stack,
) -> None:
    assert await verdict_targets(stack, "qs-unit") == ["qs-portal"]  # 边山县's portal is absent
    assert await verdict_targets(stack, "qs-county") == ["qs-portal"]
    assert await verdict_targets(stack, "auditor") == ["bs-portal", "qs-portal"]
    assert await verdict_targets(stack, "city") == ["bs-portal", "qs-portal"]


async def test_any_known_caller_counts_a_rounds_observations_and_reads_the_rule_sets(stack: Stack, wait: Any) -> None:
    async def all_counted() -> bool:
        counted = await get(stack, "/rounds/r", "qs-unit")
        assert counted.status_code == 200, counted.text
        return bool(counted.json()["observations"] == 2 * 10 * 21)  # two sites, ten days of 20 visits and a homepage

    await wait(all_counted, timeout=30, what="every observation of the round counted")
    listed = await get(stack, "/rule-sets", "qs-unit")
    assert listed.status_code == 200 and "national-2019@1" in [r["ref"] for r in listed.json()]


async def test_a_recheck_is_shown_only_to_callers_who_may_see_its_target(
    stack: Stack, jetstream: Any, wait: Any
) -> None:
    for n in range(10):
        await publish(jetstream, visit(BS, "2022Q3", OCTOBER + timedelta(milliseconds=n), True, RECHECK_ID))
    await publish(jetstream, homepage(BS, "2022Q3", OCTOBER + timedelta(seconds=1), date(2022, 10, 19), RECHECK_ID))

    async def judged() -> bool:
        return (await get(stack, f"/rechecks/{RECHECK_ID}", "city")).status_code == 200

    await wait(judged, timeout=30, what="the re-check of 边山县's portal judged")
    seen = await get(stack, f"/rechecks/{RECHECK_ID}", "auditor")
    assert [t["target_id"] for t in seen.json()["targets"]] == ["bs-portal"]
    for outside in ("qs-unit", "qs-county"):  # as if there were none: an id names nothing outside the scope
        refused = await get(stack, f"/rechecks/{RECHECK_ID}", outside)
        assert refused.status_code == 404 and refused.json()["detail"] == f"尚无复查「{RECHECK_ID}」的结果"
