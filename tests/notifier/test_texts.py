import re
from datetime import date, datetime

import pytest

from services.notifier import texts
from services.notifier.models import Case, Channel
from services.notifier.reminders import Audience, DueStep, StepKind, digest
from services.notifier.texts import CaseView, Listed, PublishedNotice, Texts
from shared.clock import CHINA_TZ
from shared.events import Target, TargetType, Unit
from tests.notifier.builders import SITE
from tests.notifier.builders import a_case as build_case

OFFICE = "云岭市人民政府办公室"
ACCOUNT = SITE.model_copy(
    update={"target_id": "yx-jtj", "type": TargetType.account, "name": "云县教育体育局", "platform": "微信公众号"}
)
UNIT = Unit(unit_id="qingshan-gov", name="青山县人民政府办公室", county="青山县", supervisor_id="yunling-gov")
SUPERVISOR = Unit(unit_id="yunling-gov", name="云岭市人民政府", county="市直")
NOTICE = PublishedNotice(
    number="临政办字〔2022〕111号",
    title="临沧市人民政府办公室关于2022年三季度全市政府网站和政府系统政务新媒体检查情况的通报",
    issued_on=date(2022, 10, 7),
    deadline=date(2022, 10, 14),
    report_to="市政府办公室",
    attachments=("2022年三季度全市普查不合格网站名单", "2022年三季度全市抽查不合格政府系统政务新媒体名单"),
)


def a_case(**changes: object) -> Case:
    extra: dict[str, object] = {
        "submitted_at": datetime(2022, 10, 11, 16, 0, tzinfo=CHINA_TZ),
        "recheck_note": "复查未通过：首页最新信息仍为2022年9月8日。",
    }
    return build_case(**{"case_id": "case-7f3a", **extra, **changes})


def view(case: Case | None = None, target: Target = SITE) -> CaseView:
    return CaseView.of(case or a_case(), target, UNIT, OFFICE, supervisor=SUPERVISOR)


def every_step(v: CaseView) -> dict[str, Texts]:
    return {
        "case_opened": texts.case_opened(v),
        "reminder": texts.reminder(v, date(2022, 10, 11), 3),
        "overdue": texts.overdue(v, date(2022, 10, 15)),
        "escalation": texts.escalation(v, date(2022, 10, 17)),
        "reopened": texts.reopened(v, date(2022, 10, 12)),
        "resolved": texts.resolved(v, date(2022, 10, 13)),
    }


STEPS = list(every_step(view()))


@pytest.mark.parametrize("target", [SITE, ACCOUNT], ids=["website", "account"])
@pytest.mark.parametrize("step", STEPS)
def test_every_message_names_the_site_or_account_the_problem_and_the_deadline(step: str, target: Target) -> None:
    rendered = every_step(view(target=target))[step]
    title = "云岭市青山县人民政府网站" if target is SITE else "微信公众号“云县教育体育局”"
    for message in (rendered.email, rendered.sms, rendered.chat):
        whole = message.subject + message.text
        assert title in whole and "首页长期不更新" in whole, (step, message.channel)
        # A confirmation of rectification has no deadline left to name: it closes the case.
        assert step == "resolved" or "2022年10月14日" in whole, (step, message.channel)
        assert "{{" not in whole and "None" not in whole


@pytest.mark.parametrize("step", STEPS)
def test_no_english_reaches_a_unit_beyond_the_url_and_the_case_number(step: str) -> None:
    rendered = every_step(view())[step]
    for message in (rendered.email, rendered.sms, rendered.chat):
        plain = (message.subject + message.text).replace(SITE.url, "").replace("case-7f3a", "")
        assert not re.search(r"[A-Za-z]", plain), (step, message.channel, plain)


@pytest.mark.parametrize("step", STEPS)
def test_sms_params_are_the_templates_parameters_within_the_vendor_limit(step: str) -> None:
    sms = every_step(view())[step].sms
    assert sms.channel is Channel.sms and sms.sms_template == step
    assert all(0 < len(value) <= texts.SMS_PARAM_LIMIT for value in sms.sms_params.values())
    registered = texts.sms_template_text(step)
    assert [f"${{{key}}}" in registered for key in sms.sms_params] == [True] * len(sms.sms_params)
    assert sms.text == re.sub(r"\$\{(\w+)\}", lambda m: sms.sms_params[m[1]], registered)


def test_a_long_name_is_clipped_with_an_ellipsis() -> None:
    long_name = "云岭市青山县人民政府办公室关于进一步加强政府网站和政务新媒体管理工作的专题栏目"
    column = SITE.model_copy(update={"type": TargetType.column, "name": long_name, "site_id": "qingshan"})
    params = texts.overdue(CaseView.of(a_case(), column, UNIT, OFFICE, SITE), date(2022, 10, 15)).sms.sms_params
    assert len(params["target"]) == texts.SMS_PARAM_LIMIT and params["target"].endswith("…")
    assert params["target"].startswith("云岭市青山县人民政府网站“云岭市")
    assert texts.clip("短") == "短"


def test_golden_reminder_email() -> None:
    email = texts.reminder(view(), date(2022, 10, 11), 3).email
    assert email.subject == "【整改提醒】云岭市青山县人民政府网站：首页长期不更新（整改期限2022年10月14日）"
    assert email.text == (
        "青山县人民政府办公室：\n"
        "\n"
        "你单位主办的云岭市青山县人民政府网站存在“首页长期不更新”问题，云岭市人民政府办公室已于2022年10月7日通知整改，"
        "整改期限为2022年10月14日，距整改期限还有3个工作日。截至2022年10月11日，尚未收到你单位报送的整改情况。\n"
        "\n"
        "请抓紧组织整改，并于2022年10月14日前将整改情况（包括问题原因、整改措施和整改后的页面截图）报云岭市人民政府办公室。"
        "已完成整改的，请尽快报送整改情况。\n"
        "\n"
        "案件编号：case-7f3a\n"
        "\n"
        "云岭市人民政府办公室\n"
        "2022年10月11日\n"
    )


def test_golden_report_published_email_to_a_listed_unit() -> None:
    listed = [Listed("镇康县人民政府网站", "留言未及时办理"), Listed("微信公众号“镇康司法行政”", "内容长期不更新")]
    email = texts.report_published(NOTICE, "镇康县人民政府", "临沧市人民政府办公室", listed).email
    assert email.subject == f"【通报】{NOTICE.title}（临政办字〔2022〕111号）"
    assert email.text == (
        "镇康县人民政府：\n"
        "\n"
        f"《{NOTICE.title}》（临政办字〔2022〕111号）已于2022年10月7日印发，现随本邮件发送，请认真对照落实。\n"
        "\n"
        "你单位主办的以下政府网站、政务新媒体被通报为不合格：\n"
        "1．镇康县人民政府网站：留言未及时办理\n"
        "2．微信公众号“镇康司法行政”：内容长期不更新\n"
        "\n"
        "请举一反三，及时整改，于2022年10月14日前将整改情况报市政府办公室。\n"
        "\n"
        "附件：1．2022年三季度全市普查不合格网站名单\n"
        "      2．2022年三季度全市抽查不合格政府系统政务新媒体名单\n"
        "\n"
        "临沧市人民政府办公室\n"
        "2022年10月7日\n"
    )


def test_a_unit_not_listed_still_receives_the_notice_and_its_deadline() -> None:
    rendered = texts.report_published(NOTICE, "临翔区人民政府", "临沧市人民政府办公室")
    assert "本次未被通报" in rendered.email.text and "被通报为不合格" not in rendered.email.text
    for message in (rendered.email, rendered.sms, rendered.chat):
        assert "临政办字〔2022〕111号" in message.subject + message.text
        assert "2022年10月14日前" in message.text and "市政府办公室" in message.text
    assert "2022年三季度全市普查不合格网站名单" in rendered.chat.text
    assert all(len(v) <= texts.SMS_PARAM_LIMIT for v in rendered.sms.sms_params.values())


def test_the_escalation_tells_the_supervising_unit_who_did_not_rectify_what_and_by_when() -> None:
    rendered = texts.escalation(view(), date(2022, 10, 17))
    assert rendered.email.text.startswith("云岭市人民政府：\n")
    assert "截至2022年10月17日，青山县人民政府办公室未报送整改情况，该问题已逾期未整改" in rendered.email.text
    assert "请你单位督促青山县人民政府办公室立即整改" in rendered.email.text
    assert rendered.email.subject.startswith("【督办】青山县人民政府办公室逾期未整改")
    assert rendered.sms.text.startswith(
        "青山县人民政府办公室主办的云岭市青山县人民政府网站“首页长期不更新”问题逾期未整改"
    )


def test_a_failed_recheck_gives_the_reason_and_after_the_deadline_says_it_has_passed() -> None:
    in_time = texts.reopened(view(), date(2022, 10, 12)).email
    assert "你单位于2022年10月11日报送的云岭市青山县人民政府网站“首页长期不更新”问题整改情况收悉" in in_time.text
    assert "经复查，该问题仍然存在：首页最新信息仍为2022年9月8日。\n" in in_time.text
    assert "请继续整改，并于2022年10月14日前重新报送整改情况。" in in_time.text
    late = texts.reopened(view(), date(2022, 10, 18)).email
    assert (
        "（整改期限2022年10月14日已过）" in late.subject and "整改期限2022年10月14日已过，请立即继续整改" in late.text
    )


def test_the_last_day_reminder_says_so_rather_than_zero_days() -> None:
    rendered = texts.reminder(view(), date(2022, 10, 14), 0)
    assert "今日为整改期限最后一天" in rendered.email.text and "0个工作日" not in rendered.email.text
    assert "今日为最后一天" in rendered.chat.text


def test_every_chat_text_carries_a_keyword_robots_accept() -> None:
    for rendered in every_step(view()).values():
        assert re.search("整改|督办|复查", rendered.chat.subject + rendered.chat.text)
        assert "整改" in rendered.chat.text
    opened = texts.case_opened(view())
    assert opened.on(Channel.wecom) is opened.chat and opened.on(Channel.sms) is opened.sms


def test_the_daily_digest_lists_each_item_earliest_deadline_first_with_its_status() -> None:
    first, second = a_case(), a_case(case_id="case-9b1c", problem="留言未及时办理", deadline=date(2022, 10, 20))
    views = {"case-7f3a": view(first), "case-9b1c": view(second)}
    steps = [
        DueStep(second, StepKind.reminder, "reminder-3wd-r1", date(2022, 10, 17), Audience.unit, 3),
        DueStep(first, StepKind.overdue, "overdue-r1", date(2022, 10, 17), Audience.unit),
    ]
    rendered = texts.digest(digest("qingshan-gov", steps), UNIT.name, views, OFFICE)
    assert rendered.email.subject == "【整改事项汇总】青山县人民政府办公室：2项整改事项待办理（2022年10月17日）"
    assert (
        "1．云岭市青山县人民政府网站：首页长期不更新。整改期限2022年10月14日，已逾期未整改。\n"
        "2．云岭市青山县人民政府网站：留言未及时办理。整改期限2022年10月20日，距整改期限还有3个工作日。\n"
    ) in rendered.email.text
    assert rendered.sms.sms_params == {"unit": "青山县人民政府办公室", "count": "2", "deadline": "2022年10月14日"}
    assert "督促" not in rendered.email.text


def test_a_supervisors_digest_names_the_units_that_did_not_rectify() -> None:
    late = a_case()
    steps = [DueStep(late, StepKind.escalation, "escalation-r1", date(2022, 10, 17), Audience.supervisor)]
    rendered = texts.digest(digest("yunling-gov", steps), SUPERVISOR.name, {"case-7f3a": view(late)}, OFFICE)
    assert "1．青山县人民政府办公室主办的云岭市青山县人民政府网站：首页长期不更新。" in rendered.email.text
    assert "请督促责任单位立即整改" in rendered.email.text and "请按期完成整改" not in rendered.email.text


def test_an_early_warning_names_the_site_the_warning_and_says_it_is_not_a_verdict() -> None:
    found = texts.warning(
        "云岭市青山县人民政府网站",
        "http://127.0.0.1:8200/sites/qingshan/",
        "青山县人民政府办公室",
        "云岭市人民政府办公室",
        "首页即将超期未更新",
        "首页最新信息发布于9月18日，至9月29日已11天未更新，再过4天仍不更新即单项否决",
        "2022Q3",
        date(2022, 9, 29),
    )
    assert found.email.subject == "【预警提醒】云岭市青山县人民政府网站：首页即将超期未更新"
    assert "再过4天仍不更新即单项否决" in found.email.text and "不作为检查结论" in found.email.text
    assert found.email.text.rstrip().endswith("云岭市人民政府办公室\n2022年9月29日")
    assert found.sms.sms_params == {
        "unit": "青山县人民政府办公室",
        "target": "云岭市青山县人民政府网站",
        "problem": "首页即将超期未更新",
    }
    assert "整改" in found.chat.text  # robots guarded by keywords take it
