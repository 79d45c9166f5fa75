"""Time limits in working days, calendar days and working hours (portal/workdays.py, pure).

Expected moments were worked out by hand from the State Council holiday notices for 2025 and
2026 (国务院办公厅关于2025年/2026年部分节假日安排的通知), not copied from the implementation.
The working hours used are the portal's configurable default (09:00-12:00, 13:30-17:30), a
setting, not any jurisdiction's rule.
"""
from datetime import date, datetime, time

import pytest

from portal.workdays import (
    CALENDAR_DAYS,
    DEFAULT_WORKING_HOURS,
    SHANGHAI,
    WORKING_DAYS,
    WORKING_HOURS,
    DayKind,
    WorkingHours,
    builtin_calendar,
)


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def cal():
    return builtin_calendar()


def test_rule_two_working_hours_filed_friday_1630_before_qingming_end_tuesday_1000(cal):
    """2026 notice: 4-6 April (Sat-Mon) Qingming off. 16:30-17:30 Friday counts one hour, the
    second is 09:00-10:00 of Tuesday 7 April, the next working day."""
    r = cal.add_working_hours(at(2026, 4, 3, 16, 30), 2)
    assert r.due_at == at(2026, 4, 7, 10, 0)
    assert r.due_date == date(2026, 4, 7) and r.unit == WORKING_HOURS and r.days == 2
    assert r.counted == [date(2026, 4, 3), date(2026, 4, 7)]
    assert [(d, k) for d, k, _n in r.skipped] == [(date(2026, 4, 4), DayKind.HOLIDAY),
                                                 (date(2026, 4, 5), DayKind.HOLIDAY),
                                                 (date(2026, 4, 6), DayKind.HOLIDAY)]
    assert not r.is_overdue(at(2026, 4, 7, 10, 0)) and r.is_overdue(at(2026, 4, 7, 10, 1))


def test_rule_working_hours_count_on_a_makeup_working_day(cal):
    """2026 notice: Saturday 14 February is a make-up working day (调休) before Spring Festival."""
    r = cal.add_working_hours(at(2026, 2, 13, 16, 30), 2)
    assert r.due_at == at(2026, 2, 14, 10, 0)
    assert r.makeup_days == [date(2026, 2, 14)]


def test_rule_working_hours_skip_the_lunch_break_and_end_at_a_period_end(cal):
    """Portal default working hours: 09:00-12:00 and 13:30-17:30 (a setting, not a rule)."""
    assert cal.add_working_hours(at(2026, 3, 2, 11, 0), 2).due_at == at(2026, 3, 2, 14, 30)
    assert cal.add_working_hours(at(2026, 3, 2, 16, 30), 1).due_at == at(2026, 3, 2, 17, 30)
    # before opening: counting starts at 09:00; after closing: at 09:00 of the next working day
    assert cal.add_working_hours(at(2026, 3, 2, 7, 0), 1).due_at == at(2026, 3, 2, 10, 0)
    assert cal.add_working_hours(at(2026, 3, 6, 20, 0), 1).due_at == at(2026, 3, 9, 10, 0)  # Fri -> Mon


def test_rule_a_jurisdictions_own_working_hours_are_used():
    hours = WorkingHours.parse("08:30-12:00,14:30-18:00")
    assert hours.minutes_per_day == 420
    r = builtin_calendar().add_working_hours(at(2026, 3, 2, 11, 0), 2, hours)
    assert r.due_at == at(2026, 3, 2, 15, 30)


def test_working_hours_refuse_bad_periods():
    for bad in ("", "9-12", "12:00-09:00", "09:00-12:00,11:00-14:00", "25:00-26:00"):
        with pytest.raises(ValueError):
            WorkingHours.parse(bad)
    assert str(DEFAULT_WORKING_HOURS) == "09:00-12:00, 13:30-17:30"
    assert DEFAULT_WORKING_HOURS.periods[1] == (time(13, 30), time(17, 30))


def test_rule_calendar_days_ending_on_a_holiday_move_to_the_next_working_day__civil_code_203(cal):
    """Civil Code art. 201 (start day not counted) and art. 203 (a period whose last day is a
    statutory day off ends on the first day after it). 2026 notice: 1-7 October off."""
    r = cal.add_calendar_days(at(2026, 9, 28, 10, 0), 3)  # Mon + 3 -> Thu 1 Oct (holiday)
    assert r.due_date == date(2026, 10, 8) and r.unit == CALENDAR_DAYS
    assert r.due_at == datetime(2026, 10, 8, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert len(r.counted) == 3
    # an ordinary last day stays put, weekends inside the period count
    assert cal.add_calendar_days(at(2026, 3, 2, 10, 0), 7).due_date == date(2026, 3, 9)
    # 2025 notice: 31 May - 2 June Dragon Boat Festival off
    assert cal.add_calendar_days(at(2025, 5, 30, 10, 0), 1).due_date == date(2025, 6, 3)


def test_add_limit_dispatches_on_the_unit_and_pauses_add_working_minutes(cal):
    start = at(2026, 3, 2, 10, 0)
    assert cal.add_limit(start, 5, WORKING_DAYS).due_date == date(2026, 3, 9)
    assert cal.add_limit(start, 5, CALENDAR_DAYS).due_date == date(2026, 3, 9)  # Sat 7 -> Mon 9
    assert cal.add_limit(start, 2, WORKING_HOURS, extra_minutes=90).due_at == at(2026, 3, 2, 15, 0)
    with pytest.raises(ValueError):
        cal.add_limit(start, 2, "fortnights")


def test_working_minutes_between_counts_only_working_time(cal):
    # Fri 16:00 -> Tue 10:00 over Qingming: 90 min Friday + 60 min Tuesday
    assert cal.working_minutes_between(at(2026, 4, 3, 16, 0), at(2026, 4, 7, 10, 0)) == 150
    assert cal.working_minutes_between(at(2026, 3, 2, 11, 0), at(2026, 3, 2, 14, 0)) == 90  # lunch skipped
    assert cal.working_minutes_between(at(2026, 3, 2, 14, 0), at(2026, 3, 2, 11, 0)) == 0
    assert cal.elapsed(at(2026, 3, 2, 10), at(2026, 3, 5, 9), CALENDAR_DAYS) == 3
