"""Chinese titles as government sites and accounts write them, chosen deterministically.

Titles carry no digits, so the only dates on a page are the ones the page means as dates.
"""

from __future__ import annotations

from simulator.timeline import stable_hash

TOPICS = (
    "安全生产",
    "防汛救灾",
    "森林草原防火",
    "乡村振兴",
    "优化营商环境",
    "政务公开",
    "民生实事",
    "招商引资",
    "农村人居环境整治",
    "义务教育",
    "医疗保障",
    "生态环境保护",
    "河湖长制",
    "禁毒防艾",
    "普法宣传",
    "粮食安全",
    "高原特色农业",
    "就业创业",
    "食品药品安全",
    "城乡建设",
    "文旅融合",
    "消防安全",
    "耕地保护",
    "社会救助",
)

TEMPLATES = {
    "news": (
        "{org}召开{topic}工作推进会",
        "{org}专题部署{topic}工作",
        "{org}主要负责同志调研{topic}工作",
        "{city}{topic}工作取得新进展",
        "{org}开展{topic}专项行动",
        "{org}举办{topic}业务培训班",
        "{org}召开党组理论学习中心组学习会",
    ),
    "county": (
        "{county}扎实推进{topic}工作",
        "{county}召开{topic}工作会议",
        "{county}{topic}工作成效明显",
    ),
    "notice": (
        "关于做好{topic}工作的通知",
        "{org}关于{topic}有关事项的公告",
        "{org}关于{topic}专项资金分配结果的公示",
        "关于公开征求《{city}{topic}实施方案（征求意见稿）》意见的公告",
        "{org}关于开展{topic}检查的通知",
    ),
    "policy": (
        "{city}人民政府办公室关于印发{city}{topic}实施方案的通知",
        "{city}人民政府关于进一步加强{topic}工作的意见",
        "{org}关于印发{topic}工作要点的通知",
        "《{city}{topic}实施方案》政策解读",
    ),
    "disclosure": (
        "{org}{topic}工作情况",
        "{org}{topic}信息公开",
        "{org}关于{topic}的政策解读",
        "{org}部门预算公开说明",
        "{org}行政执法公示",
        "{org}权责清单调整情况",
    ),
    "media": (
        "{city}：{topic}跑出加速度",
        "媒体看{city}｜{topic}见实效",
    ),
    "post": (
        "{topic}知识，请收好！",
        "@所有人，{topic}要点速览",
        "{city}{topic}最新进展",
        "提醒｜这些{topic}常识要知道",
        "一图读懂{topic}",
        "{org}：{topic}在行动",
    ),
}


def kind_of(column_type: str) -> str:
    """The title family for a column type: 动态要闻 → news, 通知公告 → notice, 政策文件 → policy, …"""
    for words, kind in ((("通知", "公告"), "notice"), (("政策", "文件"), "policy"), (("公开",), "disclosure")):
        if any(w in column_type for w in words):
            return kind
    return "news"


def make_title(kind: str, seed: str, seq: int, org: str, city: str, counties: tuple[str, ...] = ()) -> str:
    h = stable_hash(seed, "title", seq)
    templates = TEMPLATES[kind]
    county = counties[h % len(counties)] if counties else city
    return templates[h % len(templates)].format(
        org=org, city=city, county=county, topic=TOPICS[(h >> 16) % len(TOPICS)]
    )
