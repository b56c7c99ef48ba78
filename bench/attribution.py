"""Benchmark: attribute N conversions (default 100,000) with about 5 touchpoints each under every model.

    .venv/bin/python bench/attribution.py                       # SQLite in a temporary folder, 100,000
    .venv/bin/python bench/attribution.py --conversions 20000
    .venv/bin/python bench/attribution.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/mutuo_bench_mkt

Builds a fresh database (products + lending + marketing; PostgreSQL: dropped and created) with N
customers, 7 channels (one "direct"), 28 campaigns, 1 to 9 touchpoints per customer (5 on average,
within 30 days before the conversion) and one "funded" conversion per customer with a money value,
written straight into the tables (bench/collections_daily.py's writer).

Then, for the floor, a **bare query** reads every conversion's touchpoints (the join the service runs:
touchpoint → campaign → channel kind, ordered by customer and time) and does nothing with them; and,
for **each model**, the same read followed by the attribution of every conversion with the functions
the service uses (``plugins.marketing.services.attribution``: integer weights, millionths, cents,
the remainder to the largest share), vectorised per conversion in plain Python integers, checking
that every conversion's shares sum to 1,000,000 millionths and its cents to its value. Prints
conversions per second for each (target: ≥ 50,000/s per model on PostgreSQL). Credits are not
written (the live service writes them with one executemany per conversion).
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from itertools import groupby
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import collections_daily as data  # noqa: E402  (the database builder and fast writer)

PLUGINS = "products lending marketing"
NOW = datetime(2026, 1, 31, 12, tzinfo=UTC)
CHANNELS = ("social", "search", "messaging", "forum", "display", "partner", "direct")
TARGET = 50_000

READ = ("SELECT t.customer_id, t.touched_at, ch.kind FROM marketing_touchpoint t "
        "JOIN marketing_campaign c ON c.id = t.campaign_id JOIN marketing_channel ch ON ch.id = c.channel_id "
        "ORDER BY t.customer_id, t.touched_at, t.id")
CONVERSIONS = "SELECT customer_id, occurred_at, value FROM marketing_conversion ORDER BY customer_id"


def rows(n: int, seed: int = 11):
    from core import search

    rng = random.Random(seed)
    customers = [{"id": c, "role": "borrower", "kind": "person", "name": f"Borrower {c}", "id_number": f"B{c:08d}",
                  "phone": "", "email": "", "region": "North", "industry": "Retail", "kyc_status": "verified",
                  "kyc_note": "", "kyc_checked_at": NOW, "created_at": NOW,
                  "name_key": search.fold(f"Borrower {c}"), "id_number_key": search.identifier(f"B{c:08d}"),
                  "phone_key": "", "email_key": ""} for c in range(1, n + 1)]
    channels = [{"id": i + 1, "name": kind.title(), "kind": kind, "active": True} for i, kind in enumerate(CHANNELS)]
    campaigns = [{"id": i + 1, "name": f"Campaign {i + 1}", "channel_id": i % len(CHANNELS) + 1, "parent_id": None,
                  "owner_id": None, "starts_on": date(2025, 1, 1), "ends_on": None, "budget": D("10000.00"),
                  "goal": "funded", "audience": "", "status": "active", "created_at": NOW,
                  "name_key": f"campaign {i + 1}"} for i in range(28)]
    touches, conversions, tid = [], [], 0
    for c in range(1, n + 1):
        at = NOW - timedelta(days=rng.randrange(0, 365))
        for _k in range(rng.randrange(1, 10)):  # 1..9: 5 on average
            tid += 1
            touches.append({"id": tid, "customer_id": c, "campaign_id": rng.randrange(1, 29),
                            "touched_at": at - timedelta(seconds=rng.randrange(0, 30 * 86400)), "source": "click",
                            "click_id": None, "note": "", "created_at": NOW})
        conversions.append({"id": c, "customer_id": c, "kind": "funded", "occurred_at": at,
                            "value": D(rng.randrange(1000, 500000)) / 100, "reference": "", "touches": 0})
    return [("lending_customer", customers), ("marketing_channel", channels), ("marketing_campaign", campaigns),
            ("marketing_touchpoint", touches), ("marketing_conversion", conversions)]


def _aware(value):
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def read(engine):
    from sqlalchemy import text

    with engine.connect() as conn:
        conversions = [(c, _aware(at), int(D(value) * 100)) for c, at, value in conn.execute(text(CONVERSIONS))]
        touches = {c: [(_aware(t), kind == "direct") for _c, t, kind in group]
                   for c, group in groupby(conn.execute(text(READ)), key=lambda r: r[0])}
    return conversions, touches


def attribute_all(model: str, conversions, touches, half_life: float = 7) -> int:
    from plugins.marketing.services.attribution import MILLION, money_cents, share_units, weights

    done = 0
    for customer, at, cents in conversions:
        found = touches.get(customer)
        if not found:
            continue
        times, direct = [t for t, _d in found], [d for _t, d in found]
        shares = share_units(weights(model, times, direct, at, half_life))
        money = money_cents(cents, shares)
        if sum(shares) != MILLION or sum(money) != cents:
            raise AssertionError(f"conversion of customer {customer} does not reconcile")
        done += 1
    return done


def main(argv=None) -> None:
    from plugins.marketing.models import MODELS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversions", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/attribution.sqlite"
    started = time.perf_counter()
    _settings, _registry, engine, _version = data.prepare(url, PLUGINS)
    tables = rows(args.conversions)
    data.write(engine, tables)
    print(f"{engine.dialect.name}: {args.conversions:,} conversions, {len(tables[3][1]):,} touchpoints "
          f"({len(tables[3][1]) / args.conversions:.2f} a conversion), built in {time.perf_counter() - started:.1f} s")

    began = time.perf_counter()
    conversions, touches = read(engine)
    bare = time.perf_counter() - began
    print(f"  bare query (read every conversion's touchpoints): {bare:.2f} s, {len(conversions) / bare:,.0f} conversions/s")
    for model in MODELS:
        began = time.perf_counter()
        conversions, touches = read(engine)
        read_s = time.perf_counter() - began
        done = attribute_all(model, conversions, touches)
        total = time.perf_counter() - began
        verdict = "ok" if done / total >= TARGET else "below target"
        print(f"  {model:16s} {total:6.2f} s ({read_s:.2f} read + {total - read_s:.2f} attribute): "
              f"{done / total:>9,.0f} conversions/s, attribution alone {done / (total - read_s):>9,.0f}/s  [{verdict}]")


if __name__ == "__main__":
    main()
