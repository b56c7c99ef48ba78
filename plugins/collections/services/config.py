"""Collections' settings, read in one place, each with a message that says how to fix it.

* ``collections.stage_map`` — which stage each lending bucket belongs to,
  default ``1-30:early 31-60:mid 61-90:mid 91+:late``. Every bucket of
  ``lending.buckets`` but ``current`` must be mapped.
* ``collections.promise_threshold`` — a promise is kept when at least this
  fraction of the promised amount is paid, default ``0.90``.
* ``collections.promise_grace_days`` — days after the promised date a payment
  still keeps the promise, default ``2``.
* ``collections.auto_send`` — the daily job sends SMS and email action items
  itself through the message gateway, default ``true``.
* ``collections.promise_horizon_days`` — a promised date is at most this many
  days after today, default ``90``.
* ``collections.promise_factor`` — a promised amount is at most what the
  borrower owes today (everything due, penalties included) × this factor,
  default ``1.00`` (``1.5`` would let a promise also cover the next installment).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from core import context
from core.config import ConfigError, as_bool
from plugins.collections.models import STAGES
from plugins.lending.models import CURRENT
from plugins.lending.services.delinquency import bucket_names, buckets_from_settings

STAGE_MAP = "collections.stage_map"
DEFAULT_STAGE_MAP = "1-30:early 31-60:mid 61-90:mid 91+:late"
THRESHOLD = "collections.promise_threshold"
GRACE = "collections.promise_grace_days"
AUTO_SEND = "collections.auto_send"
HORIZON = "collections.promise_horizon_days"
DEFAULT_HORIZON = 90
FACTOR = "collections.promise_factor"
DEFAULT_FACTOR = Decimal("1.00")


def settings(session) -> dict:
    return context.settings(session)


def parse_stage_map(text: str | None, buckets) -> dict[str, str]:
    """``"1-30:early 31-60:mid ..."`` -> {bucket: stage}; every overdue bucket must be mapped."""
    return dict(_parse_stage_map(text, tuple(buckets)))


@lru_cache(maxsize=16)  # close of business asks once per bucket change: parse each text once
def _parse_stage_map(text: str | None, buckets: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    text = text or DEFAULT_STAGE_MAP
    found: dict[str, str] = {}
    for word in text.replace(",", " ").split():
        bucket, sep, stage = word.partition(":")
        if not sep or stage not in STAGES:
            raise ConfigError(f"Setting {STAGE_MAP}: '{word}' is not bucket:stage; write it like "
                              f"'{DEFAULT_STAGE_MAP}' (stages: {', '.join(STAGES)}).")
        found[bucket] = stage
    missing = [b for b in buckets if b != CURRENT and b not in found]
    if missing:
        raise ConfigError(f"Setting {STAGE_MAP} has no stage for the lending bucket(s) {', '.join(missing)}; "
                          f"add them, e.g. '{missing[0]}:early'.")
    return tuple(found.items())


def stage_map(session_or_settings) -> dict[str, str]:
    values = session_or_settings if isinstance(session_or_settings, dict) else settings(session_or_settings)
    return parse_stage_map(values.get(STAGE_MAP), bucket_names(buckets_from_settings(values)))


def promise_threshold(values: dict) -> Decimal:
    raw = values.get(THRESHOLD) or "0.90"
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        value = Decimal(-1)
    if not Decimal(0) < value <= Decimal(1):
        raise ConfigError(f"Setting {THRESHOLD} = {raw!r} must be a fraction above 0 and at most 1, like 0.90.")
    return value


def promise_grace_days(values: dict) -> int:
    raw = values.get(GRACE, 2)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if value < 0:
        raise ConfigError(f"Setting {GRACE} = {raw!r} must be a whole number of days, 0 or more.")
    return value


def promise_horizon_days(values: dict) -> int:
    raw = values.get(HORIZON, DEFAULT_HORIZON)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if not 0 <= value <= 3660:
        raise ConfigError(f"Setting {HORIZON} = {raw!r} must be a whole number of days from 0 to 3660, "
                          f"like {DEFAULT_HORIZON}.")
    return value


def promise_factor(values: dict) -> Decimal:
    raw = values.get(FACTOR) or DEFAULT_FACTOR
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not Decimal(0) < value <= Decimal(100):
        raise ConfigError(f"Setting {FACTOR} = {raw!r} must be a number above 0 and at most 100, like "
                          f"{DEFAULT_FACTOR} (a promise at most what is owed).")
    return value


def auto_send(values: dict) -> bool:
    return as_bool(values.get(AUTO_SEND, "true"))


def check(values: dict) -> None:
    """Read every setting once (web start-up), so a typo stops start-up, not a job at night."""
    stage_map(values)
    promise_threshold(values)
    promise_grace_days(values)
    promise_horizon_days(values)
    promise_factor(values)


def today(session):
    return context.today(session)
