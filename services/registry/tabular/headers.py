"""The layout: one sheet (or CSV file) per kind, its columns, their Chinese headers and the spellings tolerated.

A header matches after folding (full-width to half-width, spaces and required-markers * removed); when the full text
is unknown, a trailing parenthesis is dropped too, so 「运行状态（运行/临时关停/迁移/关停）」 and 「更新周期(天)」 match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .cells import Cell, clean_text


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as written on export
    synonyms: tuple[str, ...] = ()
    required: bool = False  # the column must exist and every row must fill it
    note: str = ""  # what to write, for the template's instructions


@dataclass(frozen=True)
class SheetSpec:
    kind: str  # unit, website, column, message_board, service_guide, account, period
    title: str  # sheet name and CSV file name
    marker: str  # the column key whose header identifies the sheet
    columns: tuple[Column, ...]
    aliases: tuple[str, ...] = ()  # other sheet names offices use
    lookup: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for column in self.columns:
            for spelling in (column.header, *column.synonyms):
                self.lookup.setdefault(fold_header(spelling), column.key)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def key_for(self, header: Cell) -> str | None:
        folded = fold_header(header)
        if not folded:
            return None
        found = self.lookup.get(folded)
        if found is None:
            found = self.lookup.get(re.sub(r"\([^()]*\)$", "", folded))
        return found


_DECOR = re.compile(r"[\s*＊※:：]+|\((必填|选填|可选|必填项|选填项)\)")


def fold_header(text: Cell) -> str:
    folded = unicodedata.normalize("NFKC", clean_text(text))
    return _DECOR.sub("", folded).lower()


TARGET_ID = Column(
    "target_id", "对象编号", ("监测对象编号", "对象ID", "对象id", "target_id"), note="留空则自动生成，见“编号规则”"
)
PROFILE = Column("profile", "采集配置", ("采集配置(JSON)",), note='JSON 对象，技术人员填写，如 {"list": "ul.news li"}')
SITE_STATUS_NOTE = "运行 / 临时关停 / 迁移 / 关停"


def _lifecycle(inherit: bool) -> tuple[Column, ...]:
    suffix = "；留空则与所属网站相同" if inherit else ""
    return (
        Column("status", "运行状态(运行/临时关停/迁移/关停)", ("运行状态", "状态"), note=SITE_STATUS_NOTE + suffix),
        Column(
            "registered_on",
            "登记日期",
            ("开办日期", "开通日期", "上线日期", "登记时间"),
            required=not inherit,
            note="日期" + suffix,
        ),
        Column("closed_on", "关停日期", ("关停时间", "下线日期"), note="运行状态为“关停”时必填" + suffix),
    )


def _site_ref(required: bool) -> Column:
    return Column(
        "site",
        "所属网站",
        ("所属网站标识码", "网站标识码", "所属网站编号", "所属网站地址"),
        required=required,
        note="所属网站的网站标识码、网站地址或对象编号",
    )


UNIT_RESPONSIBLE = Column(
    "unit_id", "责任单位编码", ("主办单位编码", "单位编码", "责任单位代码"), note="留空则为所属网站的主办单位"
)

UNITS = SheetSpec(
    "unit",
    "单位",
    "name",
    (
        Column(
            "unit_id",
            "单位编码",
            ("单位代码", "单位编号", "单位ID", "单位id"),
            required=True,
            note="字母、数字、- _ . :",
        ),
        Column("name", "单位名称", ("单位全称",), required=True),
        Column("short_name", "单位简称", ("简称",)),
        Column("code", "统一社会信用代码", ("社会信用代码", "信用代码"), note="18位，校验位须正确"),
        Column(
            "level", "层级(市/县/部门)", ("层级", "单位层级", "行政层级", "级别"), note="市 / 县 / 部门，留空为部门"
        ),
        Column(
            "county",
            "县（区）",
            ("县(区)", "县区", "区县", "所属县区", "所属县(区)", "县(市、区)", "所属区县"),
            note="县级单位必填；市级为“市直”；部门随上级单位",
        ),
        Column("parent_id", "上级单位编码", ("上级单位代码", "上级单位")),
        Column("supervisor_id", "主管单位编码", ("主管单位代码", "主管单位")),
        Column("order", "排序号", ("排序", "排列顺序"), note="整数，越小越靠前"),
        Column("emails", "通知邮箱", ("单位邮箱", "通知邮件"), note="多个用“；”分隔"),
        Column("mobiles", "通知手机", ("单位手机", "值班手机"), note="多个用“；”分隔"),
        Column("active", "单位状态(正常/已撤销)", ("单位状态",), note="正常 / 已撤销，留空为正常"),
        Column("contact_name", "联系人", ("联系人姓名", "姓名")),
        Column("contact_role", "职务", ("联系人职务", "职位")),
        Column("contact_mobile", "手机", ("联系人手机", "手机号", "手机号码", "移动电话")),
        Column("contact_email", "邮箱", ("联系人邮箱", "电子邮箱", "电子邮件")),
        Column("contact_chatbot", "机器人地址", ("钉钉机器人", "企业微信机器人", "机器人webhook", "机器人")),
    ),
    aliases=("单位信息", "单位名单", "单位表", "责任单位"),
)

WEBSITES = SheetSpec(
    "website",
    "网站",
    "name",
    (
        TARGET_ID,
        Column("name", "网站名称", (), required=True),
        Column(
            "url",
            "网站地址",
            ("网址", "首页地址", "网站首页地址", "首页网址"),
            required=True,
            note="http:// 或 https:// 开头",
        ),
        Column("site_code", "网站标识码", ("标识码",), note="10位数字"),
        Column("site_kind", "网站类型(门户/部门)", ("网站类型", "网站类别"), required=True, note="门户 / 部门"),
        Column("unit_id", "主办单位编码", ("主办单位代码", "单位编码"), required=True),
        *_lifecycle(inherit=False),
        Column("has_message_board", "是否有留言板", ("有无留言板", "留言板"), note="是 / 否，留空为否"),
        Column(
            "public_services",
            "对外服务职能",
            ("有无对外服务职能", "是否有对外服务职能", "对外服务"),
            note="主办单位有无对外服务职能：有 / 无（也认 是 / 否），留空为有；无的网站不查“服务不实用”，扣分部分按75分折算",
        ),
        PROFILE,
    ),
    aliases=("政府网站", "网站信息", "网站名单"),
)

COLUMNS = SheetSpec(
    "column",
    "栏目",
    "name",
    (
        TARGET_ID,
        Column("name", "栏目名称", (), required=True),
        Column("url", "栏目地址", ("栏目网址", "栏目链接"), required=True),
        _site_ref(required=True),
        UNIT_RESPONSIBLE,
        Column("column_type", "栏目类型", ("栏目类别",), note="如 动态要闻、通知公告、政策文件、信息公开专栏"),
        Column("update_period_days", "更新周期（天）", ("更新周期", "更新频率(天)"), note="1—3650 的整数"),
        Column("first_level", "是否一级栏目", ("一级栏目",), note="是 / 否，留空为否"),
        *_lifecycle(inherit=True),
        PROFILE,
    ),
    aliases=("网站栏目", "栏目信息", "重点栏目"),
)

MESSAGE_BOARDS = SheetSpec(
    "message_board",
    "留言板",
    "name",
    (
        TARGET_ID,
        Column("name", "留言板名称", ("互动栏目名称",), required=True),
        Column("url", "留言板地址", ("留言板网址", "互动栏目地址"), required=True),
        _site_ref(required=True),
        UNIT_RESPONSIBLE,
        Column("reply_days", "答复时限（工作日）", ("答复时限", "承诺答复时限", "答复期限"), note="1—365 的整数"),
        *_lifecycle(inherit=True),
        PROFILE,
    ),
    aliases=("互动交流", "留言板信息"),
)

SERVICE_GUIDES = SheetSpec(
    "service_guide",
    "办事指南",
    "name",
    (
        TARGET_ID,
        Column("name", "指南名称", ("办事指南名称", "事项名称", "来源名称"), required=True),
        Column("url", "指南地址", ("办事指南地址", "来源地址", "事项地址"), required=True),
        _site_ref(required=False),
        Column("unit_id", "责任单位编码", ("主办单位编码", "单位编码"), note="不填所属网站时必填"),
        Column("update_period_days", "更新周期（天）", ("更新周期",), note="1—3650 的整数"),
        *_lifecycle(inherit=True),
        PROFILE,
    ),
    aliases=("办事服务", "办事指南来源"),
)

ACCOUNTS = SheetSpec(
    "account",
    "政务新媒体",
    "name",
    (
        TARGET_ID,
        Column("name", "账号名称", ("新媒体名称", "政务新媒体名称"), required=True),
        Column("platform", "平台", ("平台类型", "所属平台", "平台名称"), required=True),
        Column("account_id", "账号ID", ("账号id", "账号", "微信号", "原始ID", "账号编号")),
        Column("url", "订阅地址", ("订阅源", "RSS地址", "数据地址", "订阅源地址")),
        Column("feed_kind", "数据来源(RSS/JSON/平台导出)", ("数据来源", "采集方式"), note="RSS / JSON / 平台导出"),
        Column("unit_id", "主办单位编码", ("主办单位代码", "开办单位编码", "单位编码"), required=True),
        Column(
            "status",
            "状态(运行/已发停更公告/已注销)",
            ("状态", "账号状态", "运行状态"),
            note="运行 / 已发停更公告 / 已注销",
        ),
        Column("registered_on", "登记日期", ("开设日期", "开通日期", "注册日期", "登记时间"), required=True),
        Column("closed_on", "注销日期", ("关停日期", "注销时间")),
        Column("closure_required_by", "应注销日期", ("限期注销日期", "注销期限")),
        PROFILE,
    ),
    aliases=("新媒体", "政务新媒体账号", "新媒体账号", "账号"),
)

PERIODS = SheetSpec(
    "period",
    "监测周期",
    "period_id",
    (
        Column("period_id", "监测周期", ("周期", "周期编号", "季度"), required=True, note="2022Q3 或 2022年第三季度"),
        Column("window_start", "开始日期", ("采集开始日期", "起始日期"), required=True, note="当日 00:00:00 起"),
        Column("monitoring_point", "监测时间点", ("截止日期", "监测截止日期"), required=True, note="当日 23:59:59 止"),
        Column("mode", "监测方式(全面检查/抽查)", ("监测方式",), note="全面检查 / 抽查，留空为全面检查"),
        Column(
            "sample_rules",
            "抽查规则",
            ("抽样规则", "抽查方式"),
            note="抽查时填写，每条「对象类型：分组：数量」，多条用「；」分隔，如「政务新媒体：按县（区）、平台：每组5个」",
        ),
        Column(
            "sample_seed", "随机种子", ("抽查种子", "抽样种子"), note="抽查时填写；同一种子和名单总是抽出同样的对象"
        ),
        Column(
            "scope",
            "检查范围",
            ("检查项目", "检查内容", "检查指标", "监测范围"),
            note="本期检查哪些项，如「站点无法访问（W-V2）、首页不更新（W-V3）」或「W-V2、W-V3、N-V2」，"
            "多项用「、」分隔；W-V4 含全站和逐栏目两项；留空为全部检查",
        ),
        Column(
            "rule_set",
            "规则集",
            ("规则集编号", "检查细则", "适用规则集"),
            note="规则集编号或“编号@版本号”，如 national-2019、lincang-2022@1；留空为默认规则集",
        ),
    ),
    aliases=("周期",),
)

SHEETS: tuple[SheetSpec, ...] = (UNITS, WEBSITES, COLUMNS, MESSAGE_BOARDS, SERVICE_GUIDES, ACCOUNTS, PERIODS)
TARGET_SHEETS: tuple[SheetSpec, ...] = (WEBSITES, COLUMNS, MESSAGE_BOARDS, SERVICE_GUIDES, ACCOUNTS)
IGNORED_SHEET_WORDS = ("说明", "填表", "readme", "示例说明", "字典", "下拉")


def sheet_by_title(title: str) -> SheetSpec | None:
    folded = fold_header(title)
    for spec in SHEETS:
        if folded in {fold_header(spec.title), *(fold_header(a) for a in spec.aliases)}:
            return spec
    return None


def sheet_by_headers(row: tuple[Cell, ...]) -> list[SheetSpec]:
    """The sheets whose identifying header appears in ``row``, best match (most known headers) first."""
    scored = []
    for spec in SHEETS:
        keys = {spec.key_for(cell) for cell in row} - {None}
        if spec.marker in keys:
            scored.append((len(keys), spec))
    scored.sort(key=lambda pair: -pair[0])
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        return [spec for n, spec in scored if n == scored[0][0]]
    return [spec for _, spec in scored[:1]]
