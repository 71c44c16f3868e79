"""The fixed choices: how offices spell them (folded, see cells.fold) → the stored value, and the label written back."""

from __future__ import annotations

from shared.events import TargetStatus, UnitLevel

from .cells import fold

CITY_COUNTY = "市直"  # the city's own units, as notices print them


def _folded(spellings: dict[str, str]) -> dict[str, str]:
    return {fold(k): v for k, v in spellings.items()}


LEVELS = _folded(
    {
        "市": UnitLevel.city, "市级": UnitLevel.city, "市本级": UnitLevel.city, "州": UnitLevel.city,
        "县": UnitLevel.county, "县级": UnitLevel.county, "区": UnitLevel.county, "县区": UnitLevel.county,
        "县(区)": UnitLevel.county, "县(市、区)": UnitLevel.county, "县市区": UnitLevel.county,
        "部门": UnitLevel.department, "市直部门": UnitLevel.department, "县直部门": UnitLevel.department,
        "市级部门": UnitLevel.department, "县级部门": UnitLevel.department,
    }
)  # fmt: skip
LEVEL_LABELS = {UnitLevel.city: "市", UnitLevel.county: "县", UnitLevel.department: "部门"}

UNIT_STATES = _folded({"正常": "1", "在用": "1", "存续": "1", "已撤销": "", "撤销": "", "已合并": "", "撤并": ""})
UNIT_STATE_LABELS = {True: "正常", False: "已撤销"}

SITE_KINDS = _folded({"门户": "门户", "门户网站": "门户", "政府门户网站": "门户", "部门": "部门", "部门网站": "部门"})

SITE_STATUSES = _folded(
    {
        "运行": TargetStatus.running, "正常": TargetStatus.running, "正常运行": TargetStatus.running,
        "运行中": TargetStatus.running, "在运行": TargetStatus.running,
        "临时关停": TargetStatus.suspended, "暂时关停": TargetStatus.suspended, "临时关闭": TargetStatus.suspended,
        "迁移": TargetStatus.migrated, "已迁移": TargetStatus.migrated,
        "关停": TargetStatus.closed, "已关停": TargetStatus.closed, "关闭": TargetStatus.closed,
        "下线": TargetStatus.closed, "已下线": TargetStatus.closed,
    }
)  # fmt: skip
SITE_STATUS_LABELS = {
    TargetStatus.running: "运行",
    TargetStatus.suspended: "临时关停",
    TargetStatus.migrated: "迁移",
    TargetStatus.closed: "关停",
}

ACCOUNT_STATUSES = _folded(
    {
        "运行": TargetStatus.running, "正常": TargetStatus.running, "正常运行": TargetStatus.running,
        "运营": TargetStatus.running, "运营中": TargetStatus.running,
        "已发停更公告": TargetStatus.closure_announced, "停更公告": TargetStatus.closure_announced,
        "已停更": TargetStatus.closure_announced, "停更": TargetStatus.closure_announced,
        "已注销": TargetStatus.closed, "注销": TargetStatus.closed, "已关停": TargetStatus.closed,
        "关停": TargetStatus.closed,
    }
)  # fmt: skip
ACCOUNT_STATUS_LABELS = {
    TargetStatus.running: "运行",
    TargetStatus.closure_announced: "已发停更公告",
    TargetStatus.closed: "已注销",
}

PLATFORM_NAMES = (
    "微信公众号", "微信视频号", "微博", "抖音", "快手", "头条号", "百家号", "小红书", "哔哩哔哩", "人民号",
    "网易号", "企鹅号", "移动客户端", "小程序", "其他",
)  # fmt: skip
PLATFORMS = _folded(
    {name: name for name in PLATFORM_NAMES}
    | {
        "微信": "微信公众号", "公众号": "微信公众号", "微信服务号": "微信公众号", "微信订阅号": "微信公众号",
        "视频号": "微信视频号", "新浪微博": "微博", "今日头条": "头条号", "头条": "头条号", "抖音号": "抖音",
        "快手号": "快手", "b站": "哔哩哔哩", "bilibili": "哔哩哔哩", "app": "移动客户端", "客户端": "移动客户端",
        "微信小程序": "小程序",
    }
)  # fmt: skip

FEED_KINDS = _folded({"rss": "rss", "json": "json", "平台导出": "export", "导出": "export", "后台导出": "export"})
FEED_KIND_LABELS = {"rss": "RSS", "json": "JSON", "export": "平台导出"}

PERIOD_MODES = _folded(
    {"全面检查": "census", "全面": "census", "普查": "census", "抽查": "spot_check", "抽检": "spot_check"}
)
PERIOD_MODE_LABELS = {"census": "全面检查", "spot_check": "抽查"}

BOOL_LABELS = {True: "是", False: "否"}
PRESENCE_LABELS = {True: "有", False: "无"}  # 对外服务职能: offices say 有/无
