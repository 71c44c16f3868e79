"""Rectification deadlines in Chinese working days (工作日): the project's working-day calendar, as the notifier uses it.

The logic lives in ``shared.workdays`` (holidays, 调休 make-up days, the fallback for years without published
data); this module keeps the notifier's names.
"""

from __future__ import annotations

from shared.workdays import NATIONAL, Deadline, WorkCalendar, WorkingDay, add_working_days, is_working_day

__all__ = ["NATIONAL", "Deadline", "WorkCalendar", "WorkingDay", "add_working_days", "is_working_day"]
