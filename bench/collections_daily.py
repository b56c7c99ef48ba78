"""Benchmark: collections' daily jobs (assignment, then action items) over 100,000 open cases.

    .venv/bin/python bench/collections_daily.py [--cases 100000] [--collectors 60]
    MUTUO_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_collections \\
        .venv/bin/python bench/collections_daily.py

Builds a fresh database (PostgreSQL: dropped and created; default: a SQLite
file in a temporary folder), migrates products + lending + collections, and
writes N overdue loans with their customers and applications and one open,
unassigned case each straight into the tables (COPY on PostgreSQL,
executemany on SQLite): half early, a third mid, the rest late, over six
regions, every customer with a phone. The team: collectors holding stage
queues, most with a region, some generalists.

Then it runs, through core's job runner exactly as the scheduler does (own
transaction, run record, audit events):

1. ``collections.assign_cases`` — every case gets a collector (one audit
   event and one history row per assignment);
2. ``collections.create_action_items`` — the strategy's due items for every
   case, the SMS ones rendered in SQL and composed into core_message (one
   ``INSERT … SELECT`` through core.messages.compose_from_select);
3. both again — nothing left to do (idempotent), which shows the fixed cost.

Prints cases/s for each job and for the pair (target on PostgreSQL:
≥ 10,000 cases/s), and how evenly the cases were spread.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import close_of_business as cob  # noqa: E402  (the shared database builder)

TODAY = date.today()
BUSINESS_DATE = TODAY - timedelta(days=1)
NOW = datetime.now(UTC)
REGIONS = ("North", "South", "East", "West", "Capital", "Coast")
INDUSTRIES = ("Retail", "Agriculture", "Construction", "Transport", "Services")
TARGET = 10_000
PLUGINS = "products lending collections"


def database_url(name: str = "collections") -> str:
    return cob.database_url(name)


def prepare(url: str, plugins: str = PLUGINS):
    """A fresh, migrated database with one active product (bench/close_of_business.py builds it)."""
    return cob.prepare(url, plugins)


def team(engine, collectors: int) -> list[tuple[str, str, str]]:
    """Collectors with stage queues: half early, a third mid, the rest late; 5 in 6 with a region."""
    from core.accounts import create_user
    from core.audit import Actor, set_actor
    from core.db import get_session_factory, run_in_transaction
    from plugins.collections.services import set_queues

    plan = []
    for n in range(collectors):
        stage = "early" if n < collectors / 2 else "mid" if n < collectors * 5 / 6 else "late"
        region = "" if n % 6 == 5 else REGIONS[n % 6]
        plan.append((f"collector{n + 1:03d}", stage, region))

    def make(session):
        set_actor(session, Actor(None, "bench"))
        for username, stage, region in plan:
            user = create_user(session, username, "correct-horse-battery", roles=["collector"], region=region)
            set_queues(session, user, (stage,))

    run_in_transaction(get_session_factory(engine), make)
    return plan


def _stage_dpd(rng) -> int:
    roll = rng.random()
    if roll < 0.5:
        return rng.randrange(1, 31)
    if roll < 0.83:
        return rng.randrange(31, 91)
    return rng.randrange(91, 241)


def generate(n: int, version_id: int, *, installments: bool = False, current_loans: int = 0, seed: int = 42):
    """Rows (as dicts) for customers, applications, loans, [installments] and one open case per overdue loan.

    ``current_loans`` more loans are written without a case (a loan book is mostly current).
    """
    from core import search
    from plugins.collections.services.config import parse_stage_map
    from plugins.lending.services.delinquency import bucket_for, bucket_names, parse_buckets
    from plugins.products.schedule import add_months, build_schedule

    rng = random.Random(seed)
    buckets = parse_buckets()
    stages = parse_stage_map(None, bucket_names(buckets))
    total = n + current_loans
    customers = [{"id": c, "role": "borrower", "kind": "person", "name": f"Borrower {c}", "id_number": f"B{c:08d}",
                  "phone": f"+34 6{c:08d}", "email": f"b{c}@example.test", "region": REGIONS[c % 6],
                  "industry": INDUSTRIES[c % 5], "kyc_status": "verified", "kyc_note": "", "kyc_checked_at": NOW,
                  "created_at": NOW} for c in range(1, total + 1)]
    for row in customers:  # the search keys the ORM keeps (core.search), written here by hand like the rest
        row.update(name_key=search.fold(row["name"]), id_number_key=search.identifier(row["id_number"]),
                   phone_key=search.phone(row["phone"]), email_key=search.email(row["email"]))
    applications, loans, rows_installments, cases = [], [], [], []
    schedules: dict = {}
    inst_id = 0
    for loan_id in range(1, total + 1):
        overdue = loan_id <= n
        principal = D(1000 * rng.randrange(1, 21))
        dpd = _stage_dpd(rng) if overdue else 0
        oldest_unpaid = BUSINESS_DATE - timedelta(days=dpd) if overdue else BUSINESS_DATE + timedelta(days=10)
        first_due = oldest_unpaid - timedelta(days=31 * rng.randrange(0, 3)) if not overdue else oldest_unpaid
        disbursed = add_months(first_due, -1)
        region, industry = customers[loan_id - 1]["region"], customers[loan_id - 1]["industry"]
        applications.append({
            "id": loan_id, "customer_id": loan_id, "product_version_id": version_id, "amount": principal,
            "term_months": 12, "annual_rate": D("0.12"), "purpose": "", "region": region, "industry": industry,
            "status": "disbursed", "review_pending": "", "decision_reason": "", "decided_by": "bench",
            "submitted_at": NOW, "decided_at": NOW, "listed_on": disbursed, "funding_deadline": disbursed,
            "funded_at": NOW, "closed_reason": "", "created_at": NOW})
        bucket = bucket_for(dpd, buckets)
        loans.append({
            "id": loan_id, "customer_id": loan_id, "application_id": loan_id, "product_version_id": version_id,
            "principal": principal, "annual_rate": D("0.12"), "term_months": 12,
            "repayment_method": "equal_installment", "disbursed_on": disbursed, "origination_fee": principal / 100,
            "payout": principal - principal / 100, "service_fee_rate": D("0.01"), "penalty_daily_rate": D("0.0005"),
            "grace_days": 3, "allocation_order": "penalty,fee,interest,principal", "region": region,
            "industry": industry, "status": "active", "days_past_due": dpd, "bucket": bucket,
            "penalty_accrued": D(0), "closed_on": None, "created_at": NOW, "oldest_unpaid_due": oldest_unpaid})
        key = (principal, first_due)
        if key not in schedules:
            schedules[key] = build_schedule(principal, D("0.12"), 12, "equal_installment", first_due)
        owed = D(0)
        for item in schedules[key]:
            paid = item.due_date < oldest_unpaid
            if not paid and item.due_date < BUSINESS_DATE:
                owed += item.principal + item.interest
            if installments:
                inst_id += 1
                rows_installments.append({
                    "id": inst_id, "loan_id": loan_id, "number": item.number, "due_date": item.due_date,
                    "penalty_from": item.due_date + timedelta(days=4), "principal_due": item.principal,
                    "interest_due": item.interest, "fee_due": D(0), "penalty_accrued": D(0),
                    "principal_paid": item.principal if paid else D(0), "interest_paid": item.interest if paid else D(0),
                    "fee_paid": D(0), "penalty_paid": D(0), "interest_waived": D(0), "fee_waived": D(0),
                    "paid_on": item.due_date if paid else None})
        if overdue:
            opened = BUSINESS_DATE - timedelta(days=dpd - 1)
            cases.append({
                "id": loan_id, "loan_id": loan_id, "open_loan_id": loan_id, "customer_id": loan_id, "status": "open",
                "stage": stages[bucket], "bucket": bucket, "region": region, "collector_id": None,
                "needs_assignment": True, "assigned_at": None, "overdue_amount": owed, "overdue_since": oldest_unpaid,
                "opened_on": opened,
                "stage_since": opened, "closed_on": None, "close_reason": "", "next_action_on": None,
                "promise_due": None, "broken_promises": 0, "high_risk": False, "escalated_at": None,
                "created_at": NOW})
    tables = [("lending_customer", customers), ("lending_application", applications), ("lending_loan", loans)]
    if installments:
        tables.append(("lending_installment", rows_installments))
    tables.append(("collections_case", cases))
    return tables


def write(engine, tables) -> None:
    """COPY (PostgreSQL) or executemany (SQLite); every column of each table must be given."""
    from sqlalchemy import MetaData

    meta = MetaData()
    meta.reflect(engine, only=[name for name, _ in tables])
    with engine.begin() as conn:
        for name, rows in tables:
            columns = [c.name for c in meta.tables[name].columns]
            missing = set(columns) - set(rows[0]) if rows else set()
            assert not missing, f"{name}: the benchmark does not fill {missing} (the schema changed)"
            if conn.dialect.name == "postgresql":
                raw = conn.connection.driver_connection
                with raw.cursor() as cur:
                    with cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row([row[c] for c in columns])
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {max(len(rows), 1)})")
            else:
                conn.execute(meta.tables[name].insert(), rows)
        conn.execute(text("INSERT INTO lending_business_date (business_date, closed_at, loans, bucket_changes, "
                          "penalty_accrued) VALUES (:d, :now, 0, 0, 0)"), {"d": BUSINESS_DATE, "now": NOW})
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))  # planner statistics, as a live database has them
        conn.commit()


def run_job(registry, name: str):
    from core.jobs import execute_job, manual_slot

    start = time.perf_counter()
    outcome = execute_job(registry, name, manual_slot(), "manual", "bench")
    elapsed = time.perf_counter() - start
    if outcome.status != "succeeded":
        raise SystemExit(f"{name} {outcome.status}: {outcome.error}")
    return elapsed, outcome.summary


def spread(engine) -> str:
    """Cases and open amount per collector, stage by stage (each stage has its own team)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT stage, collector_id, count(*), sum(overdue_amount) FROM collections_case "
                                 "WHERE collector_id IS NOT NULL GROUP BY stage, collector_id")).all()
        left = conn.execute(text("SELECT count(*) FROM collections_case WHERE collector_id IS NULL")).scalar()
    parts = []
    for stage in ("early", "mid", "late"):
        mine = [r for r in rows if r[0] == stage]
        if not mine:
            continue
        counts, amounts = sorted(r[2] for r in mine), sorted(D(r[3]) for r in mine)
        parts.append(f"{stage}: {len(mine)} collectors, {counts[0]}–{counts[-1]} cases, "
                     f"{amounts[0]:,.0f}–{amounts[-1]:,.0f} each")
    return "; ".join(parts) + f"; {left} unassigned"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--collectors", type=int, default=60)
    args = parser.parse_args(argv)

    from core.jobs import job_platform

    url = database_url()
    print(f"database: {url.split('@')[-1]}")
    started = time.perf_counter()
    settings, registry, engine, version_id = prepare(url)
    team(engine, args.collectors)
    write(engine, generate(args.cases, version_id))
    print(f"setup: {args.cases:,} open cases, {args.collectors} collectors in {time.perf_counter() - started:.1f} s")
    jobs = job_platform(settings, base=registry, engine=engine)

    assign_s, assign_summary = run_job(jobs, "collections.assign_cases")
    items_s, items_summary = run_job(jobs, "collections.create_action_items")
    again_assign, _ = run_job(jobs, "collections.assign_cases")
    again_items, again_summary = run_job(jobs, "collections.create_action_items")

    n = args.cases
    print(f"assign_cases:        {assign_s:7.2f} s  {n / assign_s:10,.0f} cases/s   {assign_summary[:110]}")
    print(f"                     {spread(engine)}")
    print(f"create_action_items: {items_s:7.2f} s  {n / items_s:10,.0f} cases/s   {items_summary}")
    both = assign_s + items_s
    verdict = "meets" if n / both >= TARGET else "MISSES"
    print(f"both jobs:           {both:7.2f} s  {n / both:10,.0f} cases/s   ({verdict} the {TARGET:,}/s target"
          f"{'' if engine.dialect.name == 'postgresql' else ', which is set for PostgreSQL'})")
    print(f"second run (nothing to do): assign {again_assign:.2f} s, items {again_items:.2f} s ({again_summary[:60]})")
    engine.dispose()


if __name__ == "__main__":
    main()
