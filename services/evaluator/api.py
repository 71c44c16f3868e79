"""HTTP reads for the launcher, the console and the tests, and the rule set catalogue (docs/rulesets.md).

Every route knows its caller (identified by the registry, shared/identity_api.py): lists keep to the units the
caller may read; the rule sets are read by any known caller and stored by the city administrator, both also with
the operator's static EVALUATOR_ADMIN_TOKEN.
"""

from __future__ import annotations

import hmac
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response

from shared.identity_api import Who, caller, visible

from .catalogue import RuleSetCatalogue
from .history_api import router as history
from .repository import EvaluatorRepository, RuleSetConflict, StoredRuleSet
from .review_api import router as reviews
from .rules.loading import RuleSetError
from .rules.ruleset import ID_PATTERN
from .settings import EvaluatorSettings

router = APIRouter(tags=["evaluator"])


@router.get("/rounds/{correlation_id}")
async def round_progress(correlation_id: str, who: Who, request: Request) -> dict[str, int]:
    """How many observations of a probe round have been recorded (a count, for any known caller)."""
    return {"observations": await request.app.state.service.count_round(correlation_id)}


@router.get("/verdicts")
async def verdicts(period_id: str, who: Who, request: Request) -> list[dict[str, Any]]:
    """Every stored verdict of a period the caller may see, as ``Verdict`` JSON, ordered by target."""
    found: list[dict[str, Any]] = await request.app.state.service.verdicts_for_period(period_id)
    return await visible(request, who, found, lambda verdict: str(verdict.get("unit_id", "")))


@router.get("/rechecks/{recheck_id}")
async def recheck(recheck_id: str, who: Who, request: Request) -> dict[str, Any]:
    """The latest result of a re-check (复查), per target: the indicators judged on the re-check's observations.

    ``observations`` is how many re-check observations a result rests on; ``published``, whether its
    ``verdict.rechecked`` event went out. 404 until the first re-check observation has been judged, and for a
    caller who may see none of its targets (an id names nothing outside the scope).
    """
    results = await request.app.state.service.rechecks.results(recheck_id)
    found = await visible(request, who, results, lambda result: str(result.get("unit_id", "")))
    if not found:
        raise HTTPException(404, f"尚无复查「{recheck_id}」的结果")
    return {"recheck_id": recheck_id, "targets": found}


# --- rule sets ------------------------------------------------------------------------------------------------

YAML_TYPES = ("text/yaml", "application/x-yaml", "application/yaml", "text/x-yaml")
MAX_RULE_SET_BYTES = 1024 * 1024  # the national set is ~12 KB; a local one lists only what it changes


def _operator(request: Request, authorization: str | None) -> bool:
    """The caller presents the static EVALUATOR_ADMIN_TOKEN (for scripts and first set-up)."""
    settings: EvaluatorSettings = request.app.state.runtime.settings
    if settings.admin_token is None or authorization is None:
        return False
    expected = f"Bearer {settings.admin_token.get_secret_value()}"
    return hmac.compare_digest(authorization.encode(), expected.encode())


async def require_reader(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """Who may read the rule sets: any caller the registry knows, or the operator."""
    if not _operator(request, authorization):
        await caller(request, authorization)


async def require_writer(request: Request, authorization: Annotated[str | None, Header()] = None) -> str:
    """Who may store a rule set, returned as the ``stored_by`` recorded with it: a city administrator (identified
    by the registry), or the operator."""
    if _operator(request, authorization):
        return "admin-token"
    who = await caller(request, authorization)
    if who.role != "city_admin":
        raise HTTPException(403, "仅市级管理员可提交规则集")
    return who.actor


def catalogue(request: Request) -> RuleSetCatalogue:
    runtime = request.app.state.runtime
    return RuleSetCatalogue(EvaluatorRepository(runtime.mongo, runtime.db), runtime.clock)


Catalogue = Annotated[RuleSetCatalogue, Depends(catalogue)]
RuleSetId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.get("/rule-sets", tags=["rule sets"], dependencies=[Depends(require_reader)])
async def rule_sets(rules: Catalogue) -> list[dict[str, Any]]:
    """Every stored rule set version, by id and version (without their YAML and rules)."""
    return [_summary(stored) for stored in await rules.all()]


@router.get("/rule-sets/{rule_set_id}", tags=["rule sets"], dependencies=[Depends(require_reader)])
async def rule_set(
    rule_set_id: RuleSetId, rules: Catalogue, version: Annotated[int | None, Query(ge=1)] = None
) -> dict[str, Any]:
    """One rule set version (the latest without ``version``): its YAML as submitted and its full rules."""
    stored = await rules.get(rule_set_id, version)
    if stored is None:
        which = f"{rule_set_id}@{version}" if version else rule_set_id
        raise HTTPException(404, f"规则集「{which}」不存在")
    return {**_summary(stored), "yaml": stored.yaml, "rules": stored.rules}


@router.post(
    "/rule-sets",
    tags=["rule sets"],
    status_code=201,
    responses={
        200: {"description": "the identical rule set version was stored already"},
        409: {"description": "the id@version is stored with other rules"},
        422: {"description": "invalid, or looser than the rule set it extends: every problem, in Chinese"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/yaml": {"schema": {"type": "string"}},
                "application/x-yaml": {"schema": {"type": "string"}},
                "application/json": {
                    "schema": {"type": "object", "properties": {"yaml": {"type": "string"}}, "required": ["yaml"]}
                },
            },
        }
    },
)
async def submit_rule_set(
    request: Request, response: Response, rules: Catalogue, writer: Annotated[str, Depends(require_writer)]
) -> dict[str, Any]:
    """Store a local rule set: it extends a stored one and may only tighten it (docs/rulesets.md)."""
    text = await _yaml_text(request)
    try:
        stored, created = await rules.submit(text, writer)
    except RuleSetError as exc:
        detail = {"message": "规则集未通过校验", "problems": [p.to_json() for p in exc.problems]}
        raise HTTPException(422, detail) from exc
    except RuleSetConflict as exc:
        raise HTTPException(409, str(exc)) from exc
    if not created:
        response.status_code = 200
    return {**_summary(stored), "rule_set": stored.ref, "created": created}


async def _yaml_text(request: Request) -> str:
    body = await request.body()
    if len(body) > MAX_RULE_SET_BYTES:
        raise HTTPException(413, "规则集文件过大（上限1 MB）")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPException(422, "规则集文件应为UTF-8编码") from exc
    if media_type in YAML_TYPES:
        return text
    if media_type == "application/json":
        try:
            payload = json.loads(text)
        except ValueError as exc:
            raise HTTPException(422, "请求体不是有效的JSON") from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("yaml"), str):
            raise HTTPException(422, 'JSON请求体应为 {"yaml": "规则集YAML文本"}')
        return str(payload["yaml"])
    raise HTTPException(415, '请以 text/yaml、application/x-yaml 或 application/json（{"yaml": ...}）提交规则集')


def _summary(stored: StoredRuleSet) -> dict[str, Any]:
    return {
        "ref": stored.ref,
        "id": stored.id,
        "version": stored.version,
        "title": stored.title,
        "extends": stored.extends,
        "description": stored.description,
        "sha256": stored.sha256,
        "stored_by": stored.stored_by,
        "stored_at": stored.stored_at.isoformat(),
    }


router.include_router(reviews)
router.include_router(history)
