"""Attribution models: how one conversion's credit is shared between its touchpoints.

Pure functions over plain values (no session), so the same code serves the
event handlers, the reports and ``bench/attribution.py``.

The rules (issue 19):

* first touch, last touch, last non-direct (the last touch whose channel is
  not "direct"; all direct: the last touch), linear, position-based 40/20/40
  (two touches: 50/50), time decay (a touch ``h`` days older weighs half as
  much, ``h`` = ``marketing.half_life_days``, default 7);
* only touches inside the lookback window count (``marketing.lookback_days``,
  default 30, up to and including the conversion's moment);
* shares are counted in **millionths** and money in **cents**, as integers:
  each share is rounded down and what is left goes to the largest share
  (ties: the earliest touch), so a conversion's shares sum to exactly 1 and
  its money credits to exactly its value; one touch takes everything.

Time decay's curve ``2 ** (-age / half_life)`` is computed in binary floating
point and turned into integer weights (relative precision 1e-12) before any
sharing; money is never a float.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from plugins.marketing.models import MODELS

MILLION = 1_000_000
CENTS = Decimal("0.01")
SHARE_UNIT = Decimal("0.000001")
_DECAY_SCALE = 10 ** 12


def weights(model: str, times: Sequence[datetime], direct: Sequence[bool], at: datetime,
            half_life_days: float = 7) -> list[int]:
    """Integer weights of touches sorted oldest first (``times``), for ``model``."""
    n = len(times)
    if n == 0:
        return []
    if model == "first_touch":
        return [1] + [0] * (n - 1)
    if model == "last_touch":
        return [0] * (n - 1) + [1]
    if model == "last_non_direct":
        chosen = next((i for i in range(n - 1, -1, -1) if not direct[i]), n - 1)
        return [1 if i == chosen else 0 for i in range(n)]
    if model == "linear":
        return [1] * n
    if model == "position_based":
        if n <= 2:
            return [1] * n
        ends = 2 * (n - 2)  # 0.4 : 0.2 / (n - 2)  ==  2 (n - 2) : 1
        return [ends] + [1] * (n - 2) + [ends]
    if model == "time_decay":
        if half_life_days <= 0:
            raise ValueError("the half-life must be positive")
        half_life = half_life_days * 86400.0
        return [max(1, int(_DECAY_SCALE * math.pow(2.0, -max(0.0, (at - t).total_seconds()) / half_life)))
                for t in times]
    raise ValueError(f"unknown attribution model {model!r}; one of {', '.join(MODELS)}")


def _largest(parts: Sequence[int]) -> int:
    best = 0
    for i, part in enumerate(parts):
        if part > parts[best]:
            best = i
    return best


def share_units(weights_: Sequence[int]) -> list[int]:
    """Millionths of 1 in proportion to ``weights_``, summing to exactly 1,000,000."""
    total = sum(weights_)
    if total <= 0:
        raise ValueError("weights must sum to more than zero")
    parts = [w * MILLION // total for w in weights_]
    parts[_largest(parts)] += MILLION - sum(parts)
    return parts


def money_cents(value_cents: int, shares: Sequence[int]) -> list[int]:
    """``value_cents`` shared by millionths, summing to exactly ``value_cents`` (remainder to the largest share)."""
    sign = -1 if value_cents < 0 else 1
    value_cents = abs(value_cents)
    parts = [value_cents * s // MILLION for s in shares]
    parts[_largest(shares)] += value_cents - sum(parts)
    return [sign * p for p in parts]


def in_window(times: Sequence[datetime], at: datetime, lookback_days: int) -> list[int]:
    """Indexes of the touches inside the lookback window ending at ``at`` (both ends included)."""
    start = at - timedelta(days=lookback_days)
    return [i for i, t in enumerate(times) if start <= t <= at]


def attribute(model: str, times: Sequence[datetime], direct: Sequence[bool], at: datetime, value: Decimal,
              half_life_days: float = 7) -> list[tuple[Decimal, Decimal]]:
    """``(share, money)`` per touch (oldest first) for one conversion worth ``value`` at ``at``."""
    if not times:
        return []
    shares = share_units(weights(model, times, direct, at, half_life_days))
    cents = money_cents(int((value / CENTS).to_integral_value()), shares)
    return [(Decimal(s) * SHARE_UNIT, Decimal(c) * CENTS) for s, c in zip(shares, cents, strict=True)]
