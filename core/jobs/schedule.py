"""Schedules: crontab lines and "every N units", their slots, and the timezone they are read in."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from core.errors import UserError
from core.i18n import _, translate

UTC = UTC


class ScheduleError(UserError):
    """A schedule string that cannot be read; the message says what is wrong."""

    def __init__(self, message: str):
        super().__init__(message, "schedule")


SCHEDULE_HELP = _("Use a crontab 'minute hour day-of-month month day-of-week' such as '30 2 * * *', "
                  "or 'every N seconds|minutes|hours' such as 'every 15 minutes'.")
#: The crontab fields' names, translated into the message that names one.
FIELD_WORDS = (_("minute"), _("hour"), _("day of month"), _("month"), _("day of week"))


def _help() -> str:
    return translate(SCHEDULE_HELP)
_EVERY = re.compile(r"^every\s+(\d+)\s+(second|minute|hour)s?$", re.IGNORECASE)
_UNITS = {"second": 1, "minute": 60, "hour": 3600}
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
# name, lowest, highest, names allowed
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}),
           ("month", 1, 12, _MONTHS), ("day of week", 0, 7, _DAYS))


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: an interval in seconds, or the sets of a crontab."""

    text: str
    every: int = 0
    minutes: tuple = ()
    hours: tuple = ()
    days: frozenset = frozenset()
    months: frozenset = frozenset()
    weekdays: frozenset = frozenset()  # 0 = Sunday
    any_day: bool = True
    any_weekday: bool = True

    def next_after(self, after: datetime, tz=UTC) -> datetime:
        """The first time this schedule fires strictly after ``after`` (UTC-aware result)."""
        if self.every:
            # Epoch-aligned boundaries: every process computes the same slots.
            start = int(after.timestamp()) // self.every * self.every + self.every
            return datetime.fromtimestamp(start, UTC)
        return self._next_cron(after.astimezone(UTC), tz)

    def _day_matches(self, day: date) -> bool:
        dom = day.day in self.days
        dow = (day.weekday() + 1) % 7 in self.weekdays
        if not self.any_day and not self.any_weekday:
            return dom or dow  # cron: both restricted means either
        return dom and dow

    def _next_cron(self, after: datetime, tz) -> datetime:
        # Walk wall-clock days in the company's time zone; minutes are checked in order.
        start = after.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0) + timedelta(minutes=1)
        day = start.date()
        for _day in range(366 * 8):  # 8 years covers 29 February on a given weekday
            if day.month in self.months and self._day_matches(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        wall = datetime(day.year, day.month, day.day, hour, minute)
                        if wall < start:
                            continue
                        fire = wall.replace(tzinfo=tz).astimezone(UTC)
                        if fire > after:
                            return fire
            day += timedelta(days=1)
        raise ScheduleError(_("'${schedule}' never fires (no such date).", mapping={"schedule": self.text}))

    def describe(self) -> str:
        return self.text


def parse_schedule(text: str) -> Schedule:
    """Read a crontab or "every N units" schedule; raise ScheduleError saying what is wrong."""
    raw = " ".join(str(text or "").split())
    if not raw:
        raise ScheduleError(_("The schedule is empty. ${help}", mapping={"help": _help()}))
    if raw.lower().startswith("every"):
        match = _EVERY.match(raw)
        if not match:
            raise ScheduleError(_("'${schedule}' is not 'every N seconds|minutes|hours'. ${help}",
                                  mapping={"schedule": raw, "help": _help()}))
        seconds = int(match.group(1)) * _UNITS[match.group(2).lower()]
        if seconds < 1:
            raise ScheduleError(_("An interval must be at least 1 second."))
        return Schedule(text=raw, every=seconds)
    parts = raw.split(" ")
    if len(parts) != 5:
        raise ScheduleError(_("'${schedule}' has ${count} fields, a crontab has 5. ${help}",
                              mapping={"schedule": raw, "count": len(parts), "help": _help()}))
    values = [_parse_field(part, *spec) for part, spec in zip(parts, _FIELDS)]
    weekdays = frozenset(d % 7 for d in values[4])  # 7 is Sunday too
    schedule = Schedule(text=raw, minutes=tuple(sorted(values[0])), hours=tuple(sorted(values[1])),
                        days=frozenset(values[2]), months=frozenset(values[3]), weekdays=weekdays,
                        any_day=parts[2] == "*", any_weekday=parts[4] == "*")
    schedule.next_after(datetime(2000, 1, 1, tzinfo=UTC))  # refuses "0 0 30 2 *"
    return schedule


def _parse_field(text: str, name: str, low: int, high: int, names: dict) -> set[int]:
    values_ = {"field": translate(_(name)), "text": text, "low": low, "high": high, "help": _help()}

    def number(token: str) -> int:
        token = token.lower()
        if token in names:
            return names[token]
        if not token.isdigit():
            raise ScheduleError(_("The ${field} field '${text}' has '${token}', not a number (allowed ${low}-${high}). "
                                  "${help}", mapping={**values_, "token": token}))
        return int(token)

    values: set[int] = set()
    for part in text.split(","):
        step = 1
        stepped = "/" in part
        if stepped:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) < 1:
                raise ScheduleError(_("The ${field} field '${text}' has a step that is not a positive number "
                                      "(allowed ${low}-${high}). ${help}", mapping=values_))
            step = int(step_text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = number(first), number(last)
        else:
            start = number(part)
            end = high if stepped else start  # "5/15": from 5, every 15
        if not low <= start <= end <= high:
            raise ScheduleError(_("The ${field} field '${text}' is out of range (allowed ${low}-${high}). ${help}",
                                  mapping=values_))
        values.update(range(start, end + 1, step))
    return values


def slot_of(fire: datetime) -> str:
    """The slot of a scheduled run: its time in ISO UTC, whole seconds."""
    return fire.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def manual_slot() -> str:
    """A slot of its own for a run started by hand (fits the 40-character column)."""
    return "manual:" + uuid.uuid4().hex


def job_timezone(settings: dict):
    from zoneinfo import ZoneInfo

    return ZoneInfo(settings.get("mutuo.timezone") or "UTC")
