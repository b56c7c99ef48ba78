"""Benchmark: finance's journal for many repayments, and repayments posted from a bank file.

    .venv/bin/python bench/finance.py [--repayments 100000] [--investors 50] [--loans 20] [--bank-lines 10000]
    MUTUO_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_finance \\
        .venv/bin/python bench/finance.py

Builds a fresh database with products, lending and finance (bench/close_of_business.py's
``prepare``), ``--loans`` loans each funded by ``--investors`` investors through lending's services
(bench/repayments.py's ``setup``; not timed). Then:

1. **Journal.** ``--repayments`` repayments spread over the loans, with one cash entry per investor
   each, are written straight into lending's tables (INSERT … SELECT; lending's allocation is not
   what is measured), and finance posts their journal with
   :func:`plugins.finance.services.bulk.post_unposted_repayments` (the rules of
   ``lending_repayment_posted``, one INSERT … SELECT per rule line). Beside it, in the same run, a
   bare INSERT … SELECT of the same lines into a copy of ``finance_line``: the ratio is the cost of
   the rules, the entries and the balance check (target ≤ 3×).
2. **Bank file.** A CSV of ``--bank-lines`` transfers naming a loan ("LOAN-<id>"), imported and
   posted with :func:`plugins.finance.services.bank.post_bank_repayments`: each line through
   lending's ``post_repayment`` (allocation, 50 investors' cash entries, events, the journal) and
   matched. Prints repayments per second (the issue's target is ≥ 500/s).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.close_of_business import database_url, prepare  # noqa: E402
from bench.repayments import DISBURSED, setup  # noqa: E402


def synthesize(session, loan_ids: list[int], count: int) -> None:
    """``count`` repayments of 505.05 (400 principal, 105.05 interest, 5.05 service fee, 500 to the
    investors: 10.00 each for 50) and their cash entries, in two statements."""
    from sqlalchemy import text

    investors = session.execute(text("select count(*) from lending_holding where loan_id = :l"),
                                {"l": loan_ids[0]}).scalar()
    share = 500 / investors
    dialect = session.bind.dialect.name
    series = ("select generate_series(1, :n) as n" if dialect == "postgresql" else
              "with recursive s(n) as (select 1 union all select n + 1 from s where n < :n) select n from s")
    loans = ",".join(str(i) for i in loan_ids)
    session.execute(text(
        f"insert into lending_repayment (loan_id, amount, paid_on, reference, principal, interest, fee, penalty, "
        f"prepaid_principal, service_fee, distributed, posted_at) "
        f"select (array[{loans}])[1 + (n % {len(loan_ids)})], 505.05, :day, 'SYN-' || n, 400, 105.05, 0, 0, 0, 5.05, "
        f"500, current_timestamp from ({series}) s" if dialect == "postgresql" else
        f"insert into lending_repayment (loan_id, amount, paid_on, reference, principal, interest, fee, penalty, "
        f"prepaid_principal, service_fee, distributed, posted_at) "
        f"select {loan_ids[0]} + (n % {len(loan_ids)}), 505.05, :day, 'SYN-' || n, 400, 105.05, 0, 0, 0, 5.05, 500, "
        f"current_timestamp from ({series}) s"), {"n": count, "day": DISBURSED.replace(month=2)})
    session.execute(text(
        "insert into lending_cash_entry (customer_id, entry_date, kind, amount, reference, memo, loan_id, "
        "repayment_id, created_at) select h.investor_id, r.paid_on, 'repayment', :share, r.reference, 'bench', "
        "r.loan_id, r.id, current_timestamp from lending_repayment r join lending_holding h on h.loan_id = r.loan_id "
        "where r.reference like 'SYN-%'"), {"share": share})


def baseline(session) -> float:
    """The same lines, bare: one INSERT … SELECT per rule line into a copy of finance_line."""
    from sqlalchemy import text

    if session.bind.dialect.name == "postgresql":
        session.execute(text("create table bench_line (like finance_line including all)"))
    else:
        session.execute(text("create table bench_line as select * from finance_line where 0"))
    start = time.perf_counter()
    session.execute(text(
        "insert into bench_line (entry_id, account_id, customer_id, loan_id, debit, credit) "
        "select r.id, 1, c.customer_id, r.loan_id, 0, c.amount from lending_repayment r "
        "join lending_cash_entry c on c.repayment_id = r.id where r.reference like 'SYN-%' "
        "union all select r.id, 2, null, r.loan_id, r.amount, 0 from lending_repayment r where r.reference like 'SYN-%' "
        "union all select r.id, 3, null, r.loan_id, r.fee + r.service_fee, 0 from lending_repayment r "
        "where r.reference like 'SYN-%' "
        "union all select r.id, 4, null, r.loan_id, 0, r.fee + r.service_fee from lending_repayment r "
        "where r.reference like 'SYN-%' "
        "union all select r.id, 5, null, r.loan_id, 0, r.service_fee from lending_repayment r "
        "where r.reference like 'SYN-%' "
        "union all select r.id, 6, null, r.loan_id, r.principal, 0 from lending_repayment r "
        "where r.reference like 'SYN-%' "
        "union all select r.id, 7, null, r.loan_id, 0, r.principal from lending_repayment r "
        "where r.reference like 'SYN-%'"))
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repayments", type=int, default=100_000)
    parser.add_argument("--investors", type=int, default=50)
    parser.add_argument("--loans", type=int, default=20)
    parser.add_argument("--bank-lines", type=int, default=10_000)
    args = parser.parse_args(argv)
    url = database_url("finance")
    settings, registry, engine, version_id = prepare(url, "products lending finance")
    loan_ids = setup(engine, registry, settings, version_id, args.loans, args.investors)

    from core import context
    from core.audit import Actor, set_actor
    from core.db import get_session_factory

    factory = get_session_factory(engine)

    def session_():
        session = factory()
        set_actor(session, Actor(None, "bench"))
        context.bind(session, pm=registry["mutuo.pm"], settings=settings)
        return session

    from plugins.finance.services import bulk, journal

    session = session_()
    synthesize(session, loan_ids, args.repayments)
    session.commit()
    start = time.perf_counter()
    posted = bulk.post_unposted_repayments(session)
    session.commit()
    journal_seconds = time.perf_counter() - start
    bare = baseline(session)
    session.commit()
    from sqlalchemy import text

    lines = session.execute(text("select count(*) from bench_line")).scalar()
    print(f"finance journal, {engine.dialect.name}: {posted} repayments × {args.investors} investors, {lines} lines")
    print(f"  posted by the rules   {journal_seconds:8.2f} s   {posted / journal_seconds:10.0f} entries/s")
    print(f"  bare INSERT … SELECT  {bare:8.2f} s   ratio {journal_seconds / bare:.2f}× (target ≤ 3×)")
    session.close()

    if args.bank_lines:
        from plugins.finance.models import BankAccount
        from plugins.finance.services import bank

        session = session_()
        context.set_as_of(session, DISBURSED.replace(month=3))
        rows = "".join(f"2025-02-{1 + n % 27:02d},10.00,,LOAN-{loan_ids[n % len(loan_ids)]},Borrower\n"
                       for n in range(args.bank_lines))
        client = session.query(BankAccount).filter(BankAccount.account_code == "1010").one()
        statement = bank.import_statement(session, client, "bank.csv",
                                          ("Date,Amount,Reference,Description,Counterparty\n" + rows).encode())
        session.commit()
        start = time.perf_counter()
        done, refused = bank.post_bank_repayments(session, statement.id)
        session.commit()
        seconds = time.perf_counter() - start
        print(f"bank file: {args.bank_lines} lines, {done} repayments posted through lending's services, "
              f"{len(refused)} refused")
        print(f"  {seconds:8.2f} s   {done / seconds:8.1f} repayments/s (target ≥ 500/s)")
        check = session_()
        print(f"  books agree with lending: {not journal.differences(check)}, trial balance difference "
              f"{journal.trial_balance(check)['difference']}")
        check.close()


if __name__ == "__main__":
    main()
