"""Schedules per second of the products schedule engine, on one core.

Run: .venv/bin/python bench/schedules.py [--seconds 0.5]

For each method and a 12- and a 360-month term it builds schedules for
varying amounts (1,000.00 to 100,999.00), rates (10 % — whose twelfth does
not terminate, the slower interest path — and 12 %) and first due dates (every
day of a year, so month ends are included; the engine caches the due dates of
a (first date, term) pair and the annuity factor of a (rate, term) pair, as
loans share them; a line without those caches is printed too). Beside it, in the same run, a
bare Decimal loop: the annuity recurrence (interest = remaining × rate
quantized, principal = payment − interest) with no dates, no objects and no
checks — the floor any Decimal engine stands on. Reported: schedules/s, the
engine's ratio to the bare loop (CPU time of this process, so other work on the
machine does not count), and the target (≥ 50,000 twelve-month
schedules/s and within 4× of the bare loop).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plugins.products.schedule import METHODS, _rate_terms, build_schedule, due_dates  # noqa: E402

CENT = Decimal("0.01")
AMOUNTS = [Decimal(1000 + 1000 * k) + Decimal("0.00") for k in range(100)]
RATES = [Decimal("0.10"), Decimal("0.12")]
FIRST_DATES = [date(2025, 1, 1) + timedelta(days=d) for d in range(365)]
TARGET_RATE = 50_000
TARGET_RATIO = 4


def pin_to_one_core() -> str:
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


# CPU time of this process: other work on a shared machine does not count against us.
clock = time.process_time


def rate_of(run, seconds: float) -> float:
    """Calls per CPU second of ``run(i)``: the best of three rounds of about ``seconds`` each."""
    batch = 1
    while True:  # size a batch to ~1/10 of a round
        start = clock()
        for i in range(batch):
            run(i)
        if clock() - start > seconds / 10:
            break
        batch *= 2
    best = 0.0
    for _ in range(3):
        done = 0
        start = clock()
        while clock() - start < seconds:
            for i in range(done, done + batch):
                run(i)
            done += batch
        best = max(best, done / (clock() - start))
    return best


def engine(method: str, term: int):
    def run(i: int):
        return build_schedule(AMOUNTS[i % 100], RATES[i & 1], term, method, FIRST_DATES[i % 365])
    return run


def bare_loop(term: int):
    """The annuity recurrence alone: the same Decimal arithmetic per period, nothing else."""
    monthly = Decimal("0.01")
    payments = {}
    for amount in AMOUNTS:
        growth = (1 + monthly) ** term
        payments[amount] = (amount * monthly * growth / (growth - 1)).quantize(CENT, ROUND_HALF_EVEN)

    def run(i: int):
        remaining = AMOUNTS[i % 100]
        payment = payments[remaining]
        out = []
        for _ in range(term - 1):
            interest = (remaining * monthly).quantize(CENT, ROUND_HALF_EVEN)
            principal = payment - interest
            remaining -= principal
            out.append((principal, interest))
        out.append((remaining, (remaining * monthly).quantize(CENT, ROUND_HALF_EVEN)))
        return out
    return run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="length of each timed round")
    args = parser.parse_args(argv)
    print(f"Schedule engine benchmark — Python {sys.version.split()[0]}, {pin_to_one_core()}")

    bare = {term: rate_of(bare_loop(term), args.seconds) for term in (12, 360)}
    print(f"\n{'method':<20}{'12 months/s':>14}{'× bare':>8}{'360 months/s':>15}{'× bare':>8}")
    print(f"{'bare Decimal loop':<20}{bare[12]:>14,.0f}{'1.00':>8}{bare[360]:>15,.0f}{'1.00':>8}")
    results = {}
    for method in METHODS:
        results[method] = {term: rate_of(engine(method, term), args.seconds) for term in (12, 360)}
        r = results[method]
        print(f"{method:<20}{r[12]:>14,.0f}{bare[12] / r[12]:>8.2f}{r[360]:>15,.0f}{bare[360] / r[360]:>8.2f}")

    annuity = engine("equal_installment", 12)
    cold = rate_of(lambda i: (due_dates.cache_clear(), _rate_terms.cache_clear(), annuity(i)), args.seconds)
    print(f"{'annuity, no caches':<20}{cold:>14,.0f}{bare[12] / cold:>8.2f}")

    slowest = min(r[12] for r in results.values())
    ratio = bare[12] / slowest
    ok = slowest >= TARGET_RATE and ratio <= TARGET_RATIO
    print(f"\nslowest 12-month method: {slowest:,.0f} schedules/s, {ratio:.2f}× the bare loop "
          f"(target ≥ {TARGET_RATE:,}/s and ≤ {TARGET_RATIO}×): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
