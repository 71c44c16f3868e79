from datetime import date

import pytest

from shared.workdays import add_working_days


def test_seven_working_days_after_the_seed_notice_is_october_14_because_of_the_national_day_make_up_days() -> None:
    # 10月1日—7日 国庆假期; 10月8日（星期六）、9日（星期日）上班: the seed notice's 「10月14日前」.
    assert add_working_days(date(2022, 10, 7), 7).due == date(2022, 10, 14)
    assert add_working_days(date(2022, 10, 7), 7).exact


def test_the_national_day_holiday_itself_is_not_counted() -> None:
    # From 9月30日: 10月1日—7日 are holidays, so the first working day is 10月8日 (a Saturday).
    assert add_working_days(date(2022, 9, 30), 1).due == date(2022, 10, 8)
    assert add_working_days(date(2022, 9, 30), 3).due == date(2022, 10, 10)


def test_spring_festival_is_skipped_and_its_weekend_make_up_days_count() -> None:
    # 2023 春节: 1月21日—27日 off; 1月28日（六）、29日（日）上班.
    assert add_working_days(date(2023, 1, 20), 1).due == date(2023, 1, 28)
    assert add_working_days(date(2023, 1, 20), 3).due == date(2023, 1, 30)


def test_an_ordinary_weekend_is_skipped() -> None:
    assert add_working_days(date(2022, 9, 16), 1).due == date(2022, 9, 19)  # Friday → Monday


def test_zero_working_days_is_the_start_date() -> None:
    assert add_working_days(date(2022, 10, 7), 0).due == date(2022, 10, 7)


def test_a_year_without_holiday_data_falls_back_to_monday_to_friday_and_says_so() -> None:
    deadline = add_working_days(date(2040, 1, 5), 7)  # a Thursday
    assert deadline.due == date(2040, 1, 16)
    assert not deadline.exact


def test_a_count_running_into_an_unknown_year_is_flagged_as_an_estimate() -> None:
    last_known = date(2026, 12, 24)
    deadline = add_working_days(last_known, 7)
    assert not deadline.exact
    assert deadline.due > last_known


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2022, 10, 7), -1)
