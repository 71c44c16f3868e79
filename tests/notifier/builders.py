"""Plain values for the notifier's tests: 青山县's portal and one rectification case, changed field by field."""

from __future__ import annotations

from datetime import date, datetime

from services.notifier.models import Case
from shared.clock import CHINA_TZ
from shared.events import Target, TargetType

OPENED_AT = datetime(2022, 10, 7, 10, 0, tzinfo=CHINA_TZ)
SITE = Target(
    target_id="qingshan",
    type=TargetType.website,
    name="云岭市青山县人民政府",
    url="http://127.0.0.1:8200/sites/qingshan/",
    unit_id="qingshan-gov",
    county="青山县",
    registered_on=date(2019, 1, 1),
)


def a_case(**changes: object) -> Case:
    """青山县's homepage not updated (W-V3), opened 10月7日, due 10月14日."""
    values: dict[str, object] = {
        "case_id": Case.id_for("qingshan", "2022Q3", "W-V3"),
        "target_id": "qingshan",
        "unit_id": "qingshan-gov",
        "period_id": "2022Q3",
        "indicator_id": "W-V3",
        "indicator_name": "内容更新",
        "problem": "首页长期不更新",
        "explanation": "首页最新信息发布于2022年9月8日，已连续29天未更新，超过2周的要求。",
        "opened_on": date(2022, 10, 7),
        "deadline": date(2022, 10, 14),
        "opened_at": OPENED_AT,
        "opened_revision": 1,
    }
    return Case.model_validate(values | changes)
