"""Post-loan monitoring: early-warning signals, the watch list and customers' risk levels.

Signals come from events, never from a nightly scan:

* ``first_late`` — a loan moves from ``current`` into the first bucket
  (lending's ``lending_loan_delinquency_changed``);
* ``second_loan_late`` — a loan turns late while another active loan of
  the same borrower is already late;
* ``high_risk_report`` — a collector reported the client
  (collections' ``collections_high_risk_reported``); the borrower is also
  put on watch;
* ``watchlist_hit`` — a blacklist hit on a borrower with an active loan.

Each signal waits in the monitoring queue until an analyst closes it with
the follow-up. A borrower on watch has their risk level raised to at least
``high`` and their new applications referred (the ``on_watch`` rule).
"""
from __future__ import annotations

from sqlalchemy import select

from core import context
from core.audit import current_actor, record_event
from core.errors import ConflictError, UserError
from plugins.lending.models import Customer, Loan
from plugins.risk.i18n import _
from plugins.risk.models import LEVELS, Profile, Signal

CURRENT = "current"


def profile_of(session, customer_id: int) -> Profile:
    profile = session.scalar(select(Profile).where(Profile.customer_id == customer_id))
    if profile is None:
        profile = Profile(customer_id=customer_id, level="low", on_watch=False)
        session.add(profile)
        session.flush()
    return profile


def raise_signal(session, customer_id: int, loan_id: int | None, kind: str, detail: str) -> Signal | None:
    """A new open signal, unless the same kind is already open for the same loan (or customer)."""
    duplicate = session.scalar(select(Signal.id).where(Signal.customer_id == customer_id, Signal.kind == kind,
                                                       Signal.loan_id == loan_id if loan_id else
                                                       Signal.loan_id.is_(None), Signal.status == "open"))
    if duplicate is not None:
        return None
    signal = Signal(customer_id=customer_id, loan_id=loan_id, kind=kind, detail=str(detail)[:2000],
                    raised_on=context.today(session), status="open")
    session.add(signal)
    session.flush()
    return signal


THRESHOLDS = (30, 60, 90)


def mark_delinquency(session, loan_id: int, days_past_due: int) -> None:
    """Remember the first day the loan went past 30, 60 and 90 days past due (for the reports)."""
    from plugins.risk.models import DelinquencyMark

    reached = [t for t in THRESHOLDS if days_past_due > t]
    if not reached:
        return
    known = set(session.scalars(select(DelinquencyMark.threshold).where(DelinquencyMark.loan_id == loan_id)))
    for threshold in reached:
        if threshold not in known:
            session.add(DelinquencyMark(loan_id=loan_id, threshold=threshold, reached_on=context.today(session)))
    session.flush()


def on_delinquency_changed(session, loan: Loan, old_bucket: str, new_bucket: str, days_past_due: int) -> None:
    mark_delinquency(session, loan.id, days_past_due)
    if old_bucket != CURRENT or new_bucket == CURRENT:
        return
    raise_signal(session, loan.customer_id, loan.id, "first_late",
                 f"{old_bucket} → {new_bucket}, {days_past_due} dpd")
    other_late = session.scalar(select(Loan.id).where(Loan.customer_id == loan.customer_id, Loan.id != loan.id,
                                                      Loan.status == "active", Loan.bucket != CURRENT).limit(1))
    if other_late is not None:
        raise_signal(session, loan.customer_id, loan.id, "second_loan_late",
                     f"loan {other_late} is already late")


def on_high_risk_reported(session, customer_id: int, loan_id: int | None, reason: str) -> None:
    raise_signal(session, customer_id, loan_id, "high_risk_report", reason)
    put_on_watch(session, session.get(Customer, customer_id), reason)


def set_level(session, customer: Customer, level: str, reason: str) -> Profile:
    if level not in LEVELS:
        raise UserError(_("Choose a risk level."), "level")
    profile = profile_of(session, customer.id)
    old = profile.level
    if old != level:
        profile.level = level
        session.flush()
        context.hooks(session).risk_level_changed(customer=customer, old_level=old, new_level=level, reason=reason)
    return profile


def put_on_watch(session, customer: Customer, reason: str) -> Profile:
    """Watch a borrower: level at least ``high``; their new applications are referred."""
    profile = profile_of(session, customer.id)
    if not profile.on_watch:
        profile.on_watch = True
        profile.watch_reason = str(reason)[:2000]
        profile.watch_since = context.today(session)
        session.flush()
    if LEVELS.index(profile.level) < LEVELS.index("high"):
        set_level(session, customer, "high", str(reason))
    return profile


def end_watch(session, customer: Customer, reason: str) -> Profile:
    if not (reason or "").strip():
        raise UserError(_("Say why the watch ends."), "reason")
    profile = profile_of(session, customer.id)
    profile.on_watch = False
    session.flush()
    record_event(session, "risk_watch_ended", "lending.customer", customer.id, {"reason": reason.strip()})
    return profile


def close_signal(session, signal: Signal, follow_up: str, *, watch: bool = False) -> Signal:
    """The analyst's follow-up closes the signal; ``watch`` also puts the borrower on watch."""
    if signal.status != "open":
        raise ConflictError(_("This signal is already closed."), "status")
    follow_up = (follow_up or "").strip()
    if not follow_up:
        raise UserError(_("Write what was done about the signal."), "follow_up")
    signal.status, signal.follow_up = "closed", follow_up
    signal.handled_by_id = current_actor(session).id
    session.flush()
    if watch:
        put_on_watch(session, signal.customer, follow_up)
    return signal
