"""办事指南: which key elements a guide shows, its two time limits, and the inconsistencies the notices name.

A guide is a sequence of labels and values, whatever the layout: a table (<th>申请条件</th><td>…</td>), a <dl>, or
paragraphs (「申请条件：…」 or a 【申请条件】 heading followed by its text). Labels are matched at the start of a block,
in the wording variants of the common platforms (申请材料 = 办理材料, 受理地点 = 办理地点 …); a value runs to the next
label. Time limits become working days: 「20个工作日」 → 20, 「即办件」 → 0, 「5日」 → 5; a limit with no number
(「按规定时限」) is 「无具体办理时限」 (国办秘函〔2019〕19号 W-V6; 临政办字〔2022〕111号 uses these words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.events import ServiceGuide

from .blocks import Document, Row, read_document

KEY_ELEMENTS = (
    "事项名称",
    "设定依据",
    "申请条件",
    "办理材料",
    "办理地点",
    "办理时间",
    "联系电话",
    "办理流程",
    "法定办结时限",
    "承诺办结时限",
)
LONGER_THAN_STATUTORY = "承诺办结时限长于法定办结时限"
NO_CONCRETE_LIMIT = "无具体办理时限"
INCONSISTENT_LIMIT = "办理时限与承诺办结时限不一致"
_GENERAL_LIMIT = "办理时限"  # a limit that names neither 法定 nor 承诺
_LABELS: dict[str, tuple[str, ...]] = {
    "事项名称": ("事项名称", "服务事项名称", "审批事项名称", "实施事项名称", "事项全称", "项目名称"),
    "设定依据": ("设定依据", "法律依据", "实施依据", "办理依据", "法定依据", "政策依据", "依据"),
    "申请条件": ("申请条件", "受理条件", "办理条件", "申办条件", "准予条件", "受理范围及条件", "申请人条件"),
    "办理材料": (
        "办理材料", "申请材料目录", "申请材料", "申报材料", "材料目录", "所需材料", "需提交材料", "提交材料",
        "办事材料", "材料清单",
    ),
    "办理地点": ("办理地点", "受理地点", "办公地点", "办理窗口", "受理窗口", "窗口地址", "办理地址"),
    "办理时间": ("窗口办理时间", "办理时间", "受理时间", "办公时间", "工作时间"),
    "联系电话": ("联系电话", "咨询电话", "咨询方式", "联系方式", "咨询途径"),
    "办理流程": ("办理流程", "办事流程", "办理程序", "审批流程", "办理步骤", "流程图", "受理流程", "审批程序"),
    "法定办结时限": ("法定办结时限", "法定办结期限", "法定办理时限", "法定时限", "法定期限"),
    "承诺办结时限": ("承诺办结时限", "承诺办结期限", "承诺办理时限", "承诺时限", "承诺期限"),
    _GENERAL_LIMIT: ("办理时限", "办结时限", "审批时限", "办理期限", "办理时效"),
}  # fmt: skip
# Labels of a guide's other fields: a value stops there.
_OTHER_LABELS = (
    "收费标准", "收费依据", "是否收费", "监督电话", "监督投诉", "投诉电话", "办理结果", "审批结果", "结果送达",
    "实施主体", "实施机关", "办理部门", "受理机构", "事项类型", "办件类型", "服务对象", "数量限制", "常见问题",
    "备注", "网上办理", "到现场次数", "到办事现场次数", "通办范围", "行使层级", "事项编码", "基本编码",
)  # fmt: skip
_ALL_LABELS = sorted(
    [(element, label) for element, labels in _LABELS.items() for label in labels] + [("", x) for x in _OTHER_LABELS],
    key=lambda pair: -len(pair[1]),
)
_NUMBERING = r"(?:[一二三四五六七八九十]+\s*[、.．]|\d{1,2}\s*[、.．)）]|[（(]\s*[一二三四五六七八九十\d]+\s*[)）])?"
_LABEL_AT_START = re.compile(
    r"^\s*" + _NUMBERING + r"\s*[【\[〔*★●■◆]?\s*(?P<label>" + "|".join(re.escape(x) for _, x in _ALL_LABELS) + r")"
    r"\s*[】\]〕]?\s*(?:[:：]\s*(?P<rest>.*)|$)",
    re.S,
)
_ELEMENT_OF = {label: element for element, label in _ALL_LABELS}
_VALUE_PIECES = 4  # a value longer than this many blocks is a 材料 list; its presence is what counts
_EMPTY = re.compile(r"^[\s无暂/\\—–\-－_.。、（）()]*$|^暂无")
_INSTANT = re.compile(r"即办|即时办结|当场办结|当场办理|立即办结|即来即办|当日办结|当天办结|即时办理")
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_AMOUNT = re.compile(r"(?P<n>\d+|[零〇一二两三四五六七八九十百]+)\s*个?\s*(?P<unit>工作日|自然日|日|天|个?月)")
_GUIDE_ACTION = re.compile(r"^(?:查看)?(?:办事)?指南$|^查看$|^详情$|^查看详情$|^办事指南$")
_ONLINE_ACTION = re.compile(r"^(?:在线|网上|立即)?(?:办理|申报|申请|预约)$")
_DIRECTORY = re.compile(r"(?:/|/index\.s?html?|/default\.s?html?)$", re.I)
_GUIDE_HREF = re.compile(r"bszn|banshi|bsznxq|guide|fwsx|sxxq|itemdetail|item_?detail|matter|qlsx|zwfw|bsfw", re.I)
_ITEM_NAME = re.compile(
    r"(?:登记|许可|审批|备案|认定|核准|确认|变更|注销|申请|办理|证明|补贴|补助|审核|发放|核发|给付|换证|延续|验收|鉴定)$"
)
# The province's platform: a site may send its visitors there instead of publishing guides itself.
_PLATFORM = re.compile(r"政务服务网|政务服务平台|一网通办|网上办事大厅|网上服务大厅|办事通")
_PLATFORM_HREF = re.compile(r"zwfw|zxbs|ybdt|bsdt|banshi|bsfw|ynbsdt|govservice", re.I)
MIN_ELEMENTS_FOR_GUIDE = 3


@dataclass(frozen=True)
class GuideLink:
    name: str
    url: str


@dataclass(frozen=True)
class GuideList:
    guides: list[GuideLink]
    platform_link: bool  # a link to a 政务服务 platform (the province's 一网通办)
    guide_itself: ServiceGuide | None  # the entry page is itself a guide

    @property
    def service_offered(self) -> bool:
        return bool(self.guides) or self.platform_link or self.guide_itself is not None


def read_guide_list(html: str, base_url: str) -> GuideList:
    doc = read_document(html, base_url)
    page = read_guide_doc(doc, base_url, "")
    # The name alone is always there; a guide shows a few labelled elements besides it.
    itself = page if len(page.elements) > MIN_ELEMENTS_FOR_GUIDE else None
    own = urlsplit(base_url).netloc
    platform = any(
        _PLATFORM.search(link.text) or _PLATFORM_HREF.search(link.href)
        for link in doc.links
        if urlsplit(link.href).netloc not in ("", own)
    )
    return GuideList(_guide_links(doc), platform, itself)


def read_guide(html: str, url: str, listed_name: str = "") -> ServiceGuide:
    return read_guide_doc(read_document(html, url), url, listed_name)


def read_guide_doc(doc: Document, url: str, listed_name: str) -> ServiceGuide:
    values = labelled_values(doc)
    name = _first(values.get("事项名称", [])) or listed_name or next(iter(doc.headings()), "") or _title_name(doc)
    present = [e for e in KEY_ELEMENTS if any(not _EMPTY.match(v) for v in values.get(e, []))]
    if name and "事项名称" not in present and (next(iter(doc.headings()), "") or listed_name):
        present.insert(0, "事项名称")  # the guide's heading is its name
    statutory = limit_days(_first(values.get("法定办结时限", [])))
    promised = limit_days(_first(values.get("承诺办结时限", [])))
    return ServiceGuide(
        name=name[:200],
        url=url,
        elements=present,
        missing=[e for e in KEY_ELEMENTS if e not in present],
        statutory_days=statutory if isinstance(statutory, int) else None,
        promised_days=promised if isinstance(promised, int) else None,
        problems=problems(values),
    )


def labelled_values(doc: Document) -> dict[str, list[str]]:
    """Each element's values, in page order: a label's own text after the colon, else the blocks that follow."""
    values: dict[str, list[str]] = {}
    pieces = [piece for piece in doc.pieces if not piece.footer]  # the footer's 联系电话 is the site's
    index = 0
    while index < len(pieces):
        match = _LABEL_AT_START.match(pieces[index].text)
        if match is None:
            index += 1
            continue
        element = _ELEMENT_OF[match.group("label")]
        rest = (match.group("rest") or "").strip()
        following: list[str] = []
        index += 1
        while index < len(pieces) and not _LABEL_AT_START.match(pieces[index].text) and not pieces[index].heading:
            if len(following) < _VALUE_PIECES:
                following.append(pieces[index].text)
            index += 1
        if element:
            values.setdefault(element, []).append(rest or " ".join(following))
    return values


def limit_days(value: str) -> int | str | None:
    """Working days of a time limit; None when absent or empty; the value itself when it names no number."""
    if not value or _EMPTY.match(value):
        return None
    amount = _AMOUNT.search(value)
    instant = _INSTANT.search(value)
    if instant is not None and (amount is None or instant.start() < amount.start()):
        return 0
    if amount is None:
        return value
    number = _number(amount.group("n"))
    if number is None:
        return value
    return number * 30 if amount.group("unit").endswith("月") else number


def problems(values: dict[str, list[str]]) -> list[str]:
    found: list[str] = []
    statutory = [limit_days(v) for v in values.get("法定办结时限", [])]
    promised = [limit_days(v) for v in values.get("承诺办结时限", [])]
    general = [limit_days(v) for v in values.get(_GENERAL_LIMIT, [])]
    concrete_promised = [d for d in promised if isinstance(d, int)]
    concrete_statutory = [d for d in statutory if isinstance(d, int)]
    if concrete_promised and concrete_statutory and concrete_promised[0] > concrete_statutory[0]:
        found.append(LONGER_THAN_STATUTORY)
    stated = [d for d in statutory + promised + general if d is not None]
    if not stated or any(isinstance(d, str) for d in stated):
        found.append(NO_CONCRETE_LIMIT)
    others = [d for d in general if isinstance(d, int)] + concrete_promised[1:]
    if concrete_promised and any(d != concrete_promised[0] for d in others):
        found.append(INCONSISTENT_LIMIT)
    return found


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def _first(values: list[str]) -> str:
    return next((v for v in values if v and not _EMPTY.match(v)), "")


def _title_name(doc: Document) -> str:
    return re.split(r"[_|｜\-—]", doc.title)[0].strip() if doc.title else ""


def _guide_links(doc: Document) -> list[GuideLink]:
    own = urlsplit(doc.base_url)
    found: dict[str, GuideLink] = {}
    for row in doc.rows:
        link = _guide_link_of(row)
        if link is None or urlsplit(link.url).netloc != own.netloc or link.url in found:
            continue
        found[link.url] = link
    return list(found.values())


def _guide_link_of(row: Row) -> GuideLink | None:
    usable = [
        link
        for link in row.links
        if link.href and not link.raw_href.lower().startswith(("javascript", "#")) and not _DIRECTORY.search(link.href)
    ]
    action = next((link for link in usable if _GUIDE_ACTION.match(link.text)), None)
    named = max(
        (link for link in usable if not _GUIDE_ACTION.match(link.text) and not _ONLINE_ACTION.match(link.text)),
        key=lambda x: len(x.text),
        default=None,
    )
    if action is not None:
        actions = {link.text for link in row.links}
        cells = [c for c in row.cells if len(c) >= 4 and c not in actions and not c.isdigit()]
        name = (named.title or named.text) if named else (cells[0] if cells else "")
        return GuideLink(name, action.href)
    if named is None or len(named.text) < 4:
        return None
    name = named.title or named.text
    if _GUIDE_HREF.search(named.raw_href) or _ITEM_NAME.search(name):
        return GuideLink(name, named.href)
    return None
