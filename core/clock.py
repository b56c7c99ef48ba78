"""The business clock as a service (:class:`core.services.IClock`).

``mutuo.clock.backend = system`` (default) reads the machine's clock;
``frozen`` is a :class:`FrozenClock`, for tests and demos: ``clock.day`` is
today's date wherever the services look (None: the real date).
:func:`core.context.today` asks this service, after ``as_of``.

Replays of history (the demo) also move the *timestamps* every record and
audit entry gets (:func:`core.models.meta.utcnow`): inside
``with replay(day):`` the time is 09:00 of ``day`` in the company's zone plus
the real time elapsed since the block began, so records written on one
replayed day keep their order and stamps never go back as the days move on.
The replay is per thread (a context variable): a web request served meanwhile
keeps the real time.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from zope.interface import implementer

from core.interfaces import IClock
from core.replay import REPLAY_HOUR, replay, utcnow  # noqa: F401  (kept apart: core.models.meta reads it)
from core.services import choose_backend

SETTING_BACKEND = "mutuo.clock.backend"


@implementer(IClock)
class SystemClock:
    def today(self, zone: str = "UTC") -> date:
        return datetime.now(ZoneInfo(zone)).date()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self):
        return "SystemClock()"


@implementer(IClock)
class FrozenClock(SystemClock):
    """Today is ``day`` in every zone (None: the real date); ``now()`` is noon UTC of that day."""

    def __init__(self, day: date | None = None):
        self.day = day

    def today(self, zone: str = "UTC") -> date:
        return self.day or super().today(zone)

    def now(self) -> datetime:
        if self.day is None:
            return super().now()
        return datetime.combine(self.day, time(12), UTC)

    @contextmanager
    def at(self, day: date):
        """``with clock.at(day):`` — today is ``day`` inside the block, restored after."""
        before, self.day = self.day, day
        try:
            yield
        finally:
            self.day = before

    def __repr__(self):
        return f"FrozenClock({self.day!r})"


BACKENDS = {"system": lambda settings: SystemClock(), "frozen": lambda settings: FrozenClock()}


def clock_from_settings(settings):
    return choose_backend(settings, SETTING_BACKEND, BACKENDS, "system")(settings)


def includeme(config):
    config.register_service(clock_from_settings(config.get_settings()), IClock)
