"""Rule set versions on a real SecantusDB, and the /rule-sets API of the running evaluator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from services.evaluator.app import SPEC
from services.evaluator.catalogue import RuleSetCatalogue
from services.evaluator.repository import EvaluatorRepository, RuleSetConflict, StoredRuleSet
from services.evaluator.rules import NATIONAL_2019
from services.evaluator.rules.loading import RuleSetError, load_rule_set
from services.evaluator.rules.ruleset import BUILTIN_DIR
from services.evaluator.settings import EvaluatorSettings
from shared.clock import CHINA_TZ, FixedClock
from tests.apps import running

AT = datetime(2022, 10, 8, 9, 30, tzinfo=CHINA_TZ)
NATIONAL_TEXT = (BUILTIN_DIR / "national-2019.yaml").read_text(encoding="utf-8")
LINCANG = """\
id: lincang-2022
title: 临沧市政府网站检查细则
extends: national-2019
version: 1
homepage: {threshold: 10}
interaction: {reply_limit: {working_days: 5}}
"""
TOKEN = "rule-set-writer-secret"
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}  # the static EVALUATOR_ADMIN_TOKEN reads and writes


def lincang(text: str = LINCANG) -> StoredRuleSet:
    rule_set = load_rule_set(text, "lincang-2022.yaml", {"national-2019": NATIONAL_2019})
    return StoredRuleSet.of(rule_set, text, "临沧市政务公开办", AT)


async def test_a_version_is_stored_once_and_storing_it_again_changes_nothing(repo: EvaluatorRepository) -> None:
    assert await repo.save_rule_set(lincang())
    assert not await repo.save_rule_set(lincang(LINCANG + "# 另加一行注释\n"))  # the same rules: the same version
    [stored] = await repo.rule_sets()
    assert stored.ref == "lincang-2022@1" and stored.yaml == LINCANG and stored.stored_by == "临沧市政务公开办"
    assert stored.stored_at == AT and stored.extends == "national-2019@1"
    assert stored.rule_set().homepage.threshold == 10 and len(stored.sha256) == 64


async def test_other_rules_under_a_stored_version_are_refused(repo: EvaluatorRepository) -> None:
    await repo.save_rule_set(lincang())
    with pytest.raises(RuleSetConflict, match="lincang-2022@1已存储且内容不同"):
        await repo.save_rule_set(lincang(LINCANG.replace("threshold: 10", "threshold: 7")))
    stored = await repo.rule_set("lincang-2022", 1)
    assert stored is not None and stored.rule_set().homepage.threshold == 10


async def test_without_a_version_the_latest_is_read(repo: EvaluatorRepository) -> None:
    await repo.save_rule_set(lincang())
    await repo.save_rule_set(
        lincang(LINCANG.replace("version: 1", "version: 3").replace("threshold: 10", "threshold: 7"))
    )
    await repo.save_rule_set(
        lincang(LINCANG.replace("version: 1", "version: 2").replace("threshold: 10", "threshold: 8"))
    )
    latest = await repo.rule_set("lincang-2022")
    first = await repo.rule_set("lincang-2022", 1)
    assert latest is not None and latest.version == 3 and latest.rule_set().homepage.threshold == 7
    assert first is not None and first.rule_set().homepage.threshold == 10
    assert await repo.rule_set("lincang-2022", 4) is None and await repo.rule_set("mangshi-2022") is None
    assert [s.ref for s in await repo.rule_sets()] == ["lincang-2022@1", "lincang-2022@2", "lincang-2022@3"]


async def test_the_shipped_rule_sets_are_stored_once_however_often_the_evaluator_starts(
    repo: EvaluatorRepository,
) -> None:
    catalogue = RuleSetCatalogue(repo, FixedClock(AT))
    assert await catalogue.store_builtins() == ["national-2019@1"]
    assert await catalogue.store_builtins() == ["national-2019@1"]
    [stored] = await repo.rule_sets()
    assert stored.rule_set() == NATIONAL_2019 and stored.stored_by == "built-in" and stored.yaml == NATIONAL_TEXT


async def test_a_shipped_file_changed_without_a_new_version_stops_the_start(repo: EvaluatorRepository) -> None:
    edited = NATIONAL_2019.model_copy(update={"title": "改过的标题"})
    await repo.save_rule_set(StoredRuleSet.of(edited, NATIONAL_TEXT, "built-in", AT))
    with pytest.raises(RuntimeError, match="needs a new version"):
        await RuleSetCatalogue(repo, FixedClock(AT)).store_builtins()


async def test_a_submitted_set_that_loosens_or_stands_alone_is_refused_and_nothing_is_stored(
    repo: EvaluatorRepository,
) -> None:
    catalogue = RuleSetCatalogue(repo, FixedClock(AT))
    await catalogue.store_builtins()
    with pytest.raises(RuleSetError) as caught:
        await catalogue.submit(LINCANG.replace("threshold: 10", "threshold: 20"), "tester")
    assert caught.value.problems[0].text.startswith("homepage.threshold：本地规则为20天，宽于国家规则14天")
    with pytest.raises(RuleSetError) as caught:
        await catalogue.submit(NATIONAL_TEXT.replace("version: 1", "version: 2"), "tester")
    assert caught.value.problems[0].path == "extends"
    with pytest.raises(RuleSetError, match="找不到所依据的规则集「national-2019@7」"):
        await catalogue.submit(LINCANG.replace("extends: national-2019", "extends: national-2019@7"), "tester")
    assert [s.ref for s in await repo.rule_sets()] == ["national-2019@1"]


# --- the API of the running evaluator ---------------------------------------------------------------------------


def settings(nats_url: str, mongodb_uri: str, prefix: str) -> EvaluatorSettings:
    return EvaluatorSettings(nats_url=nats_url, mongodb_uri=mongodb_uri, mongodb_db_prefix=prefix, admin_token=TOKEN)


async def post(http: httpx.AsyncClient, url: str, text: str, token: str | None = TOKEN, **kw: Any) -> httpx.Response:
    headers = {"Content-Type": "text/yaml; charset=utf-8"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if "json" in kw:
        headers.pop("Content-Type")
        return await http.post(url, headers=headers, json=kw["json"])
    return await http.post(url, headers=headers, content=text.encode())


async def test_rule_sets_are_listed_read_submitted_and_refused_over_http(
    nats_url_: str, mongodb_uri: str, db_prefix: str
) -> None:
    async with running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base, httpx.AsyncClient() as http:
        url = f"{base}/rule-sets"
        [national] = (await http.get(url, headers=OPERATOR)).json()
        assert (national["ref"], national["stored_by"], national["extends"]) == ("national-2019@1", "built-in", None)
        assert (await http.get(url)).status_code == 401  # reading needs a caller too
        assert (await http.get(f"{url}/national-2019")).status_code == 401

        assert (await post(http, url, LINCANG, token=None)).status_code == 401
        # Not the operator token, and no registry here to identify it by: refused as unverifiable, not let through.
        assert (await post(http, url, LINCANG, token="wrong")).status_code == 503

        created = await post(http, url, LINCANG)
        assert created.status_code == 201, created.text
        assert created.json()["rule_set"] == "lincang-2022@1" and created.json()["stored_by"] == "admin-token"
        again = await post(http, url, "", json={"yaml": LINCANG})
        assert again.status_code == 200 and again.json()["created"] is False

        conflict = await post(http, url, LINCANG.replace("threshold: 10", "threshold: 9"))
        assert conflict.status_code == 409 and "version" in conflict.json()["detail"]

        looser = await post(
            http, url, LINCANG.replace("version: 1", "version: 2").replace("threshold: 10", "threshold: 20")
        )
        assert looser.status_code == 422
        [problem] = looser.json()["detail"]["problems"]
        assert problem["path"] == "homepage.threshold" and problem["line"] == 5
        assert problem["text"] == "homepage.threshold：本地规则为20天，宽于国家规则14天，不能放宽单项否决指标"

        broken = await post(http, url, "id: [\n")
        assert broken.status_code == 422 and broken.json()["detail"]["problems"][0]["line"] == 2
        assert (await http.post(url, content=b"x", headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 415

        v2 = LINCANG.replace("version: 1", "version: 2").replace("threshold: 10", "threshold: 7")
        assert (await post(http, url, v2)).status_code == 201
        latest = (await http.get(f"{url}/lincang-2022", headers=OPERATOR)).json()
        first = (await http.get(f"{url}/lincang-2022", params={"version": 1}, headers=OPERATOR)).json()
        assert latest["ref"] == "lincang-2022@2" and latest["rules"]["homepage"]["threshold"] == 7
        assert first["yaml"] == LINCANG and first["rules"]["interaction"]["reply_limit"]["working_days"] == 5
        missing = await http.get(f"{url}/mangshi-2022", headers=OPERATOR)
        assert missing.status_code == 404 and "mangshi-2022" in missing.json()["detail"]
        assert [r["ref"] for r in (await http.get(url, headers=OPERATOR)).json()] == [
            "lincang-2022@1",
            "lincang-2022@2",
            "national-2019@1",
        ]


async def test_without_a_configured_token_or_a_registry_to_identify_callers_nothing_can_be_submitted(
    nats_url_: str, mongodb_uri: str, db_prefix: str
) -> None:
    unset = settings(nats_url_, mongodb_uri, db_prefix).model_copy(update={"admin_token": None})
    async with running(SPEC, unset) as base, httpx.AsyncClient() as http:
        refused = await post(http, f"{base}/rule-sets", LINCANG)
        assert refused.status_code == 503 and "无法核验身份" in refused.json()["detail"]
