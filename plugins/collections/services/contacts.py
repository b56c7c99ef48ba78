"""Contact attempts and promises to pay.

A contact is recorded as it happened: channel, outcome, note, the next action
date. An SMS or email contact sends its text through the message gateway
(:mod:`.messages`). Logging a contact completes the case's oldest due action
item of that channel. The outcome ``promise_to_pay`` needs an amount and a
date: it records a promise (replacing a pending one) and the case becomes
``promised``.

Promises are settled by :func:`check_promises` (the job
``collections.check_promises``) and, for ``kept``, as soon as a repayment
arrives: a promise is **kept** when the repayments on the loan from the day
it was made up to ``due_on`` + ``collections.promise_grace_days`` reach
``collections.promise_threshold`` × the promised amount; it is **broken** once
that day has passed without it. A broken promise counts against the case
(``broken_promises``), which raises its priority in the collector's queue.

Limits: a promised date is from today to ``collections.promise_horizon_days``
ahead; a promised amount is at most what the borrower owes today
(:func:`owed_now`: every part of the installments due, penalties included)
× ``collections.promise_factor``, and never above ``lending.max_amount``.
Logging a contact locks the case row first (:func:`core.db.lock`), so two
collectors recording promises at once cannot both leave one pending.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from core.audit import record_event
from core.db import lock
from core.errors import ConflictError, UserError
from core.formatting import current
from core.money import ZERO, money, parse_money
from plugins.collections.i18n import _, _n
from plugins.collections.models import (
    CHANNELS,
    MESSAGE_CHANNELS,
    OUTCOMES,
    Case,
    Contact,
    Promise,
)
from plugins.collections.services import actions, config, events, messages
from plugins.lending.models import Installment, Repayment
from plugins.lending.services import limits
from plugins.lending.services.loans import owed

NOTE_REQUIRED = ("dispute", "claims_paid", "refused", "third_party", "wrong_number")
CHUNK = 900


def _date(value, field: str, what) -> date | None:
    """A date, or text typed in the language being served (ISO always read: 2026-03-31, or 31/03/2026 in es)."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    from core.web.parsing import DEFAULT_LOCALE, current_locale
    from core.web.parsing import parse_date as parse_typed

    locale = current_locale()
    try:
        if locale == DEFAULT_LOCALE:
            return date.fromisoformat(str(value).strip())
        return parse_typed(str(value), field, locale=locale)
    except ValueError:
        example = "2026-03-31" if locale == DEFAULT_LOCALE else current().date_input(date(2026, 3, 31))
        raise UserError(_("'${value}' is not a date; write the ${what} like ${example}.",
                          mapping={"value": value, "what": current().translate(what), "example": example}),
                        field) from None


def _amount(value, field: str) -> Decimal | None:
    """An amount, or text typed in the language being served (1.234,56 in Spanish)."""
    if value in (None, ""):
        return None
    if isinstance(value, Decimal):
        return money(value)
    from core.web.parsing import current_locale

    try:
        return parse_money(value, locale=current_locale())
    except ValueError as exc:
        raise UserError(exc.args[0] if exc.args else str(exc), field) from None


def log_contact(session, case: Case, collector_id: int | None, *, channel: str, outcome: str, note: str = "",
                next_action_on=None, promise_amount=None, promise_due=None, message: str = "") -> Contact:
    """Record one contact attempt (and its promise or message). See the module docstring."""
    today = config.today(session)
    case = lock(session, Case, case.id)
    if not case.is_open:
        raise ConflictError(_("Case ${id} is ${status}; contacts are logged on open cases.",
                              mapping={"id": case.id, "status": _words(case.status)}), "channel")
    if channel not in CHANNELS:
        raise UserError(_("Choose how you contacted them: ${channels}.", mapping={"channels": _words(*CHANNELS)}),
                        "channel")
    if outcome not in OUTCOMES:
        raise UserError(_("Choose the outcome: ${outcomes}.", mapping={"outcomes": _words(*OUTCOMES)}), "outcome")
    note = (note or "").strip()
    if outcome in NOTE_REQUIRED and not note:
        raise UserError(_("Say what happened: a ${outcome} outcome needs a note.",
                          mapping={"outcome": _words(outcome)}), "note")
    next_on = _date(next_action_on, "next_action_on", _("next action date"))
    if next_on is not None and next_on < today:
        raise UserError(_("The next action date ${date} is in the past; choose today or later.",
                          mapping={"date": current().date(next_on)}), "next_action_on")
    amount = _amount(promise_amount, "promise_amount")
    due = _date(promise_due, "promise_due", _("promised date"))
    if outcome == "promise_to_pay":
        _check_promise(session, case, amount, due, today)
    elif amount is not None or due is not None:
        raise UserError(_("A promised amount and date go with the outcome 'promise to pay' only."), "promise_amount")
    if channel in MESSAGE_CHANNELS:
        messages.check_sendable(case, channel, message)  # refuse before anything is written
    contact = Contact(case_id=case.id, collector_id=collector_id, channel=channel, outcome=outcome, note=note,
                      next_action_on=next_on, contacted_on=today, stage=case.stage)
    session.add(contact)
    session.flush()
    if channel in MESSAGE_CHANNELS:
        messages.queue_message(session, case, channel, message, contact_id=contact.id)
    by = _username(session, collector_id)
    actions.complete_matching(session, case.id, channel, by)
    if next_on is not None:
        case.next_action_on = next_on
    if outcome == "promise_to_pay":
        make_promise(session, case, contact, collector_id, amount, due, today)
    session.flush()
    return contact


def _words(*codes) -> str:
    """Stored codes as words in the language being served, joined: ``call, sms, email``."""
    fmt = current()
    return ", ".join(fmt.label(c, "collections") for c in codes)


def _username(session, user_id) -> str:
    from core.models.user import User

    user = session.get(User, user_id) if user_id else None
    return user.username if user else "system"


def owed_now(session, case: Case, today: date) -> Decimal:
    """What the borrower owes on ``today``: every unpaid part of the installments due, penalties included."""
    items = session.scalars(select(Installment).where(Installment.loan_id == case.loan_id,
                                                      Installment.paid_on.is_(None))).all()
    return sum((owed(i).total for i in items if i.due_date <= today or i.penalty_due > ZERO), ZERO)


def promise_limit(session, case: Case, today: date) -> Decimal:
    """The most a promise on ``case`` may be: what is owed now × ``collections.promise_factor``."""
    return money(owed_now(session, case, today) * config.promise_factor(config.settings(session)))


def _check_promise(session, case: Case, amount, due, today) -> None:
    if amount is None:
        raise UserError(_("Enter the amount they promised to pay."), "promise_amount")
    if amount <= ZERO:
        raise UserError(_("A promised amount is more than zero."), "promise_amount")
    limits.check_amount(session, amount, "promise_amount", "A promised amount")
    limit = promise_limit(session, case, today)
    if limit <= ZERO:
        raise UserError(_("Nothing is owed on this loan today, so there is nothing to promise; record another "
                          "outcome."), "promise_amount")
    fmt = current()
    if amount > limit:
        raise UserError(_("A promise is at most ${limit} (what is owed today × ${factor}); agree an amount up to "
                          "that.", mapping={"limit": fmt.money(limit),
                                            "factor": fmt.number(config.promise_factor(config.settings(session)))}),
                        "promise_amount")
    if due is None:
        raise UserError(_("Enter the date they promised to pay by."), "promise_due")
    if due < today:
        raise UserError(_("The promised date ${date} is in the past; choose today or later.",
                          mapping={"date": fmt.date(due)}), "promise_due")
    horizon = config.promise_horizon_days(config.settings(session))
    if due > today + timedelta(days=horizon):
        raise UserError(_("A promise is at most ${n} days ahead (until ${date}); agree an earlier date.",
                          mapping={"n": fmt.number(horizon), "date": fmt.date(today + timedelta(days=horizon))}),
                        "promise_due")


def make_promise(session, case: Case, contact: Contact | None, collector_id, amount: Decimal, due: date,
                 today: date) -> Promise:
    for earlier in session.scalars(select(Promise).where(Promise.case_id == case.id, Promise.status == "pending")):
        earlier.status, earlier.resolved_on = "cancelled", today  # the new promise replaces it
    promise = Promise(case_id=case.id, contact_id=contact.id if contact else None, collector_id=collector_id,
                      amount=amount, made_on=today, due_on=due, status="pending", paid_amount=ZERO)
    session.add(promise)
    if case.status == "open":
        case.status = "promised"
    case.promise_due = due
    session.flush()
    events.promise_made(session, case, promise)
    return promise


# -- settling promises ------------------------------------------------------------------------

@dataclass
class PromiseRun:
    kept: int = 0
    broken: int = 0
    pending: int = 0

    @property
    def summary(self) -> str:
        return "; ".join((_n("${n} promise kept", "${n} promises kept", self.kept),
                          _n("${n} broken", "${n} broken", self.broken),
                          _n("${n} still pending", "${n} still pending", self.pending)))


def _paid(session, promises: list[Promise], grace: int) -> dict[int, Decimal]:
    """Promise id -> repayments on its loan from the day it was made to its due date + grace days.

    One query per chunk of loans (not one per promise); the windows are summed here.
    """
    if not promises:
        return {}
    case_ids = sorted({p.case_id for p in promises})
    loans: dict[int, int] = {}
    for start in range(0, len(case_ids), CHUNK):
        loans.update(session.execute(select(Case.id, Case.loan_id)
                                     .where(Case.id.in_(case_ids[start:start + CHUNK]))).all())
    loan_ids = sorted(set(loans.values()))
    since = min(p.made_on for p in promises)
    payments: dict[int, list] = {}
    for start in range(0, len(loan_ids), CHUNK):
        for loan_id, paid_on, amount in session.execute(
                select(Repayment.loan_id, Repayment.paid_on, Repayment.amount)
                .where(Repayment.loan_id.in_(loan_ids[start:start + CHUNK]), Repayment.paid_on >= since)):
            payments.setdefault(loan_id, []).append((paid_on, amount))
    out = {}
    for promise in promises:
        last = promise.due_on + timedelta(days=grace)
        out[promise.id] = money(sum((amount for paid_on, amount in payments.get(loans[promise.case_id], ())
                                     if promise.made_on <= paid_on <= last), ZERO))
    return out


def settle(session, promises: list[Promise], today: date, *, may_break: bool) -> PromiseRun:
    values = config.settings(session)
    threshold, grace = config.promise_threshold(values), config.promise_grace_days(values)
    paid = _paid(session, promises, grace)
    run = PromiseRun()
    for promise in promises:
        promise.paid_amount = paid[promise.id]
        if promise.paid_amount >= threshold * promise.amount:
            _resolve(session, promise, "kept", today)
            run.kept += 1
        elif may_break and today > promise.due_on + timedelta(days=grace):
            _resolve(session, promise, "broken", today)
            run.broken += 1
        else:
            run.pending += 1
    session.flush()
    return run


def _resolve(session, promise: Promise, status: str, today: date) -> None:
    promise.status, promise.resolved_on = status, today
    case = session.get(Case, promise.case_id)
    if status == "broken":
        case.broken_promises += 1
        events.promise_broken(session, case, promise)
    if case.status == "promised":
        case.status = "open"
    if case.promise_due == promise.due_on:
        case.promise_due = None
    record_event(session, f"promise_{status}", "collections.case", case.id,
                 {"promise": promise.id, "amount": promise.amount, "due_on": promise.due_on,
                  "paid": promise.paid_amount})


def check_promises(session) -> PromiseRun:
    """The promise job: mark every pending promise kept or, once its day has passed, broken."""
    today = config.today(session)
    pending = list(session.scalars(select(Promise).where(Promise.status == "pending").order_by(Promise.id)))
    return settle(session, pending, today, may_break=True)


def on_repayment(session, case: Case) -> PromiseRun:
    """A repayment arrived: pending promises of the case that it fulfils are kept at once."""
    pending = list(session.scalars(select(Promise).where(Promise.case_id == case.id, Promise.status == "pending")))
    return settle(session, pending, config.today(session), may_break=False)
