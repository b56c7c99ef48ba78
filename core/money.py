"""Money arithmetic: the one rounding rule and the one pro-rata split.

Money is ``Decimal`` with two places; rates are Decimal fractions. Never float.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ROUNDING = ROUND_HALF_EVEN  # banker's rounding: no drift over many roundings
#: The largest amount a ``Numeric(18, 2)`` money column holds; business limits are settings below it.
MAX_MONEY = Decimal("9999999999999999.99")


def money(value, rounding: str = ROUNDING) -> Decimal:
    """Round to cents (half-even unless told otherwise). Refuses floats."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a Decimal or a string")
    return Decimal(value).quantize(CENT, rounding=rounding)


def parse_money(text: str, locale: str = "en") -> Decimal:
    """A user's amount ("1,234.50") as Decimal; ValueError with a clear message.

    The rules (locale-aware, ASCII digits, no exponent, two places, Numeric(18, 2))
    live in core.web.parsing, the one parsing layer; this name stays for services.
    """
    from core.web.parsing import parse_money as parse

    return parse(text, locale=locale)


def split_pro_rata(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``amount`` in proportion to ``weights`` so the parts sum exactly to it.

    Largest-remainder method: every part is first rounded down to the cent;
    the cents left over go one each to the largest remainders (ties: the
    earlier weight), so the result is deterministic and reconciles to the cent.
    """
    amount = money(amount)
    total = sum(weights, Decimal(0))
    if not weights:
        raise ValueError("nothing to split between")
    if total <= 0:
        raise ValueError("weights must sum to more than zero")
    cents = int(amount / CENT)
    sign = -1 if cents < 0 else 1
    cents = abs(cents)
    exact = [Decimal(cents) * w / total for w in weights]
    floors = [int(e.to_integral_value(rounding=ROUND_DOWN)) for e in exact]
    left = cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [sign * Decimal(f) * CENT for f in floors]
