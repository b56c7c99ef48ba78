"""Benchmark: risk's scoring (with explanation) and blacklist screening, on one core, no database.

    .venv/bin/python bench/risk.py [--applications 20000] [--names 10000] [--entries 100000]

Scoring: the starter scorecard on random applicants, ``Card.score`` (points per characteristic,
reason codes, band) beside a bare loop that only sums the points (``Card.points``); target
>= 20,000 applications/s. Screening: ``blacklist.Screener`` (RapidFuzz on the candidates sharing a
rare word) of 10,000 names against a 100,000-entry list; target >= 1,000 names/s.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FIRST = ["Ana", "Juan", "María", "José", "Lucía", "Carlos", "Elena", "Pablo", "Marta", "Luis", "Sara", "Diego",
         "Laura", "Javier", "Carmen", "Raúl", "Irene", "Andrés", "Nuria", "Hugo"] * 5
LAST = ["García", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández",
        "Díaz", "Moreno", "Álvarez", "Muñoz", "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez"]


def _names(rng, count: int) -> list[str]:
    syllables = ["ra", "mo", "ti", "lu", "be", "ca", "so", "ne", "vi", "da", "qu", "er", "an", "el", "or"]
    rare = lambda: "".join(rng.choice(syllables) for _ in range(3)).title()  # noqa: E731
    return [f"{rng.choice(FIRST)} {rng.choice(LAST + [rare()])} {rare()}" for _ in range(count)]


def scoring(count: int) -> None:
    from plugins.risk.scoring import Band, Card, Characteristic, Scaling
    from plugins.risk.services.scorecards import STARTER, STARTER_BANDS

    card = Card([Characteristic.from_dict(c) for c in STARTER], Scaling(20, 600, 50),
                [Band.from_dict(b) for b in STARTER_BANDS])
    rng = random.Random(1)
    industries = ["Retail", "Services", "Construction", "Hospitality", "Mining", None]
    facts = [{"age": rng.choice([None, *range(18, 80)]), "dti": Decimal(rng.randrange(0, 90)) / 100,
              "amount": Decimal(rng.randrange(1000, 50000)), "term_months": rng.randrange(3, 60),
              "industry": rng.choice(industries), "past_max_dpd": rng.choice([None, 0, 0, 5, 40, 95]),
              "previous_loans": rng.randrange(0, 5)} for _ in range(count)]
    start = time.perf_counter()
    total = Decimal(0)
    for f in facts:
        total += card.points(f)
    bare = time.perf_counter() - start
    start = time.perf_counter()
    results = [card.score(f) for f in facts]
    full = time.perf_counter() - start
    assert sum(r.score for r in results) == total
    print(f"scoring {count:,} applications")
    print(f"  bare sum of points      {count / bare:>10,.0f} applications/s")
    print(f"  score with explanation  {count / full:>10,.0f} applications/s   (target >= 20,000)")


def screening(names: int, entries: int) -> None:
    from plugins.risk.services.blacklist import Screener

    rng = random.Random(2)
    listed = _names(rng, entries)
    start = time.perf_counter()
    screener = Screener(enumerate(listed), 90)
    built = time.perf_counter() - start
    queries = [rng.choice(listed) if i % 50 == 0 else n for i, n in enumerate(_names(rng, names))]
    start = time.perf_counter()
    hits = sum(1 for q in queries if screener.matches(q))
    took = time.perf_counter() - start
    print(f"screening {names:,} names against {entries:,} entries (index built in {built:.1f} s)")
    print(f"  {names / took:>10,.0f} names/s   (target >= 1,000); {hits:,} names with a hit")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=20000)
    parser.add_argument("--names", type=int, default=10000)
    parser.add_argument("--entries", type=int, default=100000)
    args = parser.parse_args()
    scoring(args.applications)
    screening(args.names, args.entries)


if __name__ == "__main__":
    main()
