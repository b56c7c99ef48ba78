"""Benchmark: posting repayments, each distributed to 50 investors.

    .venv/bin/python bench/repayments.py [--loans 100] [--investors 50] [--repayments 6]
    MUTUO_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_lending \\
        .venv/bin/python bench/repayments.py

Builds a fresh database (see bench/close_of_business.py), then through the
services: one product, ``--investors`` investors with deposits, ``--loans``
loans each funded by every investor and disbursed (setup, not timed). Then
it posts ``--repayments`` monthly installments per loan, oldest first, each
in its own transaction exactly as a web request or the API would (lock the
loan, check the reference, allocate, record, split with
``core.money.split_pro_rata``, credit 50 cash accounts, audit, commit), and
prints repayments per second.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from decimal import Decimal as D
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.close_of_business import database_url, prepare  # noqa: E402

DISBURSED = date(2025, 1, 10)


def setup(engine, registry, settings, version_id: int, loans: int, investors: int) -> list[int]:
    import io
    import tempfile

    from core import context
    from core.audit import Actor, set_actor
    from core.db import get_session_factory
    from core.documents import link_document, store_from_settings, upload
    from core.models.document import Document
    from plugins.lending import services

    session = get_session_factory(engine)()
    set_actor(session, Actor(None, "bench setup"))
    context.bind(session, pm=registry["mutuo.pm"], settings=settings)
    session.info["audit_disabled"] = True  # setup is not what is measured
    context.set_as_of(session, DISBURSED)

    store = store_from_settings({"mutuo.documents.path": tempfile.mkdtemp(prefix="mutuo-bench-docs-")})
    document = []

    def verified(role, n):
        customer = services.create_customer(session, role=role, name=f"{role} {n}", id_number=f"{role[0]}{n:06d}")
        if not document:  # one identity scan, linked to every customer (KYC needs a document on file)
            document.append(upload(session, store, stream=io.BytesIO(b"bench id"), filename="id.txt",
                                   entity_type="lending.customer", entity_id=customer.id).document_id)
        else:
            link_document(session, session.get(Document, document[0]), "lending.customer", customer.id)
        services.set_kyc(session, customer, "verified")
        return customer

    people = [verified("investor", n) for n in range(investors)]
    for person in people:
        services.deposit(session, person, D("10000000.00"))
    loan_ids = []
    for n in range(loans):
        borrower = verified("borrower", n)
        amount = D(1000) * investors
        application = services.create_application(session, customer=borrower, product_version_id=version_id,
                                                  amount=amount, term_months=12)
        services.submit(session, application)
        services.approve(session, application, "bench")
        services.list_for_funding(session, application, DISBURSED)
        for person in people:
            services.invest(session, application, person, D("1000.00"))
        loan_ids.append(services.disburse(session, application, DISBURSED).id)
        if n % 20 == 19:
            session.flush()
            session.expunge_all()
    session.commit()
    session.close()
    return loan_ids


def post_all(engine, registry, settings, loan_ids: list[int], per_loan: int) -> list[float]:
    from sqlalchemy import select

    from core import context
    from core.audit import Actor, set_actor
    from core.db import get_session_factory
    from plugins.lending import services
    from plugins.lending.models import Installment, Loan

    factory = get_session_factory(engine)
    durations = []
    for number in range(1, per_loan + 1):
        for loan_id in loan_ids:
            session = factory()
            set_actor(session, Actor(None, "bench"))
            context.bind(session, pm=registry["mutuo.pm"], settings=settings)
            start = time.perf_counter()
            installment = session.scalars(select(Installment).where(Installment.loan_id == loan_id,
                                                                    Installment.number == number)).one()
            context.set_as_of(session, installment.due_date)
            services.post_repayment(session, session.get(Loan, loan_id), installment.outstanding,
                                    installment.due_date, f"BENCH-{loan_id}-{number}")
            session.commit()
            durations.append(time.perf_counter() - start)
            session.close()
    return durations


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loans", type=int, default=100)
    parser.add_argument("--investors", type=int, default=50)
    parser.add_argument("--repayments", type=int, default=6, help="installments paid per loan")
    args = parser.parse_args(argv)
    url = database_url()
    print(f"database: {url.split('@')[-1]}")
    settings, registry, engine, version_id = prepare(url)
    start = time.perf_counter()
    loan_ids = setup(engine, registry, settings, version_id, args.loans, args.investors)
    print(f"setup: {args.loans} loans with {args.investors} investors each in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    durations = post_all(engine, registry, settings, loan_ids, args.repayments)
    total = time.perf_counter() - start
    count = len(durations)
    print(f"posted {count:,} repayments ({count * args.investors:,} investor credits) in {total:.1f} s")
    print(f"repayments/s: {count / total:,.1f}   per repayment: mean {statistics.mean(durations) * 1000:.1f} ms, "
          f"median {statistics.median(durations) * 1000:.1f} ms, p95 "
          f"{sorted(durations)[int(count * 0.95) - 1] * 1000:.1f} ms (each its own transaction, audited)")
    engine.dispose()


if __name__ == "__main__":
    main()

