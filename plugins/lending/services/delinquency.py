"""Days past due and delinquency buckets: the rule, in Python and in SQL.

* Days past due on business date *D* = *D* − the due date of the oldest
  unpaid installment due before *D* (0 when there is none). An installment
  is unpaid until every part, penalty included, is paid (``paid_on`` NULL).
* Buckets: ``current`` for 0 days, then the ranges of the setting
  ``lending.buckets`` (default ``1-30 31-60 61-90 91+``): contiguous, starting
  at 1, the last one open-ended (``N+``).

The same rule exists twice on purpose: :func:`days_past_due` /
:func:`bucket_for` for one loan in Python (after a repayment), and
:func:`bucket_case` / :func:`days_between` for the set-based close of
business. Tests check that both agree.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Integer, case, cast, func, literal

from plugins.lending.models import CURRENT

DEFAULT_BUCKETS = "1-30 31-60 61-90 91+"
SETTING = "lending.buckets"


class BucketError(ValueError):
    """The setting lending.buckets is malformed; the message says how to write it."""


@dataclass(frozen=True)
class Bucket:
    name: str
    low: int
    high: int | None  # None: open-ended


def parse_buckets(text: str | None = None) -> tuple[Bucket, ...]:
    """``"1-30 31-60 61-90 91+"`` -> buckets; ``current`` (0 days) is always first."""
    words = (text or DEFAULT_BUCKETS).replace(",", " ").split()
    out = [Bucket(CURRENT, 0, 0)]
    expected = 1
    for i, word in enumerate(words):
        last = i == len(words) - 1
        try:
            if word.endswith("+"):
                if not last:
                    raise BucketError
                low, high = int(word[:-1]), None
            else:
                low_s, _, high_s = word.partition("-")
                low, high = int(low_s), int(high_s)
                if last or high < low:
                    raise BucketError
        except (ValueError, BucketError):
            raise BucketError(
                f"Setting {SETTING} = {text!r} is not valid; write contiguous day ranges starting at 1 and "
                f"ending open, like '{DEFAULT_BUCKETS}'.") from None
        if low != expected:
            raise BucketError(f"Setting {SETTING}: range '{word}' should start at {expected}; the ranges must be "
                              f"contiguous, like '{DEFAULT_BUCKETS}'.")
        out.append(Bucket(word, low, high))
        expected = (high or 0) + 1
    if len(out) < 2:
        raise BucketError(f"Setting {SETTING} is empty; write ranges like '{DEFAULT_BUCKETS}'.")
    return tuple(out)


def buckets_from_settings(settings: dict) -> tuple[Bucket, ...]:
    return parse_buckets(settings.get(SETTING))


def bucket_names(buckets: tuple[Bucket, ...]) -> list[str]:
    return [b.name for b in buckets]


def bucket_for(dpd: int, buckets: tuple[Bucket, ...]) -> str:
    for bucket in buckets:
        if bucket.low <= dpd and (bucket.high is None or dpd <= bucket.high):
            return bucket.name
    return buckets[-1].name


def days_past_due(unpaid_due_dates, as_of: date) -> int:
    """``as_of`` − the oldest of ``unpaid_due_dates`` before it, else 0."""
    overdue = [d for d in unpaid_due_dates if d < as_of]
    return (as_of - min(overdue)).days if overdue else 0


# -- the same rule in SQL ------------------------------------------------------------

def days_between(dialect_name: str, later, earlier):
    """SQL for ``later - earlier`` in whole days (dates)."""
    if dialect_name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier  # PostgreSQL: date - date is an integer


def bucket_case(dpd, buckets: tuple[Bucket, ...]):
    """SQL CASE giving the bucket name of ``dpd`` (an integer expression)."""
    whens = []
    for bucket in buckets[:-1]:
        whens.append((dpd <= bucket.high, literal(bucket.name)))
    return case(*whens, else_=literal(buckets[-1].name))


__all__ = ["Bucket", "BucketError", "parse_buckets", "bucket_for", "days_past_due", "bucket_case", "days_between"]
