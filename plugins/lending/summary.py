"""The lending dashboard's totals, maintained (core.summaries) instead of scanned per view.

- ``("bucket", name)``: active loans with a schedule, and their principal outstanding
  (``principal_due - principal_paid`` of every installment), per delinquency bucket; their sum is the
  loan book's principal outstanding;
- ``("pipeline", status)``: applications in each open status of the funnel, the amount they ask and
  the amount reserved or spent by investments.

Kept exact by the flush listener (repayments, disbursements, write-offs, funding, releases) and
recounted by close of business, whose bucket moves are Core statements.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect

from core import summaries
from core.money import money
from plugins.lending.models import Application, Installment, Investment, LendingSummary, Loan

PIPELINE = ("submitted", "approved", "listed", "funded")


def _left():
    return func.sum(Installment.principal_due - Installment.principal_paid)


def _loan_totals(rows) -> summaries.Totals:
    out: summaries.Totals = {}
    for bucket, n, left in rows:
        key = ("bucket", bucket or "")
        prev = out.get(key, (0, money(0), money(0)))
        out[key] = (prev[0] + int(n), prev[1] + money(left or 0), prev[2])
    return out


def _app_totals(rows) -> summaries.Totals:
    out: summaries.Totals = {}
    for status, n, asked, got in rows:
        key = ("pipeline", status)
        prev = out.get(key, (0, money(0), money(0)))
        out[key] = (prev[0] + int(n), prev[1] + money(asked or 0), prev[2] + money(got or 0))
    return out


def _invested():
    return (select(Investment.application_id, func.sum(Investment.amount).label("amount"))
            .where(Investment.status.in_(("reserved", "spent"))).group_by(Investment.application_id))


def _totals(session, loan_ids=None, app_ids=None) -> summaries.Totals:
    """Bucket and pipeline totals of the given loans and applications (all of them when both are None)."""
    everything = loan_ids is None and app_ids is None
    out: summaries.Totals = {}
    if everything or loan_ids:
        per_loan = (select(Installment.loan_id, _left().label("left")).group_by(Installment.loan_id))
        if not everything:
            per_loan = per_loan.where(Installment.loan_id.in_(sorted(loan_ids)))
        sub = per_loan.subquery()
        stmt = (select(Loan.bucket, func.count(Loan.id), func.sum(sub.c.left))
                .join(sub, sub.c.loan_id == Loan.id).where(Loan.status == "active").group_by(Loan.bucket))
        out.update(_loan_totals(session.execute(stmt).all()))
    if everything or app_ids:
        invested = _invested()
        if not everything:
            invested = invested.where(Investment.application_id.in_(sorted(app_ids)))
        sub = invested.subquery()
        stmt = (select(Application.status, func.count(Application.id), func.sum(Application.amount),
                       func.sum(sub.c.amount))
                .outerjoin(sub, sub.c.application_id == Application.id)
                .where(Application.status.in_(PIPELINE)).group_by(Application.status))
        if not everything:
            stmt = stmt.where(Application.id.in_(sorted(app_ids)))
        out.update(_app_totals(session.execute(stmt).all()))
    return out


def _contributions(session, ids) -> summaries.Totals:
    return _totals(session, loan_ids={i for kind, i in ids if kind == "loan"},
                   app_ids={i for kind, i in ids if kind == "app"})


def _recount(session) -> summaries.Totals:
    return _totals(session)


def _keys(session):
    from core import context
    from plugins.lending.services.delinquency import bucket_names, buckets_from_settings

    names = bucket_names(buckets_from_settings(context.settings(session) or {}))
    return [("bucket", n) for n in names] + [("pipeline", s) for s in PIPELINE]


def _related(obj, attr: str, fk: str):
    """The ids an object's foreign key had before and has now (a new row's may be set by relationship)."""
    state = sa_inspect(obj)
    ids = set(state.attrs[fk].history.sum()) | {getattr(obj, fk)}
    parent = state.attrs[attr].loaded_value if attr in state.dict else None
    if parent is not None and getattr(parent, "id", None) is not None:
        ids.add(parent.id)
    return ids


SUMMARY = summaries.register(summaries.Summary(
    table=LendingSummary.__table__,
    contributions=_contributions,
    recount=_recount,
    keys=_keys,
    watch={
        Loan: lambda o: {("loan", o.id)} | {("app", i) for i in _related(o, "application", "application_id")},
        Installment: lambda o: {("loan", i) for i in _related(o, "loan", "loan_id")},
        Application: lambda o: {("app", o.id)},
        Investment: lambda o: {("app", i) for i in _related(o, "application", "application_id")},
    },
))


def read(session) -> summaries.Totals:
    return summaries.read(session, SUMMARY)


def recount(session) -> summaries.Totals:
    return summaries.recount(session, SUMMARY)


def outstanding_principal(totals: summaries.Totals) -> Decimal:
    return money(sum((v[1] for (kind, _k), v in totals.items() if kind == "bucket"), Decimal(0)))


def by_bucket(totals: summaries.Totals, names: list[str]) -> list[tuple[str, int, Decimal]]:
    found = {key: (n, left) for (kind, key), (n, left, _b) in totals.items() if kind == "bucket" and (n or left)}
    order = list(names) + [b for b in found if b not in names]
    return [(name, *found.get(name, (0, money(0)))) for name in order]


def pipeline(totals: summaries.Totals) -> list[tuple[str, int, Decimal, Decimal]]:
    return [(status, *totals.get(("pipeline", status), (0, money(0), money(0)))) for status in PIPELINE]
