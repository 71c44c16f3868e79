"""Decoding a page's bytes: the declared charset, then the page's own declaration, then UTF-8, then GB18030."""

from __future__ import annotations

import codecs
import re

# GB2312 and GBK are subsets of GB18030; sites that declare them often use characters beyond them.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "gb_2312-80", "csgb2312", "cp936", "euc-cn", "ms936", "hz-gb-2312"}
_SNIFF_BYTES = 4096
_DECLARED = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)|<\?xml[^>]+?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)


def normalise(charset: str | None) -> str | None:
    """A Python codec name for a declared charset, or None when it is unknown."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    if name in _GB_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_in_document(body: bytes) -> str | None:
    """The charset a page declares in <meta charset>, <meta http-equiv> or an XML declaration."""
    match = _DECLARED.search(body[:_SNIFF_BYTES])
    if match is None:
        return None
    raw = match.group(1) or match.group(2)
    return raw.decode("ascii", errors="ignore")


def decode(body: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """The text of a body and the codec that decoded it; undecodable bytes are replaced, never raised."""
    candidates = _candidates(body, header_charset)
    for codec in candidates:
        try:
            return body.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return body.decode(candidates[0], errors="replace"), candidates[0]


# Server defaults (Tomcat's ISO-8859-1) rather than the page's real charset; they decode any bytes, so try them last.
_WEAK = {"iso8859-1", "ascii", "cp1252"}


def _candidates(body: bytes, header_charset: str | None) -> list[str]:
    declared = [c for c in (normalise(header_charset), normalise(declared_in_document(body))) if c]
    weak = [c for c in declared if c in _WEAK]
    declared = [c for c in declared if c not in _WEAK]
    # A GB declaration on a body that is valid, non-ASCII UTF-8 is a mislabelled UTF-8 page: GB text is almost
    # never valid UTF-8, while GB18030 decodes UTF-8 bytes into mojibake without an error.
    if declared and declared[0] == "gb18030" and not body.isascii() and _is_utf8(body):
        declared.insert(0, "utf-8")
    ordered: list[str] = []
    for codec in [*declared, "utf-8", "gb18030", *weak]:
        if codec not in ordered:
            ordered.append(codec)
    return ordered


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
