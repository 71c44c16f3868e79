"""The published notice's own files (the frozen PDF and DOCX), attached to the e-mail that carries it to each unit.

A delivery is recorded small: its payload names the file (``FileRef``: report id, format, the name the unit sees),
never the bytes. At send time the dispatcher asks a ``NoticeFiles`` for them: the reporter serves the files it
stored when the notice was frozen (``GET /reports/finals/{id}/notice.{fmt}``), never re-rendered, and the final's
summary (``GET /reports/finals/{id}``) gives each file's SHA-256, checked before anything is attached, so a unit
never receives a file other than the frozen one. Every unit gets the same files: they are kept, by (report, format).

What can go wrong decides what the dispatcher does (dispatch.py):
- ``FileUnavailable``: the reporter is down, slow, answers 5xx/429, or refuses the service token: the e-mail waits
  and is tried again later (never sent without its attachment, never failed for it);
- ``FileRefused``: there is no such final or file (404), or the bytes do not match the final's digest: the delivery
  fails with that reason, for a person to look at.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from shared.logging import get_logger

from .channels.base import Attachment

log = get_logger(__name__)

# What each format is called in a mail client; the reporter's Content-Type says the same.
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
# Characters Windows, macOS or a mail gateway will not take in a file name; control characters likewise.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
MAX_STEM_BYTES = 240  # most file systems allow 255 bytes per name: room for the suffix


class FileUnavailable(Exception):
    """The file could not be fetched now (reporter down, 5xx, timeout, token refused): try again later."""


class FileRefused(Exception):
    """No such file, or not the frozen one: trying again will not help."""


@dataclass(frozen=True)
class FileRef:
    """One notice file as a delivery's payload names it (``payload["attachments"]``)."""

    report_id: str
    format: str  # pdf, docx, …
    filename: str  # as the unit sees it: 云岭市人民政府办公室关于…的通报.pdf
    sha256: str = ""  # when known at recording time; the final's summary is checked either way

    def to_payload(self) -> dict[str, str]:
        found = {"report_id": self.report_id, "format": self.format, "filename": self.filename}
        return found | ({"sha256": self.sha256} if self.sha256 else {})

    @classmethod
    def from_payload(cls, value: dict[str, Any]) -> FileRef:
        return cls(str(value["report_id"]), str(value["format"]), str(value["filename"]), str(value.get("sha256", "")))


def safe_filename(title: str, fmt: str) -> str:
    """The notice's title as a file name, as offices name files: 「…关于2022年三季度…检查情况的通报.pdf」.

    Characters no file system takes become 「_」; a very long title is cut to 240 bytes of UTF-8 (80 Chinese characters).
    """
    stem = _UNSAFE.sub("_", title).strip(" ._") or "通报"
    while len(stem.encode()) > MAX_STEM_BYTES:
        stem = stem[:-1]
    return f"{stem}.{fmt}"


def notice_refs(report_id: str, title: str, formats: tuple[str, ...]) -> list[FileRef]:
    return [FileRef(report_id, fmt, safe_filename(title, fmt)) for fmt in formats if fmt in CONTENT_TYPES]


class NoticeFiles:
    """Fetches a final's files from the reporter with the service token, checks them, keeps the last few."""

    def __init__(
        self,
        reporter_url: str,
        token: str,
        timeout_s: float = 10.0,
        keep: int = 8,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base = reporter_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = timeout_s
        self._keep = keep  # notices in flight at once: one or two a quarter; a PDF is a few hundred KB
        self._transport = transport
        self._files: OrderedDict[tuple[str, str], tuple[bytes, str]] = OrderedDict()

    async def fetch(self, ref: FileRef) -> Attachment:
        key = (ref.report_id, ref.format)
        found = self._files.get(key)
        if found is None:
            found = await self._download(ref)
            self._files[key] = found
            while len(self._files) > self._keep:
                self._files.popitem(last=False)
        else:
            self._files.move_to_end(key)
        data, content_type = found
        if ref.sha256 and hashlib.sha256(data).hexdigest() != ref.sha256:
            raise FileRefused(f"通报文件 {ref.report_id}.{ref.format} 与记录的校验值不符")
        return Attachment(ref.filename, content_type, data)

    async def _download(self, ref: FileRef) -> tuple[bytes, str]:
        if not self._base:
            raise FileUnavailable("REPORTER_URL 未设置，无法取得通报文件")
        if ref.format not in CONTENT_TYPES:
            raise FileRefused(f"不支持的通报文件格式 {ref.format!r}")
        final = f"/reports/finals/{quote(ref.report_id, safe='')}"
        async with httpx.AsyncClient(
            base_url=self._base, headers=self._headers, timeout=self._timeout, transport=self._transport
        ) as http:
            summary = await self._get(http, final, ref)
            data = (await self._get(http, f"{final}/notice.{ref.format}", ref)).content
        try:
            expected = str(summary.json()["files"][ref.format])
        except (ValueError, KeyError, TypeError) as exc:
            raise FileRefused(f"通报定稿 {ref.report_id} 未记录 {ref.format} 文件的校验值") from exc
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            log.error("notice_file.digest_mismatch", report_id=ref.report_id, fmt=ref.format, expected=expected)
            raise FileRefused(f"通报文件 {ref.report_id}.{ref.format} 与定稿记录的校验值不符（{actual[:12]}…）")
        log.info("notice_file.fetched", report_id=ref.report_id, fmt=ref.format, size=len(data))
        return data, CONTENT_TYPES[ref.format]

    async def _get(self, http: httpx.AsyncClient, path: str, ref: FileRef) -> httpx.Response:
        try:
            response = await http.get(path)
        except httpx.HTTPError as exc:  # refused, reset, timed out: the reporter may be back soon
            raise FileUnavailable(f"无法从报告服务取得通报文件：{exc!r}") from exc
        status = response.status_code
        if status == 200:
            return response
        if status == 404:
            raise FileRefused(f"报告服务没有通报定稿 {ref.report_id}（{path}：404）")
        if status >= 500 or status in (401, 403, 408, 429):
            # 401/403: the service token is wrong or lacks the role; once it is fixed the e-mails go out with it.
            raise FileUnavailable(f"报告服务暂时无法提供通报文件（{path}：{status}）")
        raise FileRefused(f"报告服务拒绝提供通报文件（{path}：{status}）")
