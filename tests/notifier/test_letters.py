from datetime import date, datetime

from services.notifier import texts
from services.notifier.letters import chinese_date, period_name, target_title
from services.notifier.models import Case
from shared.clock import CHINA_TZ
from shared.events import TargetType, Unit
from tests.notifier.builders import SITE
from tests.notifier.builders import a_case as build_case

AS_OF = datetime(2022, 10, 7, 10, 0, tzinfo=CHINA_TZ)


UNIT = Unit(unit_id="qingshan-gov", name="青山县人民政府办公室", county="青山县")


def a_case(**changes: object) -> Case:
    return build_case(**{"opened_at": AS_OF, **changes})


def notice(case: Case) -> texts.ChannelText:
    """The rectification notice e-mail as the unit receives it."""
    return texts.case_opened(texts.CaseView.of(case, SITE, UNIT, "云岭市人民政府办公室")).email


def test_subject_names_the_site_the_problem_and_the_deadline_as_an_office_writes_it() -> None:
    assert (
        notice(a_case()).subject == "【整改通知】云岭市青山县人民政府网站：首页长期不更新（请于2022年10月14日前整改）"
    )


def test_body_names_the_site_its_url_the_problem_its_explanation_the_period_and_the_deadline() -> None:
    body = notice(a_case()).text
    assert body.startswith("青山县人民政府办公室：\n")
    for text in (
        "云岭市青山县人民政府网站",
        "http://127.0.0.1:8200/sites/qingshan/",
        "首页长期不更新",
        "已连续29天未更新",
        "2022年第三季度",
        "于2022年10月14日前将整改情况",
        "报云岭市人民政府办公室",
        "回复本邮件",
    ):
        assert text in body, text
    assert "{{" not in body and "按周一至周五推算" not in body


def test_an_estimated_deadline_is_explained_in_the_letter() -> None:
    body = notice(a_case(deadline_exact=False)).text
    assert "按周一至周五推算" in body


def test_columns_and_accounts_are_named_as_the_notices_name_them() -> None:
    column = SITE.model_copy(update={"target_id": "qs-tzgg", "type": TargetType.column, "name": "通知公告"})
    account = SITE.model_copy(update={"type": TargetType.account, "name": "云县教育体育局", "platform": "微信公众号"})
    assert target_title(column, SITE) == "云岭市青山县人民政府网站“通知公告”栏目"
    assert target_title(account) == "微信公众号“云县教育体育局”"
    assert target_title(SITE.model_copy(update={"name": "云岭市人民政府门户网站"})) == "云岭市人民政府门户网站"


def test_dates_and_periods_in_chinese() -> None:
    assert chinese_date(date(2022, 10, 14)) == "2022年10月14日"
    assert period_name("2022Q3") == "2022年第三季度"
    assert period_name("2023Q1") == "2023年第一季度"
