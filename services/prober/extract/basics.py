"""What 国办发〔2017〕47号 asks of a government website's header and footer, read from its homepage.

网站标识码 comes from <meta name="SiteIDCode"> when present (the template puts it on every page), else from the
footer line 「网站标识码：5309000001」. ICP and 公安 record numbers are read in their printed form. The 党政机关标识
and the 「我为政府网站找错」 entry are usually injected by a script (dcs.conac.cn, zfwzgl.www.gov.cn/exposure/jiucuo.js),
so the raw markup is searched as well as the links and images.
"""

from __future__ import annotations

import re
from typing import Literal

from shared.events import SiteBasicsFacts

from .blocks import Document, read_document

_SITE_CODE = re.compile(r"(?<![0-9A-Za-z])([0-9A-Za-z]{10})(?![0-9A-Za-z])")
_FOOTER_CODE = re.compile(r"(?:网站|政府网站)?(?:标识码|识别码)\s*[:：]?\s*([0-9A-Za-z]{10})(?![0-9A-Za-z])")
_ICP = re.compile(r"([\u4e00-\u9fa5])\s*ICP\s*备\s*(\d{6,10})\s*号(?:\s*[-－—–]\s*(\d{1,3}))?", re.I)
_POLICE = re.compile(r"([\u4e00-\u9fa5])\s*公\s*网\s*安\s*备\s*[:：]?\s*(\d{10,16})\s*号?")
_POLICE_BARE = re.compile(r"公安(?:机关)?备案(?:号|编号)?\s*[:：]\s*(\d{10,16})")
_ORGANIZER = re.compile(
    r"主办(?:单位)?\s*[:：]\s*([^\s|｜/，,;；:：]{2,40}?)(?=[\s|｜/，,;；]|承办|协办|联系|地址|电话|网站|技术|版权|ICP|$)"
)
# The 党政机关 label: conac.cn's script or link, dzjg.gov.cn (its older home), or the label image.
_PARTY_GOV_MARKUP = re.compile(
    r"dcs\.conac\.cn|_ideConac|dzjg\.gov\.cn|conac\.cn/|/dzjg[^\s\"']*\.(?:png|gif|jpg)", re.I
)
_PARTY_GOV_TEXT = re.compile(r"党政机关(?:标识)?$")
_ERROR_REPORT_MARKUP = re.compile(r"zfwzzc\.www\.gov\.cn|zfwzgl\.www\.gov\.cn|_jiucuo_|jiucuo\.js", re.I)
_ERROR_REPORT_TEXT = re.compile(r"我为政府网站找错|政府网站找错")
_SEARCH_ACTION = re.compile(r"search|sousuo|jsearch|query|was5|/so/|/s\.(?:jsp|html?|do)|trssearch|fulltext", re.I)
_SEARCH_TEXT = re.compile(r"搜索|检索|搜 索|查询|请输入关键[字词]|关键[字词]")
_SEARCH_LINK_TEXT = re.compile(r"^(?:站内|全文|高级|全站)?(?:搜索|检索)$|^搜 索$")


def read_site_basics(html: str, base_url: str) -> SiteBasicsFacts:
    doc = read_document(html, base_url)
    code, source = site_code(doc)
    return SiteBasicsFacts(
        site_code=code,
        site_code_source=source,
        site_name=doc.metas.get("sitename", ""),
        icp=icp_number(doc.text),
        police_record=police_record(doc.text),
        party_gov_label=party_gov_label(doc, html),
        organizer=organizer(doc.text),
        search=has_search(doc),
        error_report=bool(_ERROR_REPORT_MARKUP.search(html) or _ERROR_REPORT_TEXT.search(_labels(doc))),
    )


def site_code(doc: Document) -> tuple[str, Literal["meta", "footer", ""]]:
    match = _SITE_CODE.fullmatch(doc.metas.get("siteidcode", "").strip())
    if match is not None:
        return match.group(1), "meta"
    footer = _FOOTER_CODE.search(doc.text)
    if footer is not None:
        return footer.group(1), "footer"
    return "", ""


def icp_number(text: str) -> str:
    match = _ICP.search(text)
    if match is None:
        return ""
    province, number, suffix = match.groups()
    return f"{province}ICP备{number}号" + (f"-{suffix}" if suffix else "")


def police_record(text: str) -> str:
    match = _POLICE.search(text)
    if match is not None:
        return f"{match.group(1)}公网安备 {match.group(2)}号"
    bare = _POLICE_BARE.search(text)
    return bare.group(1) if bare is not None else ""


def organizer(text: str) -> str:
    match = _ORGANIZER.search(text)
    return match.group(1) if match is not None else ""


def party_gov_label(doc: Document, html: str) -> bool:
    if _PARTY_GOV_MARKUP.search(html):
        return True
    if any("党政机关" in image.alt for image in doc.images):
        return True
    return any(_PARTY_GOV_TEXT.search(piece.text) for piece in doc.pieces)


def has_search(doc: Document) -> bool:
    for form in doc.forms:
        if form.text_inputs and (_SEARCH_ACTION.search(form.action) or _SEARCH_TEXT.search(form.text)):
            return True
    if doc.loose_text_inputs and _SEARCH_TEXT.search(doc.text):
        return True  # a script-driven box: <input> and a 搜索 button outside any form
    return any(_SEARCH_LINK_TEXT.match(link.text) or _SEARCH_ACTION.search(link.raw_href) for link in doc.links)


def _labels(doc: Document) -> str:
    """Link texts, link titles and image alts: where an entry such as 「我为政府网站找错」 is named."""
    names = [link.text for link in doc.links] + [link.title for link in doc.links] + [i.alt for i in doc.images]
    return "\n".join([*names, doc.text])
