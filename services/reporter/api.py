"""HTTP: a period's numbers; drafts that offices edit; finals frozen once and published.

Who may do what: city administrators draft, freeze and publish (the notice is the city's document); county
administrators and auditors read numbers, drafts and finals; every signed-in user reads a published final.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from services.reporter.finals import Draft, Final, verify
from services.reporter.formats import MEDIA_TYPES, Rendered
from services.reporter.profile import NoticeProfile
from services.reporter.repository import AlreadyFrozen, VersionConflict
from services.reporter.service import NotFound, PeriodNotFound, ReporterService
from services.reporter.stats import Breakdown, NoticeNumbers
from shared.identity import Caller
from shared.identity_api import Who

router = APIRouter(prefix="/reports", tags=["reports"])
PeriodId = Annotated[str, Path(pattern=r"^\d{4}Q[1-4]$", examples=["2022Q3"])]
DocId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
Format = Annotated[str, Path(pattern="^(" + "|".join(MEDIA_TYPES) + ")$", examples=["pdf"])]
Version = Annotated[int | None, Query(ge=1, description="the version the editor read; 409 when it changed since")]

WRITERS = frozenset({"city_admin"})
READERS = frozenset({"city_admin", "county_admin", "auditor"})


def service_of(request: Request) -> ReporterService:
    service: ReporterService = request.app.state.service
    return service


def require(who: Caller, roles: frozenset[str]) -> None:
    if who.role not in roles:
        raise HTTPException(403, "无权进行该操作：通报由市级管理员起草、定稿和发布")


def period_not_found(period_id: str) -> HTTPException:
    return HTTPException(404, f"监测周期 {period_id} 尚未登记：请先在名录中导入该周期，或等待其事件送达")


def attachment(rendered: Rendered) -> Response:
    # RFC 5987: the filename is ASCII (notice-2022Q3.pdf); no Chinese name needs encoding.
    headers = {"Content-Disposition": f'attachment; filename="{rendered.filename}"'}
    return Response(rendered.data, media_type=rendered.media_type, headers=headers)


def final_summary(final: Final, digests: dict[str, str], publication: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "report_id": final.report_id,
        "period_id": final.period_id,
        "document_number": final.profile.document_number,
        "title": final.document.title,
        "content_hash": final.content_hash,
        "intact": verify(final),  # the stored content still hashes to the recorded hash
        "registry_version": final.registry_version.model_dump(),
        "rule_sets": final.rule_sets,
        "frozen_at": final.frozen_at,
        "frozen_by": final.frozen_by,
        "files": digests,
        "published_at": publication["published_at"] if publication else None,
        "published_by": publication["published_by"] if publication else None,
    }


# Routes with a literal first segment come before /{period_id}/…: a period route would otherwise take them.

# --- drafts -----------------------------------------------------------------------------------------------------


@router.get("/drafts/{draft_id}")
async def get_draft(draft_id: DocId, request: Request, who: Who) -> Draft:
    require(who, READERS)
    try:
        return await service_of(request).draft(draft_id)
    except NotFound:
        raise HTTPException(404, "没有该通报草稿") from None


@router.put("/drafts/{draft_id}")
async def edit_draft(
    draft_id: DocId, profile: NoticeProfile, request: Request, who: Who, version: Version = None
) -> Draft:
    """Change the draft's profile and text blocks; ``version`` is required so two editors never overwrite."""
    require(who, WRITERS)
    if version is None:
        raise HTTPException(428, "修改草稿须注明所依据的版本号（version）")
    try:
        return await service_of(request).edit_draft(draft_id, profile, version, who.actor)
    except NotFound:
        raise HTTPException(404, "没有该通报草稿") from None
    except VersionConflict:
        raise HTTPException(409, "草稿已被他人修改，请刷新后再改") from None


@router.get("/drafts/{draft_id}/notice.{fmt}")
async def draft_file(draft_id: DocId, fmt: Format, request: Request, who: Who) -> Response:
    """The draft laid out now, from the current numbers: it changes as verdicts do, until frozen."""
    require(who, READERS)
    try:
        return attachment(await service_of(request).render_draft(draft_id, fmt))
    except NotFound:
        raise HTTPException(404, "没有该通报草稿") from None
    except PeriodNotFound as exc:
        raise period_not_found(str(exc)) from None


@router.post("/drafts/{draft_id}/freeze", status_code=201)
async def freeze(draft_id: DocId, request: Request, who: Who, version: Version = None) -> dict[str, Any]:
    require(who, WRITERS)
    service = service_of(request)
    try:
        final = await service.freeze(draft_id, version, who.actor)
    except NotFound:
        raise HTTPException(404, "没有该通报草稿") from None
    except VersionConflict:
        raise HTTPException(409, "草稿已被他人修改，请核对后再定稿") from None
    except AlreadyFrozen:
        raise HTTPException(409, "该文号的通报已定稿，定稿后不能再改；如需更正请另行起草新文号") from None
    return final_summary(final, await service.repository.file_digests(final.report_id), None)


# --- finals -----------------------------------------------------------------------------------------------------


async def readable_final(request: Request, who: Caller, report_id: str) -> tuple[Final, dict[str, Any] | None]:
    service = service_of(request)
    try:
        final = await service.final(report_id)
    except NotFound:
        raise HTTPException(404, "没有该定稿通报") from None
    publication = await service.repository.publication(report_id)
    if publication is None:
        require(who, READERS)  # before publication a final is an internal document
    return final, publication


@router.get("/finals/{report_id}")
async def get_final(report_id: DocId, request: Request, who: Who) -> dict[str, Any]:
    final, publication = await readable_final(request, who, report_id)
    digests = await service_of(request).repository.file_digests(report_id)
    return final_summary(final, digests, publication)


@router.get("/finals/{report_id}/notice.{fmt}")
async def final_file(report_id: DocId, fmt: Format, request: Request, who: Who) -> Response:
    """The frozen file, byte for byte as stored at freezing."""
    await readable_final(request, who, report_id)
    return attachment(await service_of(request).final_file(report_id, fmt))


@router.post("/finals/{report_id}/publish")
async def publish(report_id: DocId, request: Request, who: Who) -> dict[str, Any]:
    """Publish once: units are notified (report.published) with the deadline; publishing again changes nothing."""
    require(who, WRITERS)
    service = service_of(request)
    try:
        publication = await service.publish(report_id, who.actor)
    except NotFound:
        raise HTTPException(404, "没有该定稿通报") from None
    return {"report_id": report_id, "event": publication["event"], "published_by": publication["published_by"]}


# --- rates ------------------------------------------------------------------------------------------------------


@router.get("/breakdowns")
async def breakdowns(
    request: Request,
    who: Who,
    period_id: Annotated[list[str], Query(max_length=20, description="periods, e.g. 2022Q2&period_id=2022Q3")],
) -> list[Breakdown]:
    """Several periods' breakdowns in one read (the console's trend over the quarters); unknown periods are left out."""
    require(who, READERS)
    return await service_of(request).breakdowns(period_id)


# --- periods ----------------------------------------------------------------------------------------------------


@router.get("/{period_id}/numbers")
async def numbers(period_id: PeriodId, request: Request, who: Who) -> NoticeNumbers:
    require(who, READERS)
    try:
        return await service_of(request).numbers(period_id)
    except PeriodNotFound:
        raise period_not_found(period_id) from None


@router.get("/{period_id}/breakdown")
async def breakdown(period_id: PeriodId, request: Request, who: Who) -> Breakdown:
    """Pass rates by county (administrative order) and by platform, counted as the notice counts them."""
    require(who, READERS)
    try:
        return await service_of(request).breakdown(period_id)
    except PeriodNotFound:
        raise period_not_found(period_id) from None


@router.get("/{period_id}/drafts")
async def drafts(period_id: PeriodId, request: Request, who: Who) -> list[Draft]:
    require(who, READERS)
    return await service_of(request).repository.drafts(period_id)


@router.post("/{period_id}/drafts", status_code=201)
async def create_draft(period_id: PeriodId, profile: NoticeProfile, request: Request, who: Who) -> Draft:
    """A new draft for a 文号; 409 when that 文号 already has one (edit it with PUT /reports/drafts/{id})."""
    require(who, WRITERS)
    try:
        return await service_of(request).save_draft(period_id, profile, 0, who.actor)
    except PeriodNotFound:
        raise period_not_found(period_id) from None
    except VersionConflict:
        raise HTTPException(409, "该文号已有草稿，请在原草稿上修改") from None


@router.get("/{period_id}/finals")
async def finals(period_id: PeriodId, request: Request, who: Who) -> list[dict[str, Any]]:
    require(who, READERS)
    service = service_of(request)
    found = await service.repository.finals(period_id)
    return [
        final_summary(
            f, await service.repository.file_digests(f.report_id), await service.repository.publication(f.report_id)
        )
        for f in found
    ]


@router.post("/{period_id}/draft")
async def draft(period_id: PeriodId, profile: NoticeProfile, request: Request, who: Who) -> dict[str, Any]:
    """Save the profile as the period's draft for its 文号 and return the numbers and the HTML in one call."""
    require(who, WRITERS)
    try:
        numbers, html = await service_of(request).legacy_draft(period_id, profile, who.actor)
    except PeriodNotFound:
        raise period_not_found(period_id) from None
    return {"numbers": numbers.model_dump(mode="json"), "html": html}
