"""Business time: the clock that service levels (SLAs) run on.

A :class:`BusinessCalendar` knows the company's working hours (the same wall-clock
hours every working day, e.g. 09:00–18:00), its working weekdays and its public
holidays (rows of ``service_holiday``: data, not code), all in the company's time
zone (``mutuo.timezone``). Instants are UTC-aware datetimes, as everywhere in Mutuo.

Decisions, and why:

* Each working day's window is built from the *local* date and wall-clock hours and
  then converted to UTC, so a day on which daylight saving time changes still has
  its nine working hours (the change happens at night) and an instant is never
  counted twice nor skipped.
* A deadline that lands exactly on closing time stays on that day (a ticket at
  17:00 with one hour is due 18:00 the same day, not at 09:00 the next morning).
* Pauses (a ticket waiting on the customer) stop the clock: :func:`deadline_with_pauses`
  takes the business time still left when a pause starts and adds it again from
  the moment the pause ends; an open pause has no deadline.
* Everything is plain arithmetic over a handful of days; a span of months walks
  its days (a few hundred windows), which is cheap and easy to check.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: The longest walk: a target or a span beyond ten years of business time is a mistake, not a loop.
MAX_DAYS = 3660


@dataclass(frozen=True)
class BusinessCalendar:
    zone: ZoneInfo
    opens: time = time(9)
    closes: time = time(18)
    weekdays: frozenset[int] = frozenset(range(5))  # 0 = Monday
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self):
        if self.opens >= self.closes:
            raise ValueError("business hours must open before they close on the same day")
        if not self.weekdays:
            raise ValueError("a business calendar needs at least one working weekday")

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The working hours of local ``day`` as UTC instants."""
        return (datetime.combine(day, self.opens, self.zone).astimezone(UTC),
                datetime.combine(day, self.closes, self.zone).astimezone(UTC))

    def local_day(self, moment: datetime) -> date:
        return _aware(moment).astimezone(self.zone).date()

    def _windows_from(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        for n in range(MAX_DAYS):
            current = day + timedelta(days=n)
            if self.is_business_day(current):
                yield self.window(current)
        raise ValueError("business time beyond ten years: check the calendar and the target")

    def seconds_between(self, start: datetime, end: datetime) -> int:
        """Business seconds in ``[start, end)``; 0 when ``end`` is not after ``start``."""
        start, end = _aware(start), _aware(end)
        if end <= start:
            return 0
        total = 0
        for opens, closes in self._windows_from(self.local_day(start)):
            if opens >= end:
                break
            total += max(0, int((min(closes, end) - max(opens, start)).total_seconds()))
        return total

    def add(self, start: datetime, seconds: int) -> datetime:
        """The instant ``seconds`` of business time after ``start`` (``start`` itself for 0)."""
        start = _aware(start)
        if seconds <= 0:
            return start
        left = seconds
        for opens, closes in self._windows_from(self.local_day(start)):
            begin = max(opens, start)
            available = int((closes - begin).total_seconds())
            if available <= 0:
                continue
            if left <= available:
                return begin + timedelta(seconds=left)
            left -= available
        raise AssertionError("unreachable: _windows_from raises first")  # pragma: no cover


@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None  # None: still paused


def deadline_with_pauses(calendar: BusinessCalendar, start: datetime, seconds: int,
                         pauses: Iterable[Pause]) -> datetime | None:
    """When ``seconds`` of business time have run from ``start``, not counting the pauses.

    ``None`` while a pause that began before the deadline is still open (the clock is stopped).
    Pauses must not overlap; they are taken in order of their start.
    """
    due = calendar.add(start, seconds)
    for pause in sorted(pauses, key=lambda p: _aware(p.start)):
        pause_start = max(_aware(pause.start), _aware(start))
        if pause_start >= due:
            break
        left = calendar.seconds_between(pause_start, due)
        if pause.end is None:
            return None
        due = calendar.add(max(_aware(pause.end), pause_start), left)
    return due


def elapsed_with_pauses(calendar: BusinessCalendar, start: datetime, end: datetime, pauses: Iterable[Pause]) -> int:
    """Business seconds from ``start`` to ``end`` with the clock stopped during the pauses."""
    total = calendar.seconds_between(start, end)
    for pause in pauses:
        pause_end = end if pause.end is None else min(_aware(pause.end), _aware(end))
        total -= calendar.seconds_between(max(_aware(pause.start), _aware(start)), pause_end)
    return max(0, total)


def parse_hours(text: str) -> tuple[time, time]:
    """``"09:00-18:00"`` -> (09:00, 18:00); ValueError names the expected form."""
    try:
        first, second = (part.strip() for part in (text or "").split("-"))
        opens, closes = time.fromisoformat(first), time.fromisoformat(second)
    except ValueError:
        raise ValueError(f"business hours {text!r}: write them as 09:00-18:00") from None
    if opens >= closes:
        raise ValueError(f"business hours {text!r}: the day must open before it closes")
    return opens, closes


def parse_weekdays(text: str) -> frozenset[int]:
    """``"mon tue wed thu fri"`` -> {0, 1, 2, 3, 4}."""
    days = set()
    for word in (text or "").replace(",", " ").split():
        if word.lower()[:3] not in WEEKDAYS:
            raise ValueError(f"business day {word!r}: use {' '.join(WEEKDAYS)}")
        days.add(WEEKDAYS.index(word.lower()[:3]))
    if not days:
        raise ValueError("service.business_days names no day: use e.g. mon tue wed thu fri")
    return frozenset(days)


def _aware(moment: datetime) -> datetime:
    """Naive datetimes (SQLite hands them back) are UTC, as Mutuo stores them."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
