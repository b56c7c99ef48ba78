"""The life of a case, driven by lending's events.

::

    loan current → overdue ──▶ open (stage from collections.stage_map)
        bucket changes stage ──▶ re-staged (new stage entry, reassigned by the assignment job)
        loan current again / closed ──▶ resolved
        loan written off ──▶ written_off (found by the daily sync: lending has no event for it)

``open``, ``promised`` and ``escalated`` are open statuses; at most one open
case per loan (the unique ``open_loan_id`` column refuses a second one).

The overdue amount of a case is the unpaid principal, interest and fees of
the loan's installments due before the business date its days past due are
counted on (lending's last closed date); penalties are shown apart, on the
loan. With it the case keeps ``overdue_since``, the due date of the oldest
unpaid installment, so lists compute days past due (and the queue's
priority) from the case row alone. Both are refreshed on every event and,
set-based, by the daily sync.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import exists, func, insert, literal, or_, select, update

from core.audit import record_event
from core.money import ZERO, money
from core.webhooks import subscribed
from plugins.collections.i18n import _, _n
from plugins.collections.models import (
    OPEN_STATUSES,
    ActionItem,
    BucketChange,
    Case,
    StageEntry,
)
from plugins.collections.services import config, events
from plugins.lending.models import CURRENT, Installment, Loan
from plugins.lending.services import last_closed

I = Installment.__table__  # noqa: E741


def business_date(session) -> date:
    """The date lending's days past due are counted on: its last closed date, else today."""
    return last_closed(session) or config.today(session)


def owed_expression(table=I):
    """SQL: what one installment still owes of principal, interest and fees."""
    return ((table.c.principal_due - table.c.principal_paid)
            + (table.c.interest_due - table.c.interest_waived - table.c.interest_paid)
            + (table.c.fee_due - table.c.fee_waived - table.c.fee_paid))


def overdue(session, loan_id: int, as_of: date) -> tuple:
    """(overdue amount, due date of the oldest unpaid installment) of one loan as of ``as_of``."""
    total, oldest = session.execute(select(func.sum(owed_expression()), func.min(I.c.due_date))
                                    .where(I.c.loan_id == loan_id, I.c.paid_on.is_(None), I.c.due_date < as_of)).one()
    return money(total or 0), oldest


def refresh_case(session, case: Case, as_of: date) -> None:
    case.overdue_amount, case.overdue_since = overdue(session, case.loan_id, as_of)


def open_case_for(session, loan_id: int) -> Case | None:
    return session.scalars(select(Case).where(Case.open_loan_id == loan_id)).first()


def current_stage_entry(session, case: Case) -> StageEntry | None:
    return session.scalars(select(StageEntry).where(StageEntry.case_id == case.id)
                           .order_by(StageEntry.id.desc()).limit(1)).first()


# -- events ---------------------------------------------------------------------------

def on_delinquency_changed(session, loan: Loan, old_bucket: str, new_bucket: str, days_past_due: int):
    """Open, re-stage or resolve the loan's case; record the bucket change for roll rates."""
    on = business_date(session)
    session.add(BucketChange(loan_id=loan.id, old_bucket=old_bucket, new_bucket=new_bucket,
                             days_past_due=days_past_due, changed_on=on))
    case = open_case_for(session, loan.id)
    if new_bucket == CURRENT or loan.status != "active":
        if case is not None:
            resolve(session, case, on, "loan closed" if loan.status == "closed" else "loan current again")
        session.flush()
        return case
    stage = config.stage_map(session)[new_bucket]
    if case is None:
        case = open_case(session, loan, new_bucket, stage, on)
    else:
        case.bucket = new_bucket
        refresh_case(session, case, on)
        if stage != case.stage:
            restage(session, case, stage, on)
    session.flush()
    return case


def on_loan_closed(session, loan: Loan) -> None:
    case = open_case_for(session, loan.id)
    if case is not None:
        resolve(session, case, loan.closed_on or business_date(session), "loan closed")
        session.flush()


def open_case(session, loan: Loan, bucket: str, stage: str, on: date) -> Case:
    owed, since = overdue(session, loan.id, on)
    case = Case(loan_id=loan.id, open_loan_id=loan.id, customer_id=loan.customer_id, status="open", stage=stage,
                bucket=bucket, region=loan.region or "", needs_assignment=True, overdue_amount=owed,
                overdue_since=since, opened_on=on, stage_since=on, broken_promises=0, high_risk=False)
    session.add(case)
    session.flush()
    session.add(StageEntry(case_id=case.id, stage=stage, bucket=bucket, entered_on=on, overdue_at_entry=owed))
    events.case_opened(session, case)
    return case


def restage(session, case: Case, stage: str, on: date) -> None:
    """Move an open case to another stage: a new stage entry, reassignment, old items dropped."""
    entry = current_stage_entry(session, case)
    if entry is not None and entry.left_on is None:
        entry.left_on = on
    case.stage = stage
    case.stage_since = on
    case.needs_assignment = True
    session.add(StageEntry(case_id=case.id, stage=stage, bucket=case.bucket, entered_on=on,
                           overdue_at_entry=case.overdue_amount))
    _skip_pending_items(session, [case.id])


def resolve(session, case: Case, on: date, reason: str, status: str = "resolved") -> None:
    case.status = status
    case.open_loan_id = None
    case.closed_on = on
    case.close_reason = reason[:60]
    case.needs_assignment = False
    case.promise_due = None
    entry = current_stage_entry(session, case)
    if entry is not None and entry.left_on is None:
        entry.left_on = on
    _skip_pending_items(session, [case.id])
    events.case_closed(session, case)


def _skip_pending_items(session, case_ids) -> None:
    session.execute(update(ActionItem).where(ActionItem.case_id.in_(case_ids), ActionItem.status == "due")
                    .values(status="skipped").execution_options(synchronize_session=False))


# -- the daily sync (set-based) ----------------------------------------------------------

def sync(session) -> str:
    """Bring every case in line with the loans, in a few statements whatever the book's size.

    1. close open cases whose loan is closed, written off or current (events missed or none exist);
    2. open cases for overdue active loans that have none (e.g. collections enabled on an existing book);
    3. refresh every open case's overdue amount as of lending's last closed date.
    """
    on = business_date(session)
    closed = _close_stale(session, on)
    opened = _open_missing(session, on)
    refreshed = refresh_amounts(session, on)
    # Cases opened and amounts refreshed by Core statements: the dashboard's summary counts again.
    from plugins.collections.summary import recount_if_counted

    recount_if_counted(session)
    record_event(session, "cases_synced", "collections.case", None,
                 {"business_date": on, "closed": closed, "opened": opened, "amounts_changed": refreshed})
    from core.formatting import current

    fmt = current()
    return fmt.translate(_("as of ${date}: ${opened}, ${closed}, ${changed}", mapping={
        "date": fmt.date(on), "opened": _n("${n} case opened", "${n} cases opened", opened),
        "closed": _n("${n} closed", "${n} closed", closed),
        "changed": _n("${n} overdue amount changed", "${n} overdue amounts changed", refreshed)}))


def _close_stale(session, on: date) -> int:
    stale = session.execute(
        select(Case, Loan.status).join(Loan, Loan.id == Case.loan_id)
        .where(Case.status.in_(OPEN_STATUSES), (Loan.status != "active") | (Loan.bucket == CURRENT))).all()
    for case, loan_status in stale:
        if loan_status == "written_off":
            resolve(session, case, on, "loan written off", "written_off")
        else:
            resolve(session, case, on, "loan closed" if loan_status == "closed" else "loan current again")
    session.flush()
    return len(stale)


def _open_missing(session, on: date) -> int:
    mapping = config.stage_map(session)
    L = Loan.__table__
    C = Case.__table__
    missing = (select(L.c.id, L.c.customer_id, L.c.bucket, L.c.region)
               .where(L.c.status == "active", L.c.bucket != CURRENT,
                      ~exists().where(C.c.open_loan_id == L.c.id))).subquery()
    rows = session.execute(select(missing)).all()
    if not rows:
        return 0
    session.execute(insert(C), [
        {"loan_id": r.id, "open_loan_id": r.id, "customer_id": r.customer_id, "status": "open",
         "stage": mapping[r.bucket], "bucket": r.bucket, "region": r.region or "", "needs_assignment": True,
         "overdue_amount": ZERO, "opened_on": on, "stage_since": on, "broken_promises": 0, "high_risk": False,
         "close_reason": "", "created_at": _now()} for r in rows])
    session.execute(insert(StageEntry.__table__).from_select(
        ["case_id", "stage", "bucket", "entered_on", "overdue_at_entry"],
        select(C.c.id, C.c.stage, C.c.bucket, literal(on), literal(ZERO)).where(
            C.c.status.in_(OPEN_STATUSES), ~exists().where(StageEntry.case_id == C.c.id))))
    if subscribed(session, events.CASE_OPENED):  # one event per case opened, as open_case does
        from plugins.collections.services import bulk

        for chunk in bulk.id_chunks(session, [r.id for r in rows]):
            for case in session.scalars(select(Case).where(bulk.in_ids(session, Case.open_loan_id, chunk))):
                events.case_opened(session, case)
    return len(rows)


def _now():
    from core.models.meta import utcnow

    return utcnow()


def refresh_amounts(session, on: date) -> int:
    """Set every open case's overdue amount as of ``on``; returns how many changed."""
    C = Case.__table__
    S = StageEntry.__table__
    owed = (select(I.c.loan_id.label("loan_id"), func.sum(owed_expression()).label("amount"),
                   func.min(I.c.due_date).label("since"))
            .where(I.c.paid_on.is_(None), I.c.due_date < on).group_by(I.c.loan_id).subquery("owed"))
    changed = session.execute(
        update(C).where(C.c.loan_id == owed.c.loan_id, C.c.status.in_(OPEN_STATUSES),
                        or_(C.c.overdue_amount != owed.c.amount, C.c.overdue_since.is_(None),
                            C.c.overdue_since != owed.c.since))
        .values(overdue_amount=owed.c.amount, overdue_since=owed.c.since)).rowcount
    nothing_owed = ~exists().where(I.c.loan_id == C.c.loan_id, I.c.paid_on.is_(None), I.c.due_date < on)
    changed += session.execute(
        update(C).where(C.c.status.in_(OPEN_STATUSES), or_(C.c.overdue_amount != 0, C.c.overdue_since.is_not(None)),
                        nothing_owed)
        .values(overdue_amount=0, overdue_since=None)).rowcount
    # Entries opened by the set-based path start at zero: give them their amount at entry.
    session.execute(update(S).where(S.c.case_id == C.c.id, S.c.left_on.is_(None), S.c.overdue_at_entry == 0,
                                    C.c.status.in_(OPEN_STATUSES), C.c.overdue_amount > 0)
                    .values(overdue_at_entry=C.c.overdue_amount))
    session.expire_all()
    return changed


__all__ = ["on_delinquency_changed", "on_loan_closed", "open_case_for", "resolve", "sync", "refresh_amounts",
           "business_date", "overdue", "refresh_case"]
