"""Close of business: days past due, buckets and late penalties, set-based.

For every business date not yet closed, oldest first (missed days are caught
up), up to and including ``through`` (default: yesterday in the company's
time zone):

1. claim the date in ``lending_business_date`` (its primary key makes a second
   close of the same date impossible, even by two concurrent runs);
2. accrue the day's late penalty on every unpaid installment past its grace
   days: ``(unpaid principal + unpaid interest) × penalty_daily_rate``, exact
   to 8 places and never rounded in SQL (``core.money.money`` rounds it when
   it is read) — installments and their loans' totals in one statement on
   PostgreSQL (a data-modifying CTE), three on SQLite;
3. compute days past due and the bucket of every active loan whose figures
   change, off ``lending_loan.oldest_unpaid_due`` (the due date of the oldest
   unpaid installment, kept by the services), in one ``UPDATE ... FROM``
   (``RETURNING`` the old and new bucket on PostgreSQL; on SQLite a
   ``SELECT`` and one ``executemany``);
4. fire ``lending_loan_delinquency_changed`` for each loan whose bucket
   changed, loading those loans in chunks (only when a plugin listens).

No loan-at-a-time ORM loop; the work is proportional to the delinquent loans.

Chunked (the ``lending.close_of_business`` job, docs/jobs.md "Chunked jobs"):
:func:`plan_close` claims the dates and splits the active loans into id
ranges; :func:`close_chunk` does steps 2–4 for one range, every date in
order, in its own transaction; :func:`finish_close` records each date's
totals and its audit event. Every loan's figures depend only on that loan, so
the result is the one :func:`close_of_business` gives in one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Date, and_, bindparam, case, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from core import context
from core.audit import record_event
from core.errors import UserError
from core.models.meta import utcnow
from core.webhooks import subscribed
from plugins.lending.i18n import _, _n, text
from plugins.lending.i18n import amount as amount_text
from plugins.lending.i18n import day as day_text
from plugins.lending.models import BusinessDate, Installment, Loan
from plugins.lending.services import events
from plugins.lending.services.delinquency import bucket_case, buckets_from_settings, days_between

CHUNK = 1000
MAX_CATCH_UP_DAYS = 3660

I = Installment.__table__  # noqa: E741  (Core tables: no ORM bookkeeping per row)
L = Loan.__table__


@dataclass
class DayResult:
    business_date: date
    loans_changed: int = 0
    bucket_changes: list[tuple[int, str, str, int]] = field(default_factory=list)  # (loan, old, new, dpd)
    penalty: Decimal = Decimal(0)
    changed_buckets: int | None = None  # a chunked close counts them without the list

    @property
    def bucket_change_count(self) -> int:
        return len(self.bucket_changes) if self.changed_buckets is None else self.changed_buckets


@dataclass
class CloseResult:
    days: list[DayResult] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """What the run did, in the language being served (a job: the company's)."""
        if not self.days:
            return text(_("nothing to close: every business date up to the target is closed"))
        first, last = self.days[0].business_date, self.days[-1].business_date
        span = day_text(first) if first == last else text(_("${first} to ${last}", mapping={
            "first": day_text(first), "last": day_text(last)}))
        changes = sum(d.bucket_change_count for d in self.days)
        updates = sum(d.loans_changed for d in self.days)
        penalty = sum((d.penalty for d in self.days), Decimal(0))
        updates_text = _n("${n} loan update", "${n} loan updates", updates)
        changes_text = _n("${n} bucket change", "${n} bucket changes", changes)
        days = len(self.days)
        return _n("closed ${n} business date ${span}: ${updates}, ${changes}, penalties accrued ${penalty}",
                  "closed ${n} business dates ${span}: ${updates}, ${changes}, penalties accrued ${penalty}",
                  days, mapping={"span": span, "updates": updates_text, "changes": changes_text,
                                 "penalty": amount_text(penalty.quantize(Decimal("0.01")))})


def last_closed(session) -> date | None:
    """The last closed business date; while a chunk closes a date (``close_chunk``), that date."""
    closing = session.info.get("lending.closing_day")
    return closing or session.scalar(select(func.max(BusinessDate.business_date)))


def dates_to_close(session, through: date, start: date | None = None) -> list[date]:
    """Every date after the last closed one up to ``through``; ``start`` (or ``through``) on a first run."""
    last = last_closed(session)
    first = last + timedelta(days=1) if last else (start or through)
    days = (through - first).days + 1
    if days > MAX_CATCH_UP_DAYS:
        raise UserError(_("Close of business would have to catch up ${days} days from ${day}; close fewer by "
                          "passing an earlier 'through' date first.",
                          mapping={"days": days, "day": day_text(first)}), "through")
    return [first + timedelta(days=n) for n in range(max(days, 0))]


def close_of_business(session, through: date | None = None, *, start: date | None = None) -> CloseResult:
    """Close every business date not yet closed up to ``through``. See the module docstring."""
    buckets = buckets_from_settings(context.settings(session))
    through = through or context.today(session) - timedelta(days=1)
    result = CloseResult()
    for day in dates_to_close(session, through, start):
        result.days.append(close_day(session, day, buckets))
    if result.days:
        _recount_summary(session)
    return result


def _recount_summary(session) -> None:
    """Buckets moved through Core statements: the dashboard's summary is counted again (plugins.lending.summary)."""
    from core.summaries import recount_if_counted
    from plugins.lending.summary import SUMMARY

    session.flush()
    recount_if_counted(session, SUMMARY)


def close_day(session, day: date, buckets) -> DayResult:
    _claim(session, day)
    out = _close_loans(session, day, buckets, {})
    _record_day(session, out)
    return out


def _claim(session, day: date) -> None:
    session.flush()
    try:
        with session.begin_nested():
            session.execute(insert(BusinessDate.__table__).values(business_date=day, closed_at=utcnow()))
    except IntegrityError:
        raise UserError(_("Business date ${day} is already closed (another run closed it); nothing was done twice.",
                          mapping={"day": day_text(day)}), "through") from None


def _close_loans(session, day: date, buckets, ids: dict) -> DayResult:
    """Steps 2–4 for the loans of ``ids`` (a chunk's id range; ``{}``: every loan)."""
    out = DayResult(day)
    out.penalty = _accrue_penalties(session, day, ids)
    changes = _update_delinquency(session, day, buckets, ids)
    out.loans_changed = len(changes)
    out.bucket_changes = [c for c in changes if c[1] != c[2]]
    session.expire_all()  # loans and installments changed under the ORM's feet
    _fire_bucket_events(session, out.bucket_changes)
    return out


def _record_day(session, out: DayResult) -> None:
    changes = out.bucket_change_count
    session.execute(update(BusinessDate.__table__)
                    .where(BusinessDate.__table__.c.business_date == out.business_date)
                    .values(loans=out.loans_changed, bucket_changes=changes, penalty_accrued=out.penalty))
    record_event(session, "business_date_closed", "lending.business_date", out.business_date.isoformat(),
                 {"loans_changed": out.loans_changed, "bucket_changes": changes, "penalty_accrued": out.penalty})


# -- chunked: plan, chunks, finish ---------------------------------------------------------

def plan_close(session, size: int, through: date | None = None, *, start: date | None = None) -> list[dict]:
    """Claim every date to close and split the active loans into id ranges: one chunk's args each.

    An empty list: nothing to close. The claims commit with the plan, so a
    second run (or a single-path close) of the same dates is refused.
    """
    from core.jobs import id_ranges

    through = through or context.today(session) - timedelta(days=1)
    days = dates_to_close(session, through, start)
    if not days:
        return []
    for day in days:
        _claim(session, day)
    ranges = id_ranges(session, L.c.id, L.c.status == "active", size=size) or [{"lo": None, "hi": None}]
    return [{"days": [d.isoformat() for d in days], **r} for r in ranges]


def close_chunk(session, args: dict) -> dict:
    """Close the loans of one id range for every planned date, oldest first; JSON totals per date."""
    buckets = buckets_from_settings(context.settings(session))
    totals = {}
    for iso in args["days"]:
        day = date.fromisoformat(iso)
        # Listeners (collections) read "the last closed date": the one being closed, as in the single path.
        session.info["lending.closing_day"] = day
        try:
            out = _close_loans(session, day, buckets, args)
        finally:
            session.info.pop("lending.closing_day", None)
        totals[iso] = {"loans": out.loans_changed, "changes": len(out.bucket_changes), "penalty": str(out.penalty)}
    return totals


def finish_close(session, results: list[dict]) -> CloseResult:
    """Each date's totals over every chunk, recorded on the date with its audit event."""
    result = CloseResult()
    for iso in sorted({iso for totals in results for iso in totals}):
        out = DayResult(date.fromisoformat(iso), changed_buckets=0)
        for totals in results:
            day = totals.get(iso) or {"loans": 0, "changes": 0, "penalty": "0"}
            out.loans_changed += day["loans"]
            out.changed_buckets = (out.changed_buckets or 0) + day["changes"]
            out.penalty += Decimal(day["penalty"])
        _record_day(session, out)
        result.days.append(out)
    if result.days:
        _recount_summary(session)
    return result


# -- 2. penalties ------------------------------------------------------------------

def _penalty_base():
    return (I.c.principal_due - I.c.principal_paid) + (I.c.interest_due - I.c.interest_waived - I.c.interest_paid)


def _accruing(day: date, loan, ids: dict):
    from core.jobs import in_range

    d = bindparam("day", day, type_=Date)
    # due_date < day is implied by penalty_from <= day; saying it lets the (paid_on, due_date) index
    # limit the scan to overdue unpaid installments.
    return and_(I.c.paid_on.is_(None), I.c.due_date < d, I.c.penalty_from <= d,
                loan.c.id == I.c.loan_id, loan.c.status == "active", loan.c.penalty_daily_rate > 0,
                _penalty_base() > 0, in_range(I.c.loan_id, ids))


def _accrue_penalties(session, day: date, ids: dict) -> Decimal:
    if session.get_bind().dialect.name == "postgresql":
        return _accrue_penalties_pg(session, day, ids)
    loan = L.alias("rate_loan")
    amount = _penalty_base() * loan.c.penalty_daily_rate
    per_loan = (select(I.c.loan_id.label("loan_id"), func.sum(amount).label("amount"))
                .where(_accruing(day, loan, ids)).group_by(I.c.loan_id).subquery("day_penalty"))
    total = session.execute(select(func.sum(per_loan.c.amount))).scalar()
    if not total:
        return Decimal(0)
    session.execute(update(L).where(L.c.id == per_loan.c.loan_id)
                    .values(penalty_accrued=L.c.penalty_accrued + per_loan.c.amount))
    session.execute(update(I).where(_accruing(day, L, ids)).values(
        penalty_accrued=I.c.penalty_accrued + _penalty_base() * L.c.penalty_daily_rate))
    return Decimal(total)


def _accrue_penalties_pg(session, day: date, ids: dict) -> Decimal:
    """One statement: installments accrue, their loans add it up, the day's total comes back."""
    amount = _penalty_base() * L.c.penalty_daily_rate
    accrued = (update(I).where(_accruing(day, L, ids)).values(penalty_accrued=I.c.penalty_accrued + amount)
               .returning(I.c.loan_id.label("loan_id"), amount.label("amount")).cte("accrued"))
    per_loan = (select(accrued.c.loan_id, func.sum(accrued.c.amount).label("amount"))
                .group_by(accrued.c.loan_id).cte("per_loan"))
    loans = (update(L).where(L.c.id == per_loan.c.loan_id)
             .values(penalty_accrued=L.c.penalty_accrued + per_loan.c.amount)
             .returning(per_loan.c.amount.label("amount")).cte("loans"))
    total = session.execute(select(func.sum(loans.c.amount))).scalar()
    return Decimal(total or 0)


# -- 3. days past due and buckets ----------------------------------------------------

def _changed_loans(session, day: date, buckets, ids: dict):
    """A subquery of (id, old_bucket, bucket, dpd) for every active loan whose figures change.

    Days past due come off ``lending_loan.oldest_unpaid_due``, which the services keep equal to the
    oldest unpaid installment's due date (the tests and the benchmark check both ways agree).
    """
    from core.jobs import in_range

    dialect = session.get_bind().dialect.name
    d = bindparam("day", day, type_=Date)
    overdue = L.c.oldest_unpaid_due < d
    dpd = case((overdue, days_between(dialect, d, L.c.oldest_unpaid_due)), else_=literal(0))
    bucket = bucket_case(dpd, buckets)
    return (select(L.c.id.label("id"), L.c.bucket.label("old_bucket"), bucket.label("bucket"), dpd.label("dpd"))
            .where(L.c.status == "active", in_range(L.c.id, ids), or_(overdue, L.c.days_past_due != 0, L.c.bucket != buckets[0].name),
                   or_(L.c.days_past_due != dpd, L.c.bucket != bucket))
            .subquery("changed"))


def _update_delinquency(session, day: date, buckets, ids: dict) -> list[tuple[int, str, str, int]]:
    changed = _changed_loans(session, day, buckets, ids)
    if session.get_bind().dialect.name == "postgresql":
        stmt = (update(L).where(L.c.id == changed.c.id)
                .values(days_past_due=changed.c.dpd, bucket=changed.c.bucket)
                .returning(L.c.id, changed.c.old_bucket, changed.c.bucket, changed.c.dpd))
        rows = session.execute(stmt).all()
    else:
        rows = session.execute(select(changed.c.id, changed.c.old_bucket, changed.c.bucket, changed.c.dpd)).all()
        if rows:
            session.execute(update(L).where(L.c.id == bindparam("loan_id"))
                            .values(days_past_due=bindparam("new_dpd"), bucket=bindparam("new_bucket")),
                            [{"loan_id": r[0], "new_dpd": r[3], "new_bucket": r[2]} for r in rows])
    return sorted((int(r[0]), r[1], r[2], int(r[3])) for r in rows)


# -- 4. events --------------------------------------------------------------------------

def _fire_bucket_events(session, changes) -> None:
    if changes and subscribed(session, "lending.loan.delinquency_changed"):
        for loan_id, old, new, dpd in changes:
            events.delinquency_changed(session, loan_id, old, new, dpd)
    if not changes or not context.has_listeners(session, "lending_loan_delinquency_changed"):
        return
    hook = context.hooks(session).lending_loan_delinquency_changed
    for start in range(0, len(changes), CHUNK):
        chunk = changes[start:start + CHUNK]
        loans = {loan.id: loan for loan in session.scalars(select(Loan).where(Loan.id.in_([c[0] for c in chunk])))}
        for loan_id, old, new, dpd in chunk:
            hook(loan=loans[loan_id], old_bucket=old, new_bucket=new, days_past_due=dpd)
