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


# Messages on a board (留言), by category: what residents ask, suggest and complain about. No digits, no status words.
MESSAGE_TEMPLATES = {
    "咨询": (
        "请问{thing}在哪里办理",
        "{thing}需要准备哪些材料",
        "关于{thing}办理时限的问题",
        "{place}{thing}可以网上办理吗",
        "外地户籍人员如何办理{thing}",
    ),
    "建议": (
        "建议在{place}增设公交站点",
        "关于加强{topic}宣传的建议",
        "建议{place}政务服务大厅延长午间服务",
        "建议优化{thing}的办理流程",
    ),
    "投诉": (
        "{place}夜间施工噪音扰民",
        "{place}占道经营影响通行",
        "反映{place}路灯长期不亮",
        "{place}小区物业乱收费",
    ),
}
THINGS = (
    "居住证",
    "不动产登记",
    "城乡居民医保参保",
    "灵活就业人员社保缴费",
    "新生儿户口登记",
    "残疾人证",
    "高龄津贴",
    "公租房申请",
    "创业担保贷款",
    "营业执照变更",
    "老年人优待证",
    "职业技能等级证书",
)
PLACES = ("老城区", "客运站附近", "农贸市场周边", "新区", "学校门口", "滨河路")


def make_message_title(category: str, seed: str, seq: int, counties: tuple[str, ...] = ()) -> str:
    h = stable_hash(seed, "message", seq)
    templates = MESSAGE_TEMPLATES[category]
    place = PLACES[(h >> 8) % len(PLACES)]
    if counties:
        place = counties[(h >> 24) % len(counties)] + place
    return templates[h % len(templates)].format(
        thing=THINGS[(h >> 16) % len(THINGS)], place=place, topic=TOPICS[(h >> 32) % len(TOPICS)]
    )
