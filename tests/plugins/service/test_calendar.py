"""Business-time arithmetic at its edges: end of day, nights, weekends, holidays, pauses, daylight saving."""
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugins.service.calendar import (
    BusinessCalendar,
    Pause,
    deadline_with_pauses,
    elapsed_with_pauses,
    parse_hours,
    parse_weekdays,
)

MADRID = ZoneInfo("Europe/Madrid")
H = 3600
# 2026-12-08 (Tuesday) is a public holiday in Spain (Inmaculada Concepción)
CAL = BusinessCalendar(MADRID, time(9), time(18), frozenset(range(5)), frozenset({date(2026, 12, 8)}))


def local(*args) -> datetime:
    return datetime(*args, tzinfo=MADRID).astimezone(UTC)


def test_within_the_day():
    assert CAL.add(local(2026, 12, 2, 10, 0), 2 * H) == local(2026, 12, 2, 12, 0)
    assert CAL.seconds_between(local(2026, 12, 2, 10, 0), local(2026, 12, 2, 12, 30)) == 2.5 * H


def test_a_deadline_on_closing_time_stays_on_that_day():
    assert CAL.add(local(2026, 12, 2, 17, 0), H) == local(2026, 12, 2, 18, 0)


def test_end_of_day_carries_over_the_night():
    assert CAL.add(local(2026, 12, 2, 17, 30), H) == local(2026, 12, 3, 9, 30)
    assert CAL.seconds_between(local(2026, 12, 2, 17, 30), local(2026, 12, 3, 9, 30)) == H


def test_a_ticket_at_night_starts_counting_at_opening():
    assert CAL.add(local(2026, 12, 2, 22, 0), H) == local(2026, 12, 3, 10, 0)
    assert CAL.add(local(2026, 12, 3, 6, 0), H) == local(2026, 12, 3, 10, 0)


def test_friday_evening_runs_to_monday():
    friday = local(2026, 12, 4, 17, 0)  # Friday
    assert CAL.add(friday, 2 * H) == local(2026, 12, 7, 10, 0)  # Monday
    assert CAL.seconds_between(friday, local(2026, 12, 7, 10, 0)) == 2 * H
    assert CAL.seconds_between(local(2026, 12, 5, 10), local(2026, 12, 6, 20)) == 0  # the weekend


def test_a_public_holiday_is_skipped():
    monday = local(2026, 12, 7, 17, 0)
    assert CAL.add(monday, 2 * H) == local(2026, 12, 9, 10, 0)  # Tuesday 8th is a holiday
    assert not CAL.is_business_day(date(2026, 12, 8))
    assert CAL.seconds_between(local(2026, 12, 8, 9), local(2026, 12, 8, 18)) == 0


def test_two_business_days_over_a_long_weekend():
    assert CAL.add(local(2026, 12, 4, 12, 0), 18 * H) == local(2026, 12, 9, 12, 0)


def test_daylight_saving_keeps_nine_working_hours():
    # Spain moves to summer time on Sunday 2026-03-29: Friday 17:00 CET is 16:00 UTC, Monday 10:00 CEST is 08:00 UTC
    friday = local(2026, 3, 27, 17, 0)
    assert friday == datetime(2026, 3, 27, 16, 0, tzinfo=UTC)
    due = CAL.add(friday, 2 * H)
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert CAL.seconds_between(local(2026, 3, 27, 9), local(2026, 3, 31, 9)) == 2 * 9 * H
    # and back to winter time on 2026-10-25
    assert CAL.seconds_between(local(2026, 10, 23, 9), local(2026, 10, 27, 9)) == 2 * 9 * H


def test_a_pause_stops_the_clock_and_an_open_pause_has_no_deadline():
    start = local(2026, 12, 2, 10, 0)  # Wednesday, 10 business hours
    assert deadline_with_pauses(CAL, start, 10 * H, []) == local(2026, 12, 3, 11, 0)
    # waiting on the customer from 12:00 to Thursday 12:00: 8 hours were left, they run from Thursday 12:00
    pause = Pause(local(2026, 12, 2, 12, 0), local(2026, 12, 3, 12, 0))
    assert deadline_with_pauses(CAL, start, 10 * H, [pause]) == local(2026, 12, 4, 11, 0)
    assert deadline_with_pauses(CAL, start, 10 * H, [Pause(local(2026, 12, 2, 12, 0), None)]) is None
    assert elapsed_with_pauses(CAL, start, local(2026, 12, 3, 13, 0), [pause]) == 3 * H


def test_a_pause_after_the_deadline_does_not_move_it():
    start = local(2026, 12, 2, 10, 0)
    late = Pause(local(2026, 12, 3, 10, 0), local(2026, 12, 9, 10, 0))
    assert deadline_with_pauses(CAL, start, 2 * H, [late]) == local(2026, 12, 2, 12, 0)


def test_a_pause_over_a_weekend_and_a_holiday():
    start = local(2026, 12, 4, 16, 0)  # Friday, 4 business hours
    pause = Pause(local(2026, 12, 4, 17, 0), local(2026, 12, 9, 11, 0))  # until Wednesday 11:00
    assert deadline_with_pauses(CAL, start, 4 * H, [pause]) == local(2026, 12, 9, 14, 0)


def test_settings_are_parsed_with_clear_errors():
    assert parse_hours("08:30-17:00") == (time(8, 30), time(17))
    assert parse_weekdays("mon tue wed thu fri") == frozenset(range(5))
    with pytest.raises(ValueError, match="09:00-18:00"):
        parse_hours("nine to six")
    with pytest.raises(ValueError, match="open before"):
        parse_hours("18:00-09:00")
    with pytest.raises(ValueError, match="business day"):
        parse_weekdays("mon funday")


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
       st.integers(min_value=1, max_value=60 * 9 * 40))
def test_adding_then_measuring_gives_the_same_business_time(moment, minutes):
    start = moment.replace(tzinfo=UTC)
    due = CAL.add(start, minutes * 60)
    assert CAL.seconds_between(start, due) == minutes * 60
    assert CAL.is_business_day(CAL.local_day(due))
