"""How the case page names things, with plain values (services/console/case_view.py)."""

from __future__ import annotations

from services.console.case_view import (
    UPLOAD_MAX_FILES,
    UPLOAD_MAX_MB,
    UPLOAD_SUFFIXES,
    action_label,
    beijing,
    deadline_source,
    delivery_row,
    file_size,
    mask_recipient,
    step_label,
)


def test_a_mobile_number_is_shown_with_its_middle_four_digits_hidden() -> None:
    assert mask_recipient("sms", "13908830201") == "139****0201"
    assert mask_recipient("sms", "+86 139-0883-0201") == "139****0201"
    assert mask_recipient("email", "13908830201") == "139****0201"  # a number in any column is still a number


def test_a_robot_webhook_is_named_by_its_host_and_the_last_four_characters_of_its_key() -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789"
    assert mask_recipient("dingtalk", url) == "oapi.dingtalk.com/robot/send (…6789)"
    wecom = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    assert "693a91f6" not in mask_recipient("wecom", wecom) and mask_recipient("wecom", wecom).endswith("(…5aaa)")


def test_an_email_address_is_shown_as_it_is() -> None:
    assert mask_recipient("email", "sxxzfb@example.gov.cn") == "sxxzfb@example.gov.cn"


def test_timeline_actions_and_scheduled_steps_read_in_chinese() -> None:
    assert action_label("acknowledged") == "单位签收"
    assert action_label("verifying") == "发起复查"
    assert action_label("reminder-3wd-r1") == "整改提醒（期限前3个工作日）"
    assert action_label("escalation-r2") == "督办通知"
    assert step_label("opened-1") == "整改通知"
    assert step_label("reopened-1-5") == "复查未通过通知"
    assert step_label("something-new") == "something-new"  # an unknown step keeps its name rather than vanish


def test_the_deadline_source_names_the_notice_number_or_the_working_days() -> None:
    by_notice = {"deadline_source": "notice", "deadline_document": "云政办字〔2022〕87号"}
    assert deadline_source(by_notice) == "依据通报云政办字〔2022〕87号确定"
    counted = {"deadline_source": "working_days", "deadline_exact": True, "opened_on": "2022-09-29"}
    assert deadline_source(counted) == "自立案之日（2022年9月29日）起按工作日计算"
    guessed = {**counted, "deadline_exact": False}
    assert "按周一至周五计" in deadline_source(guessed)


def test_a_delivery_row_is_translated_masked_and_in_beijing_time() -> None:
    row = delivery_row(
        {
            "step": "opened-1",
            "channel": "sms",
            "recipient": "13908830201",
            "status": "failed",
            "attempts": 3,
            "created_at": "2022-10-10T02:00:00",  # naive from Mongo: UTC
            "sent_at": None,
            "last_error": "isv.MOBILE_NUMBER_ILLEGAL",
        }
    )
    assert (row.step, row.channel, row.recipient, row.status) == ("整改通知", "短信", "139****0201", "发送失败")
    assert row.created_at == "2022-10-10 10:00" and row.sent_at == "" and row.trouble
    assert row.error == "isv.MOBILE_NUMBER_ILLEGAL"


def test_instants_and_sizes_read_as_a_person_expects() -> None:
    assert beijing("2022-10-10T02:00:00+00:00") == "2022-10-10 10:00"
    assert beijing(None) == ""
    assert (file_size(72), file_size(2048), file_size(3 * 1024 * 1024)) == ("72 B", "2.0 KB", "3.0 MB")


def test_the_upload_hints_match_what_the_notifier_takes() -> None:
    from services.notifier.rectification import FILE_TYPES, MAX_FILE_BYTES, MAX_FILES

    assert set(UPLOAD_SUFFIXES) == set(FILE_TYPES)
    assert (UPLOAD_MAX_FILES, UPLOAD_MAX_MB * 1024 * 1024) == (MAX_FILES, MAX_FILE_BYTES)
