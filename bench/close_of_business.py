"""Benchmark: lending's close of business against one hand-written set-based statement.

    .venv/bin/python bench/close_of_business.py [--loans 100000]
    MUTUO_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_lending \\
        .venv/bin/python bench/close_of_business.py

Builds a fresh database (PostgreSQL: dropped and created; default: a SQLite
file in a temporary folder), migrates products + lending, writes N loans with
12 installments each straight into the tables (COPY on PostgreSQL,
executemany on SQLite), as the loan book would stand after closing the day
before: most loans pay on time, ~15 % stopped paying at some installment.
The previous business date is marked closed, so the job closes exactly one
date.

Then it times:

* the reference: ONE ``SELECT ... LEFT JOIN (SELECT ... GROUP BY)``
  computing days past due and bucket of every active loan from its
  installments (all rows fetched), and the same as ``UPDATE lending_loan ...
  FROM (that SELECT)`` (rolled back); best of 3 each;
* the job: ``plugins.lending.services.close_of_business`` for the date —
  penalties, days past due, buckets, bucket-change bookkeeping — best of 3
  rolled-back runs, then one committed run;

checks that the job's figures equal the reference's, and prints loans/s and
the ratio job / reference SELECT (target on PostgreSQL: within 3×).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

BUSINESS_DATE = date(2026, 6, 30)
PRINCIPALS = [D(1000 * k) for k in range(1, 21)]
REGIONS = ("North", "South", "East", "West", "Capital", "Coast")
INDUSTRIES = ("Retail", "Agriculture", "Construction", "Transport", "Services")
NOW = datetime(2026, 6, 30, 23, 0, tzinfo=UTC)


def database_url(name: str = "cob") -> str:
    url = os.environ.get("MUTUO_BENCH_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{Path(tempfile.mkdtemp(prefix='mutuo-bench-')) / f'{name}.sqlite'}"


def prepare(url: str, plugins: str = "products lending"):
    """A fresh, migrated database with default roles and one active product.

    Returns (settings, registry, engine, version id); the other benchmarks build on it.
    """
    from core.db import get_engine, get_session_factory, run_in_transaction
    from core.migrate import upgrade
    from core.platform import populate_registry
    from core.testing import create_database
    from plugins.products import services as products

    create_database(url)
    settings = {"mutuo.plugins": plugins, "sqlalchemy.url": url, "mutuo.environment": "testing",
                "mutuo.secret": "x" * 40, "mutuo.timezone": "UTC", "mutuo.cookie_secure": "false"}
    registry: dict = {}
    populate_registry(registry, settings)
    engine = get_engine(settings)
    with engine.begin() as conn:
        upgrade(settings, registry["mutuo.pm"], conn)

    def product(session):
        from core.accounts import sync_default_roles

        sync_default_roles(session, registry["mutuo.security"])
        made = products.create_product(
            session, code="BENCH", name="Bench loan", repayment_method="equal_installment",
            min_amount=D("500.00"), max_amount=D("100000.00"), min_term_months=1, max_term_months=60,
            min_rate=D("0.01"), default_rate=D("0.12"), max_rate=D("0.30"), origination_fee_rate=D("0.01"),
            penalty_daily_rate=D("0.0005"), grace_days=3, service_fee_rate=D("0.01"), min_investment=D("50.00"),
            investment_increment=D("50.00"), funding_window_days=14)
        products.activate(session, made)
        return made.current_version.id

    version_id = run_in_transaction(get_session_factory(engine, pm=registry["mutuo.pm"], settings=settings), product)
    return settings, registry, engine, version_id


def generate(n: int, version_id: int, seed: int = 42):
    """Rows for customers, applications, loans and installments (yielded table by table)."""
    from plugins.lending.services.delinquency import bucket_for, days_past_due, parse_buckets
    from plugins.products.schedule import add_months, build_schedule

    rng = random.Random(seed)
    buckets = parse_buckets()
    previous = BUSINESS_DATE - timedelta(days=1)
    schedules: dict = {}
    customers = max(1, n // 2)
    customer_rows = [(c + 1, "borrower", "person", f"Borrower {c + 1}", f"B{c + 1:08d}", "", "", rng.choice(REGIONS),
                      rng.choice(INDUSTRIES), "verified", "", NOW, NOW) for c in range(customers)]
    applications, loans, installments = [], [], []
    inst_id = 0
    for loan_id in range(1, n + 1):
        principal = rng.choice(PRINCIPALS)
        disbursed = BUSINESS_DATE - timedelta(days=rng.randrange(1, 366))
        first_due = add_months(disbursed, 1)
        key = (principal, first_due)
        if key not in schedules:
            schedules[key] = build_schedule(principal, D("0.12"), 12, "equal_installment", first_due)
        schedule = schedules[key]
        stops = rng.randrange(0, 12) if rng.random() < 0.15 else None  # stopped paying after installment `stops`
        customer = rng.randrange(1, customers + 1)
        region, industry = rng.choice(REGIONS), rng.choice(INDUSTRIES)
        applications.append((loan_id, customer, version_id, principal, 12, D("0.12"), "", region, industry,
                             "disbursed", "", "", "bench", NOW, NOW, disbursed, disbursed, NOW, "", NOW))
        unpaid_dues = []
        for item in schedule:
            inst_id += 1
            paid = item.due_date < BUSINESS_DATE and (stops is None or item.number <= stops)
            if not paid:
                unpaid_dues.append(item.due_date)
            installments.append((
                inst_id, loan_id, item.number, item.due_date, item.due_date + timedelta(days=4), item.principal,
                item.interest, D(0), D(0), item.principal if paid else D(0), item.interest if paid else D(0), D(0),
                D(0), D(0), D(0), item.due_date if paid else None))
        dpd = days_past_due(unpaid_dues, previous)  # as closed yesterday
        loans.append((loan_id, customer, loan_id, version_id, principal, D("0.12"), 12, "equal_installment",
                      disbursed, principal / 100, principal - principal / 100, D("0.01"), D("0.0005"), 3,
                      "penalty,fee,interest,principal", region, industry, "active", dpd, bucket_for(dpd, buckets),
                      D(0), None, NOW, min(unpaid_dues, default=None)))
    return [("lending_customer", CUSTOMER_COLUMNS, customer_rows),
            ("lending_application", APPLICATION_COLUMNS, applications),
            ("lending_loan", LOAN_COLUMNS, loans), ("lending_installment", INSTALLMENT_COLUMNS, installments)]


CUSTOMER_COLUMNS = ("id", "role", "kind", "name", "id_number", "phone", "email", "region", "industry", "kyc_status",
                    "kyc_note", "kyc_checked_at", "created_at")
APPLICATION_COLUMNS = ("id", "customer_id", "product_version_id", "amount", "term_months", "annual_rate", "purpose",
                       "region", "industry", "status", "review_pending", "decision_reason", "decided_by",
                       "submitted_at", "decided_at", "listed_on", "funding_deadline", "funded_at", "closed_reason",
                       "created_at")
LOAN_COLUMNS = ("id", "customer_id", "application_id", "product_version_id", "principal", "annual_rate", "term_months",
                "repayment_method", "disbursed_on", "origination_fee", "payout", "service_fee_rate",
                "penalty_daily_rate", "grace_days", "allocation_order", "region", "industry", "status",
                "days_past_due", "bucket", "penalty_accrued", "closed_on", "created_at", "oldest_unpaid_due")
INSTALLMENT_COLUMNS = ("id", "loan_id", "number", "due_date", "penalty_from", "principal_due", "interest_due",
                       "fee_due", "penalty_accrued", "principal_paid", "interest_paid", "fee_paid", "penalty_paid",
                       "interest_waived", "fee_waived", "paid_on")


def write(engine, tables) -> None:
    from sqlalchemy import MetaData

    meta = MetaData()
    meta.reflect(engine, only=[name for name, _, _ in tables])
    with engine.begin() as conn:
        for name, columns, rows in tables:
            missing = {c.name for c in meta.tables[name].columns} - set(columns)
            assert not missing, f"{name}: the benchmark does not fill {missing}"
            if conn.dialect.name == "postgresql":
                raw = conn.connection.driver_connection
                with raw.cursor() as cur:
                    with cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {len(rows)})")
            else:
                conn.execute(meta.tables[name].insert(), [dict(zip(columns, row)) for row in rows])
        conn.execute(text("INSERT INTO lending_business_date (business_date, closed_at, loans, bucket_changes, "
                          "penalty_accrued) VALUES (:d, :now, 0, 0, 0)"),
                     {"d": BUSINESS_DATE - timedelta(days=1), "now": NOW})
        conn.execute(text("ANALYZE"))  # planner statistics, as a live database has them


def reference_select(dialect: str) -> str:
    """The one hand-written statement: days past due and bucket of every active loan, from the installments."""
    dpd = ("(:d - o.oldest)" if dialect == "postgresql"
           else "CAST(julianday(:d) - julianday(o.oldest) AS INTEGER)")
    return f"""
  SELECT l.id,
         COALESCE({dpd}, 0) AS dpd,
         CASE WHEN o.oldest IS NULL THEN 'current'
              WHEN {dpd} <= 30 THEN '1-30' WHEN {dpd} <= 60 THEN '31-60'
              WHEN {dpd} <= 90 THEN '61-90' ELSE '91+' END AS bucket
  FROM lending_loan l
  LEFT JOIN (SELECT loan_id, MIN(due_date) AS oldest FROM lending_installment
             WHERE paid_on IS NULL AND due_date < :d GROUP BY loan_id) o ON o.loan_id = l.id
  WHERE l.status = 'active'
"""


def reference_update(dialect: str) -> str:
    """The same statement writing its result: UPDATE lending_loan ... FROM (that SELECT)."""
    return f"""
UPDATE lending_loan SET days_past_due = s.dpd, bucket = s.bucket
FROM ({reference_select(dialect)}) s
WHERE lending_loan.id = s.id
"""


def time_reference(engine, runs: int = 3) -> tuple[float, float, dict]:
    """Best of ``runs``: the SELECT (all rows fetched) and the UPDATE (rolled back); the expected figures."""
    best_select = best_update = float("inf")
    expected: dict = {}
    select_sql, update_sql = text(reference_select(engine.dialect.name)), text(reference_update(engine.dialect.name))
    for _ in range(runs):
        with engine.connect() as conn:
            trans = conn.begin()
            start = time.perf_counter()
            rows = conn.execute(select_sql, {"d": BUSINESS_DATE}).all()
            best_select = min(best_select, time.perf_counter() - start)
            expected = {row[0]: f"{row[1]}:{row[2]}" for row in rows}
            start = time.perf_counter()
            conn.execute(update_sql, {"d": BUSINESS_DATE})
            best_update = min(best_update, time.perf_counter() - start)
            trans.rollback()
    return best_select, best_update, expected


def time_job(engine, registry, settings, runs: int = 3) -> tuple[float, float, str]:
    from core.audit import Actor, set_actor
    from core.context import bind
    from core.db import get_session_factory
    from plugins.lending.services import close_of_business

    factory = get_session_factory(engine)
    best, committed, summary = float("inf"), 0.0, ""
    for run in range(runs + 1):
        session = factory()
        set_actor(session, Actor(None, "bench"))
        bind(session, pm=registry["mutuo.pm"], settings=settings)
        start = time.perf_counter()
        result = close_of_business(session, BUSINESS_DATE)
        if run == runs:
            session.commit()
            committed = time.perf_counter() - start
        else:
            elapsed = time.perf_counter() - start
            session.rollback()
            best = min(best, elapsed)
        summary = result.summary
        session.close()
    return best, committed, summary


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loans", type=int, default=100_000)
    args = parser.parse_args(argv)
    url = database_url()
    print(f"database: {url.split('@')[-1]}")
    settings, registry, engine, version_id = prepare(url)
    start = time.perf_counter()
    tables = generate(args.loans, version_id)
    write(engine, tables)
    print(f"wrote {args.loans:,} loans and {12 * args.loans:,} installments in {time.perf_counter() - start:.1f} s")
    reference, reference_write, expected = time_reference(engine)
    best, committed, summary = time_job(engine, registry, settings)
    with engine.connect() as conn:
        got = dict(conn.execute(text("SELECT id, days_past_due || ':' || bucket FROM lending_loan")).all())
    mismatches = sum(1 for k, v in expected.items() if got.get(k) != v)
    n = args.loans
    print(f"job: {summary}")
    print(f"reference SELECT (dpd + bucket of every loan): {reference:.3f} s  ({n / reference:,.0f} loans/s)")
    print(f"reference as UPDATE ... FROM (that SELECT):    {reference_write:.3f} s  "
          f"({n / reference_write:,.0f} loans/s)")
    print(f"close of business (penalties too):            {best:.3f} s  ({n / best:,.0f} loans/s) best of 3; "
          f"{committed:.3f} s with its commit ({n / committed:,.0f} loans/s)")
    print(f"ratio job / reference SELECT: {best / reference:.2f}x (with commit {committed / reference:.2f}x); "
          f"job / reference UPDATE: {best / reference_write:.2f}x; target within 3x")
    print(f"results equal to the reference: {'yes' if not mismatches else f'NO, {mismatches} loans differ'}")
    engine.dispose()
    if mismatches:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
