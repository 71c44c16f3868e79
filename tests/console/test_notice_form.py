"""The notice draft's form, with plain values (services/console/notice_form.py)."""

from __future__ import annotations

from typing import Any

from services.console.notice_form import form_values, parse_profile, parse_requirements, with_blank_rows

FILLED: dict[str, list[str]] = {
    "document_number": ["云政办字〔2022〕87号"],
    "issuer": ["云岭市人民政府办公室"],
    "issuer_short": ["市政府办公室"],
    "city": ["云岭市"],
    "province": [""],
    "recipients": ["各县（区）人民政府\r\n市直各部门\r\n\r\n"],
    "cc": [""],
    "issue_date": ["2022-10-10"],
    "deadline": ["2022-10-21"],
    "printed_on": [""],
    "public": ["on"],
    "opening": ["  为进一步加强政府网站管理，\r\n现将检查情况通报如下。 "],
    "overview_remarks": [""],
    "req_heading": ["落实主体责任", "", ""],
    "req_text": ["各单位要切实履行主管主办责任。", "", ""],
}


def form(**changes: list[str]) -> dict[str, list[str]]:
    return {**FILLED, **changes}


def test_a_filled_form_becomes_the_reporters_notice_profile() -> None:
    payload = parse_profile(FILLED).payload
    assert payload is not None
    assert payload["recipients"] == ["各县（区）人民政府", "市直各部门"]
    assert payload["cc"] == [] and payload["printed_on"] is None and payload["public"] is True
    assert payload["opening"] == "为进一步加强政府网站管理，\n现将检查情况通报如下。"
    assert payload["requirements"] == [{"heading": "落实主体责任", "text": "各单位要切实履行主管主办责任。"}]


def test_an_unticked_public_box_sends_nothing_and_means_not_public() -> None:
    without = {k: v for k, v in FILLED.items() if k != "public"}
    payload = parse_profile(without).payload
    assert payload is not None and payload["public"] is False


def test_missing_fields_are_named_in_chinese_and_no_payload_is_made() -> None:
    parsed = parse_profile(form(document_number=[""], recipients=["  \n "]))
    assert parsed.payload is None
    assert "请填写文号" in parsed.errors and "请填写主送单位（每行一个）" in parsed.errors
    assert parsed.values["issuer"] == "云岭市人民政府办公室"  # what was typed is kept for the form


def test_a_deadline_before_the_issue_date_or_a_bad_date_is_refused() -> None:
    assert parse_profile(form(deadline=["2022-10-01"])).errors == ["整改期限不能早于成文日期"]
    assert parse_profile(form(printed_on=["2022-13-01"])).errors == ["印发日期「2022-13-01」不是有效日期"]


def test_requirements_are_paired_by_position_blank_pairs_dropped_half_pairs_refused() -> None:
    found, errors = parse_requirements(["甲", "", "丙", ""], ["甲的内容", "", "", "丁的内容"])
    assert found == [
        {"heading": "甲", "text": "甲的内容"},
        {"heading": "丙", "text": ""},
        {"heading": "", "text": "丁的内容"},
    ]
    assert errors == ["第3条工作要求须同时填写标题和内容", "第4条工作要求须同时填写标题和内容"]


def test_a_stored_profile_fills_the_form_and_comes_back_unchanged() -> None:
    stored: dict[str, Any] = {
        **(parse_profile(FILLED).payload or {}),
        "cc": ["市委办公室"],
        "requirements": [{"heading": "甲", "text": "一\n二"}],
    }
    values = with_blank_rows(form_values(stored))
    assert values["recipients"] == "各县（区）人民政府\n市直各部门" and len(values["requirements"]) == 3
    posted = {k: [v] for k, v in values.items() if isinstance(v, str)}
    posted["public"] = ["on"]
    posted["req_heading"] = [r["heading"] for r in values["requirements"]]
    posted["req_text"] = [r["text"] for r in values["requirements"]]
    assert parse_profile(posted).payload == stored
