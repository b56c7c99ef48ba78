"""Replaying history (the demo): the time every record and audit entry is stamped with.

Inside ``with replay(day):`` :func:`utcnow` is 09:00 of ``day`` in the given zone plus the real time
elapsed since the block began, so records written on one replayed day keep their order and stamps never
go back as the days move on. The replay is per thread (a context variable): a web request served
meanwhile keeps the real time. This module imports nothing of Mutuo's, so that ``core.models.meta`` can
read it (``core.clock``, the business clock service, re-exports it).
"""
from __future__ import annotations

import time as _time
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: (start of the replayed day in UTC, monotonic seconds when the block began), or None: the real time
_REPLAY: ContextVar[tuple[datetime, float] | None] = ContextVar("mutuo_replay", default=None)
REPLAY_HOUR = time(9)


@contextmanager
def replay(day: date, zone: str = "UTC"):
    """``with replay(day):`` — :func:`utcnow` is 09:00 of ``day`` (in ``zone``) plus the time spent inside."""
    start = datetime.combine(day, REPLAY_HOUR, ZoneInfo(zone)).astimezone(UTC)
    token = _REPLAY.set((start, _time.monotonic()))
    try:
        yield
    finally:
        _REPLAY.reset(token)


def utcnow() -> datetime:
    """Now in UTC: the real time, or the replayed one inside :func:`replay`."""
    replayed = _REPLAY.get()
    if replayed is None:
        return datetime.now(UTC)
    start, began = replayed
    return start + timedelta(seconds=_time.monotonic() - began)
