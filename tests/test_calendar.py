"""China's working-day calendar: each test names the rule it encodes.

Expected dates below were worked out by hand from the State Council notices
(国务院办公厅关于2025年/2026年部分节假日安排的通知), not copied from the implementation.
"""

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from portal.workdays import (
    DATA_PATH,
    SHANGHAI,
    DayKind,
    DeadlineResult,
    UnknownYearWarningInfo,
    WorkingCalendar,
    add_working_days,
    build_data_from_chinese_calendar,
    builtin_calendar,
    is_working_day,
    notice_year,
)

D = date.fromisoformat


def days(first, last):
    d, out = D(first), []
    while d <= D(last):
        out.append(d)
        d += timedelta(days=1)
    return out


@pytest.fixture(scope="module")
def cal():
    return builtin_calendar()


# -- the shipped data agrees with the official notices ----------------------------------

def test_rule_builtin_data_covers_2024_to_2026_and_names_its_source(cal):
    for year in (2024, 2025, 2026):
        assert cal.is_known_year(year)
    assert "国务院办公厅" in cal.source and "chinesecalendar" in cal.source
    raw = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    assert raw["source"] == cal.source and {2024, 2025, 2026} <= set(raw["years"])


def test_rule_2026_makeup_working_days__state_council_2026_notice(cal):
    """2026 调休: Jan 4 (Sun), Feb 14 and 28 (Sat), May 9 (Sat), Sep 20 (Sun), Oct 10 (Sat)."""
    expected = {D(s) for s in ("2026-01-04", "2026-02-14", "2026-02-28",
                               "2026-05-09", "2026-09-20", "2026-10-10")}
    assert {d for d in cal.workdays if d.year == 2026} == expected
    for d in expected:
        assert d.weekday() >= 5 and cal.is_working_day(d)
        assert cal.day_kind(d) is DayKind.MAKEUP_WORKDAY


def test_rule_spring_festival_2026_feb_15_to_23_off(cal):
    for d in days("2026-02-15", "2026-02-23"):
        assert not cal.is_working_day(d), d
        assert cal.day_kind(d) is DayKind.HOLIDAY and cal.day_name(d) == "Spring Festival"
    assert cal.is_working_day(D("2026-02-13")) and cal.is_working_day(D("2026-02-24"))


def test_rule_new_year_2026_jan_1_to_3_off_jan_4_sunday_works(cal):
    assert [cal.is_working_day(d) for d in days("2026-01-01", "2026-01-05")] == [
        False, False, False, True, True]


def test_rule_national_day_2025_oct_1_to_8_off_sep_28_and_oct_11_work(cal):
    for d in days("2025-10-01", "2025-10-08"):
        assert not cal.is_working_day(d), d
    assert cal.day_name(D("2025-10-06")) == "Mid-autumn Festival"  # 中秋 fell inside the week
    for d in (D("2025-09-28"), D("2025-10-11")):  # a Sunday and a Saturday
        assert cal.day_kind(d) is DayKind.MAKEUP_WORKDAY


def test_rule_spring_festival_2025_jan_28_to_feb_4_off_jan_26_feb_8_work(cal):
    for d in days("2025-01-28", "2025-02-04"):
        assert not cal.is_working_day(d), d
    assert cal.is_working_day(D("2025-01-26")) and cal.is_working_day(D("2025-02-08"))


def test_rule_national_day_2026_oct_1_to_7_off_sep_20_and_oct_10_work(cal):
    for d in days("2026-10-01", "2026-10-07"):
        assert not cal.is_working_day(d), d
    assert cal.is_working_day(D("2026-09-20")) and cal.is_working_day(D("2026-10-10"))
    assert cal.is_working_day(D("2026-10-08"))


def test_rule_shipped_data_matches_chinesecalendar_for_every_shipped_year(cal):
    """The file is generated, not hand-edited: regenerate with `python -m portal.workdays`.
    (Years that a newer chinesecalendar adds are a reason to refresh, not a failure.)"""
    fresh = WorkingCalendar.from_json(build_data_from_chinese_calendar())
    assert cal.years <= fresh.years
    for name in ("holidays", "workdays"):
        mine = dict(getattr(cal, name))
        theirs = {d: n for d, n in getattr(fresh, name).items() if notice_year(d) in cal.years}
        assert mine == theirs, f"{DATA_PATH} is out of date; run python -m portal.workdays"


def test_rule_module_functions_use_the_builtin_calendar():
    assert builtin_calendar() is builtin_calendar()
    assert is_working_day(D("2026-02-14")) is True
    assert is_working_day(datetime(2026, 2, 16, 10, 0)) is False
    assert add_working_days(D("2026-02-13"), 3).due_date == D("2026-02-25")


# -- counting time limits ---------------------------------------------------------------

def test_rule_start_day_not_counted_and_makeup_saturday_counts__spring_festival_2026(cal):
    """Civil Code art. 201 + 2026 notice: from Fri Feb 13, Sat Feb 14 (调休) is day 1,
    Feb 15-23 are off, Tue Feb 24 is day 2, Wed Feb 25 day 3."""
    r = cal.add_working_days(D("2026-02-13"), 3)
    assert isinstance(r, DeadlineResult)
    assert r.counted == [D("2026-02-14"), D("2026-02-24"), D("2026-02-25")]
    assert r.due_date == D("2026-02-25")
    assert r.makeup_days == [D("2026-02-14")]
    assert [s[0] for s in r.skipped] == days("2026-02-15", "2026-02-23")
    assert {(k, n) for _, k, n in r.skipped} == {(DayKind.HOLIDAY, "Spring Festival")}
    assert not r.flagged and r.unknown_years == [] and r.warning is None


def test_rule_national_day_2025_week_skipped_and_makeup_saturday_counts(cal):
    """From Tue Sep 30 2025: Oct 1-8 off; Thu Oct 9, Fri Oct 10, Sat Oct 11 (调休) -> day 3."""
    r3 = cal.add_working_days(D("2025-09-30"), 3)
    assert r3.due_date == D("2025-10-11")
    assert r3.counted == [D("2025-10-09"), D("2025-10-10"), D("2025-10-11")]
    assert r3.makeup_days == [D("2025-10-11")]
    # five days: Sun Oct 12 is an ordinary weekend, then Mon 13 and Tue 14
    r5 = cal.add_working_days(D("2025-09-30"), 5)
    assert r5.due_date == D("2025-10-14")
    assert r5.skipped[-1] == (D("2025-10-12"), DayKind.WEEKEND, None)
    assert len(r5.skipped) == 9


def test_rule_ten_working_days_across_mid_autumn_and_national_day_2026(cal):
    """From Fri 2026-09-25 (中秋, start not counted): Sep 26-27 off, Sep 28-30 = 1-3,
    Oct 1-7 off, Oct 8 = 4, Oct 9 = 5, Sat Oct 10 (调休) = 6, Sun Oct 11 off,
    Oct 12-15 = 7-10."""
    r = cal.add_working_days(D("2026-09-25"), 10)
    assert r.due_date == D("2026-10-15")
    assert r.makeup_days == [D("2026-10-10")]
    assert [s[0] for s in r.skipped] == [D("2026-09-26"), D("2026-09-27"),
                                         *days("2026-10-01", "2026-10-07"), D("2026-10-11")]
    assert cal.working_days_between(D("2026-09-25"), D("2026-10-15")) == 10


def test_rule_start_on_a_holiday_is_still_not_counted(cal):
    """Submitted on Mon 2026-02-16 (Spring Festival): Feb 17-23 off, Feb 24/25/26 = 1/2/3."""
    assert cal.add_working_days(D("2026-02-16"), 3).due_date == D("2026-02-26")
    # New Year 2026: from Jan 1, Jan 2-3 are off and Sunday Jan 4 (调休) is day 1.
    r = cal.add_working_days(D("2026-01-01"), 1)
    assert r.due_date == D("2026-01-04") and r.makeup_days == [D("2026-01-04")]


def test_rule_start_is_the_shanghai_day_of_an_aware_datetime(cal):
    """17:30 UTC on Feb 13 is 01:30 on Sat Feb 14 in Shanghai: the start day is Feb 14,
    so Feb 14 is not counted and 3 days run to Thu Feb 26 (not Feb 25)."""
    r = cal.add_working_days(datetime(2026, 2, 13, 17, 30, tzinfo=timezone.utc), 3)
    assert r.start == D("2026-02-14")
    assert r.due_date == D("2026-02-26") and r.makeup_days == []


def test_rule_naive_datetime_is_shanghai_local_time(cal):
    r = cal.add_working_days(datetime(2026, 2, 13, 23, 30), 3)
    assert r.start == D("2026-02-13") and r.due_date == D("2026-02-25")


def test_rule_period_ends_at_24_00_shanghai_of_the_last_day__civil_code_203(cal):
    r = cal.add_working_days(D("2025-09-30"), 3)
    assert r.due_at.tzinfo is SHANGHAI
    assert r.due_at == datetime(2025, 10, 11, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert r.due_at + timedelta(microseconds=1) == datetime(2025, 10, 12, tzinfo=SHANGHAI)
    assert not r.is_overdue(datetime(2025, 10, 11, 23, 59, 59, tzinfo=SHANGHAI))
    assert r.is_overdue(datetime(2025, 10, 11, 16, 0, 0, tzinfo=timezone.utc))  # 00:00 Oct 12 CST
    assert not r.is_overdue(datetime(2025, 10, 11, 22, 0))  # naive = Shanghai


def test_rule_zero_days_means_on_the_spot_due_end_of_start_day(cal):
    r = cal.add_working_days(D("2026-02-16"), 0)  # even on a holiday
    assert r.due_date == D("2026-02-16") and r.counted == [] and r.skipped == []
    assert r.due_at == datetime(2026, 2, 16, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert not r.flagged


def test_rule_negative_or_non_integer_days_are_rejected(cal):
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_days(D("2026-03-02"), -1)
    with pytest.raises(TypeError):
        cal.add_working_days(D("2026-03-02"), True)
    with pytest.raises(TypeError):
        cal.add_working_days(D("2026-03-02"), 1.5)
    with pytest.raises(TypeError):
        cal.add_working_days("2026-03-02", 1)


def test_rule_due_date_is_always_a_working_day_and_counts_agree(cal):
    """Art. 203's holiday extension is built in: the last counted day is a working day, and
    working_days_between is the inverse of add_working_days (checked against a plain loop)."""
    for start in days("2024-12-20", "2026-12-20"):
        for n in (1, 2, 3, 5, 7, 15):
            r = cal.add_working_days(start, n)
            assert cal.is_working_day(r.due_date)
            assert cal.working_days_between(start, r.due_date) == n
            assert len(r.counted) + len(r.skipped) == (r.due_date - start).days
    for start in (D("2024-12-20"), D("2025-09-27"), D("2026-02-10")):
        for end in days(str(start), str(start + timedelta(days=40))):
            naive = sum(cal.is_working_day(d) for d in days(str(start + timedelta(days=1)), str(end)))
            assert cal.working_days_between(start, end) == naive


def test_rule_working_days_between_counts_after_start_up_to_and_including_end(cal):
    assert cal.working_days_between(D("2025-09-30"), D("2025-10-11")) == 3
    assert cal.working_days_between(D("2026-02-13"), D("2026-02-25")) == 3
    assert cal.working_days_between(D("2026-02-13"), D("2026-02-13")) == 0
    assert cal.working_days_between(D("2026-02-25"), D("2026-02-13")) == -3  # bad data stays visible
    # datetimes are taken as Shanghai days: 2026-02-13 17:30 UTC is Feb 14 in Shanghai
    assert cal.working_days_between(datetime(2026, 2, 13, 17, 30, tzinfo=timezone.utc),
                                    D("2026-02-25")) == 2


# -- years without data: weekends only, flagged, never raising --------------------------

def test_rule_unknown_year_counts_weekends_only_and_is_flagged(cal):
    """No notice for 2031: Thu 2031-05-01 + 3 -> Fri May 2, (Sat 3, Sun 4 skipped), Mon May 5,
    Tue May 6. May Day is NOT guessed; the result says the 2031 data is missing."""
    assert not cal.is_known_year(2031)
    r = cal.add_working_days(D("2031-05-01"), 3)
    assert r.due_date == D("2031-05-06")
    assert [(d, k) for d, k, _ in r.skipped] == [(D("2031-05-03"), DayKind.WEEKEND),
                                                (D("2031-05-04"), DayKind.WEEKEND)]
    assert r.unknown_years == [2031] and r.flagged
    assert isinstance(r.warning, UnknownYearWarningInfo)
    assert r.warning.years == (2031,) and r.warning.days == tuple(days("2031-05-02", "2031-05-06"))
    assert r.warning.latest_known_year == max(cal.years)
    assert cal.is_working_day(D("2031-10-01")) and cal.day_kind(D("2031-10-01")) is DayKind.WORKDAY
    assert r.as_dict()["flagged"] is True and r.as_dict()["unknown_years"] == [2031]


def test_rule_next_years_notice_governs_the_last_week_of_december(cal):
    """New Year bridges reach back into December (2019 notice: 2018-12-29 worked, 12-30/31 off),
    so late December 2026 waits for the 2027 notice: flagged with 2027."""
    assert cal.day_kind(D("2018-12-29")) is DayKind.MAKEUP_WORKDAY
    assert not cal.is_working_day(D("2018-12-31"))
    assert notice_year(D("2026-12-31")) == 2027 and notice_year(D("2026-12-24")) == 2026
    r = cal.add_working_days(D("2026-12-30"), 3)  # Thu Dec 31, Fri Jan 1 (unknown!), Mon Jan 4
    assert r.due_date == D("2027-01-04") and r.unknown_years == [2027]
    assert r.warning.days[0] == D("2026-12-31")
    assert not cal.add_working_days(D("2026-12-01"), 5).flagged  # Dec 2-8: 2026 notice, known


def test_rule_known_new_year_bridge_is_not_flagged__new_year_2026(cal):
    """Mon 2025-12-29 + 5: Dec 30, Dec 31, (Jan 1-3 off), Sun Jan 4 (调休), Jan 5, Jan 6."""
    r = cal.add_working_days(D("2025-12-29"), 5)
    assert r.due_date == D("2026-01-06") and r.makeup_days == [D("2026-01-04")]
    assert not r.flagged


# -- overrides -------------------------------------------------------------------------

def test_rule_jurisdiction_override_closes_a_weekday(cal):
    """A jurisdiction closes on Mon 2026-03-02: from Fri Feb 27, Sat Feb 28 (调休) = 1,
    Mar 2 skipped as OVERRIDE_OFF, Tue Mar 3 = 2."""
    local = cal.with_overrides({D("2026-03-02"): False}, {D("2026-03-02"): "Local closure"})
    assert cal.is_working_day(D("2026-03-02")) and not local.is_working_day(D("2026-03-02"))
    r = local.add_working_days(D("2026-02-27"), 2)
    assert r.due_date == D("2026-03-03")
    assert (D("2026-03-02"), DayKind.OVERRIDE_OFF, "Local closure") in r.skipped
    assert cal.add_working_days(D("2026-02-27"), 2).due_date == D("2026-03-02")  # original unchanged


def test_rule_admin_override_makes_a_saturday_a_working_day_and_beats_national_data(cal):
    sat = D("2026-03-07")
    local = cal.with_overrides({sat: True, D("2026-02-14"): False})
    assert local.day_kind(sat) is DayKind.OVERRIDE_WORKDAY and local.day_name(sat) is None
    assert local.day_kind(D("2026-02-14")) is DayKind.OVERRIDE_OFF  # national 调休 overridden
    assert local.add_working_days(D("2026-03-06"), 1).due_date == sat
    assert local.working_days_between(D("2026-03-06"), D("2026-03-09")) == 2  # Sat 7 + Mon 9
    # layering again: a later override of the same day wins, and its old name goes
    relaxed = local.with_overrides({sat: False})
    assert relaxed.day_kind(sat) is DayKind.OVERRIDE_OFF


def test_rule_overridden_day_in_unknown_year_is_not_a_guess(cal):
    local = cal.with_overrides({D("2031-05-02"): False}, {D("2031-05-02"): "Labour Day (local notice)"})
    r = local.add_working_days(D("2031-05-01"), 1)
    assert r.due_date == D("2031-05-05")
    assert D("2031-05-02") not in r.warning.days and r.unknown_years == [2031]


def test_rule_calendar_is_immutable(cal):
    with pytest.raises(TypeError):
        cal.holidays[D("2026-03-02")] = "x"
    with pytest.raises(AttributeError):
        cal.source = "x"


# -- importing a year and JSON ---------------------------------------------------------

def test_rule_imported_year_removes_the_flag_and_replaces_that_years_data(cal):
    """Hypothetical 2031 notice (test data, not official): May 1-5 off, Sun Apr 27 worked."""
    may = {d: "Labour Day" for d in days("2031-05-01", "2031-05-05")}
    new = cal.with_year_data(may, {D("2031-04-27"): "Labour Day"}, [2031], "test 2031 notice")
    assert new.is_known_year(2031) and not cal.is_known_year(2031)
    r = new.add_working_days(D("2031-04-30"), 1)
    assert r.due_date == D("2031-05-06") and not r.flagged
    assert "test 2031 notice" in new.source and cal.source in new.source
    corrected = new.with_year_data({D("2031-05-01"): "Labour Day"}, {}, [2031], "corrected")
    assert corrected.is_working_day(D("2031-05-02")) and D("2031-04-27") not in corrected.workdays
    with pytest.raises(ValueError, match="2032 notice"):
        cal.with_year_data({D("2032-01-01"): "New Year's Day"}, {}, [2031], "x")
    assert new.merged_with(WorkingCalendar(years=[2032], source="y")).is_known_year(2032)


def test_rule_json_round_trip_keeps_everything(cal, tmp_path):
    local = cal.with_overrides({D("2026-03-02"): False, D("2026-03-07"): True},
                               {D("2026-03-02"): "Local closure"})
    data = local.to_json()
    again = WorkingCalendar.from_json(json.loads(json.dumps(data, ensure_ascii=False)))
    assert again.to_json() == data
    assert again.override_names == {D("2026-03-02"): "Local closure"}
    path = tmp_path / "cal.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert WorkingCalendar.from_json(path).to_json() == data
    assert WorkingCalendar.from_json(str(path)).to_json() == data
    raw = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    raw.pop("generator")
    assert cal.to_json() == raw


def _data(**changes):
    base = {"source": "test", "years": [2026], "holidays": {"2026-10-01": "National Day"},
            "workdays": {"2026-10-10": "National Day"}}
    base.update(changes)
    return base


@pytest.mark.parametrize("changes, message", [
    ({"holidays": {"2026-13-01": "x"}}, "not a real date"),
    ({"holidays": {"20261001": "x"}}, "YYYY-MM-DD"),
    ({"workdays": {"2026-10-10 ": "x"}}, "YYYY-MM-DD"),
    ({"holidays": {"2026-10-10": "National Day"}}, "both as a holiday and as a make-up"),
    ({"workdays": {"2026-10-09": "National Day"}}, "Friday; only a Saturday or Sunday"),
    ({"holidays": {"2027-10-01": "National Day"}}, "2027 notice, which is not among the listed years"),
    ({"holidays": {"2026-10-01": ""}}, "non-empty name"),
    ({"years": [2026.0]}, "not a year"),
    ({"years": "2026"}, "list of years"),
    ({"source": ""}, "source"),
    ({"holidays": ["2026-10-01"]}, "must be an object"),
    ({"holidday": {}}, "unknown key"),
    ({"overrides": {"2026-03-02": {"working": "no"}}}, "true .* or false"),
    ({"overrides": {"2026-03-02": False}}, "overrides: 2026-03-02 must be"),
])
def test_rule_from_json_rejects_bad_data_with_a_clear_message(changes, message):
    with pytest.raises(ValueError, match=message):
        WorkingCalendar.from_json(_data(**changes))


def test_rule_from_json_missing_key_and_bad_file(tmp_path):
    data = _data()
    del data["workdays"]
    with pytest.raises(ValueError, match="missing 'workdays'"):
        WorkingCalendar.from_json(data)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        WorkingCalendar.from_json(bad)


def test_rule_listed_year_without_entries_is_valid():
    """A year can be known with nothing special in it: then it is plain weekends, unflagged."""
    c = WorkingCalendar.from_json(_data(years=[2026, 2030]))
    assert c.is_known_year(2030)
    r = c.add_working_days(D("2030-05-02"), 2)  # Thu -> Fri May 3, Mon May 6
    assert r.due_date == D("2030-05-06") and not r.flagged


def test_rule_constructor_rejects_datetimes_as_days():
    with pytest.raises(ValueError, match="not a datetime.date"):
        WorkingCalendar({datetime(2026, 10, 1): "National Day"}, {}, [2026])
    with pytest.raises(ValueError, match="name but no override"):
        WorkingCalendar(overrides={}, override_names={D("2026-03-02"): "x"})
