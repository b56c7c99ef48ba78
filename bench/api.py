"""Benchmark: lending's JSON API under load with an API key, beside a bare Pyramid JSON view, in one run.

    .venv/bin/python bench/api.py                                   # SQLite, 2,000 loans (< 2 min)
    .venv/bin/python bench/api.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/mutuo_bench_api \\
        --loans 100000 [--seconds 10] [--threads 4]

Builds a fresh database (PostgreSQL: dropped and created; default a SQLite file in a temporary
folder) with products + lending: N active loans with their 12 installments, customers and
applications (written straight into the tables by bench/collections_daily.py's writer, a tenth of
them overdue), one investor holding every loan (so each repayment is distributed to a cash
account), and a user with an API key scoped to ``lending.loan.view`` and ``lending.repayment.post``.

Two servers run in child processes, both waitress with the same thread count on 127.0.0.1 (see
bench/web_lists.py): the Mutuo app and a bare Pyramid app with one JSON view (the floor: WSGI,
waitress, HTTP). ``--threads`` client threads on keep-alive connections, each bounded by
``--seconds`` and ``--max-requests``, send:

* ``GET /api/v1/lending/loans?limit=50`` — the first page of the loan list (filters, cursor, the
  response validated against its schema: ``--validate-responses``, default ``strict``);
* ``POST /api/v1/lending/loans/{id}/repayments`` — a 10.00 repayment, each with its own reference
  and ``Idempotency-Key``, round robin over the loans (allocation, distribution, audit, the key row);
* ``GET /bare`` on the bare app.

Prints req/s, p50 and p95 for each and the ratio of each p95 to the bare view's (target for the
list: p95 ≤ 5 × the bare view's).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from decimal import Decimal as D
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import collections_daily as data  # noqa: E402  (the fast data writer)
import report  # noqa: E402  (the servers and the table of figures)
import web_lists as web  # noqa: E402  (the load loop and the figures)

TARGET_RATIO = 5
PLUGINS = "products lending"


# -- data ----------------------------------------------------------------------------------

def build(url: str, n: int):
    """A fresh database with ``n`` loans and an investor holding each; returns (settings, key, loan ids, seconds)."""
    from sqlalchemy import text

    from core.accounts import create_user
    from core.apikeys import create_api_key
    from core.audit import Actor, set_actor
    from core.db import get_session_factory, run_in_transaction

    started = time.perf_counter()
    settings, registry, engine, version_id = data.prepare(url, PLUGINS)
    overdue = max(n // 10, 1)
    tables = [t for t in data.generate(overdue, version_id, installments=True, current_loans=n - overdue)
              if t[0] != "collections_case"]
    investor_id = n + 1
    customers = dict(tables)["lending_customer"]
    customers.append({**customers[0], "id": investor_id, "role": "investor", "name": "Bench investor",
                      "id_number": "INV00000001"})
    tables.append(("lending_holding", [{"id": loan["id"], "loan_id": loan["id"], "investor_id": investor_id,
                                        "amount": loan["principal"], "share": D(1)}
                                       for loan in dict(tables)["lending_loan"]]))
    data.write(engine, tables)

    def user(session):
        set_actor(session, Actor(None, "bench"))
        made = create_user(session, "feed", None, roles=["operations_manager"])
        return create_api_key(session, made, "bench feed", registry["mutuo.security"],
                              scope=("lending.loan.view", "lending.repayment.post"))[1]

    key = run_in_transaction(get_session_factory(engine, pm=registry["mutuo.pm"], settings=settings), user)
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
        loans = conn.execute(text("SELECT id FROM lending_loan WHERE status = 'active' ORDER BY id")).scalars().all()
    engine.dispose()
    return settings, key, loans, time.perf_counter() - started


# -- client ----------------------------------------------------------------------------------

def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("MUTUO_BENCH_DATABASE_URL"),
                        help="default: a SQLite file in a temporary folder")
    parser.add_argument("--loans", type=int, default=2_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--validate-responses", choices=("strict", "log", "off"), default="strict",
                        help="mutuo.api.validate_responses for the run (production's default is log: it validates "
                             "too; off shows what the response check costs)")
    args = parser.parse_args(argv)

    url = args.database_url or data.database_url("api")
    settings, key, loans, setup_s = build(url, args.loans)
    settings = {**settings, "mutuo.api.validate_responses": args.validate_responses}
    print(f"database: {url.split('@')[-1]}; {args.loans:,} loans with 12 installments and a holding each; "
          f"setup {setup_s:.0f} s")
    auth = {"Authorization": f"Bearer {key}"}
    run = uuid.uuid4().hex[:8]
    paid_on = data.BUSINESS_DATE.isoformat()

    def listing(n):
        return "GET", "/api/v1/lending/loans?limit=50", None, auth

    def repayment(n):
        body = json.dumps({"amount": "10.00", "paid_on": paid_on, "reference": f"BENCH-{run}-{n}"})
        return ("POST", f"/api/v1/lending/loans/{loans[n % len(loans)]}/repayments", body,
                {**auth, "Content-Type": "application/json", "Idempotency-Key": f"{run}-{n}"})

    def bare(n):
        return "GET", "/bare", None, {}

    warm = {"bare": 0, "repayment": 10_000_000}  # warm-up repayments use references of their own
    with report.serving(args.threads, settings) as (app_port, bare_port):
        runs = [("bare Pyramid JSON view", bare_port, bare, 200),
                ("GET loans?limit=50", app_port, listing, 200),
                ("POST repayment", app_port, repayment, 201)]
        for _name, port, request, expect in runs:
            offset = warm["repayment"] if request is repayment else 0
            web.load_requests(port, lambda n, r=request, o=offset: r(n + o), 1.0, 1, 20, expect)
        results = []
        for name, port, request, expect in runs:
            latencies, elapsed = web.load_requests(port, request, args.seconds, args.threads, args.max_requests, expect)
            results.append((name, *web.figures(latencies, elapsed), len(latencies)))
    report.summary(results, f"{args.threads} client threads × {args.seconds:.0f} s each, waitress {args.threads} "
                   f"threads, API key auth, responses validated: {args.validate_responses}", "request")
    bare_p95 = results[0][3]
    list_ratio = results[1][3] / bare_p95 if bare_p95 else float("nan")
    print(f"list p95 is {list_ratio:.1f}× the bare view's: "
          + ("meets" if list_ratio <= TARGET_RATIO else "MISSES") + f" the target (≤ {TARGET_RATIO}×)")


if __name__ == "__main__":
    main()
