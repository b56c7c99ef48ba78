"""Investors' cash accounts: an append-only ledger whose sum is the balance.

``balance`` = sum of the customer's cash entries. ``reserved`` = their open
investments (money promised to listed applications). ``available`` =
balance − reserved: what they may still invest or withdraw. No balance
column is ever updated in place.

Concurrency: every service that reads ``available`` and writes against it
first locks the customer row (:func:`lock_customer`, i.e.
:func:`core.db.lock`), so two withdrawals or investments at once queue and
the second sees what the first spent; a refusal because the money is no
longer there is a :class:`core.errors.ConflictError` (HTTP 409).

Limits (:mod:`.limits`): an amount is at most ``lending.max_amount``; an
entry's date is not in the future.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, insert, select

from core import context
from core.audit import record_event
from core.db import lock
from core.errors import ConflictError, UserError
from core.money import ZERO, money
from plugins.lending.i18n import _
from plugins.lending.i18n import amount as amount_text
from plugins.lending.models import CashEntry, Customer, Investment
from plugins.lending.services import limits


def balance(session, customer_id: int) -> Decimal:
    total = session.scalar(select(func.sum(CashEntry.amount)).where(CashEntry.customer_id == customer_id))
    return money(total or 0)


def reserved(session, customer_id: int) -> Decimal:
    total = session.scalar(select(func.sum(Investment.amount)).where(
        Investment.investor_id == customer_id, Investment.status == "reserved"))
    return money(total or 0)


def available(session, customer_id: int) -> Decimal:
    return balance(session, customer_id) - reserved(session, customer_id)


def lock_customer(session, customer_id: int) -> Customer:
    """The customer row, locked until commit (:func:`core.db.lock`).

    Taken before reading ``available`` and writing against it, so two
    concurrent investments or withdrawals cannot both spend the same money.
    """
    customer = lock(session, Customer, customer_id)
    if customer is None:
        raise UserError(_("There is no customer ${id}.", mapping={"id": customer_id}), "investor_id")
    return customer


def _positive(session, amount, field: str = "amount") -> Decimal:
    try:
        value = money(amount)
    except (TypeError, ArithmeticError, ValueError):
        raise UserError(_("'${value}' is not an amount; write it like ${example}.",
                          mapping={"value": str(amount)[:40], "example": amount_text(Decimal("1234.50"))}),
                        field) from None
    if value <= ZERO:
        raise UserError(_("Enter an amount greater than zero."), field)
    return limits.check_amount(session, value, field)


def _entry_date(session, entry_date: date | None, what: str) -> date:
    """The entry's business date: today unless given; never in the future."""
    if entry_date is None:
        return context.today(session)
    return limits.check_date(session, entry_date, "entry_date",
                             _("The deposit date") if what == "deposit" else _("The withdrawal date"))


def _require_investor(customer: Customer) -> None:
    if not customer.is_investor:
        raise UserError(_("${name} is a borrower only; make them an investor (role 'both') to give them a cash "
                          "account.", mapping={"name": customer.name}), "customer_id")


def add_entry(session, customer_id: int, kind: str, amount: Decimal, entry_date: date, *, reference: str = "",
              memo: str = "", loan_id: int | None = None, repayment_id: int | None = None) -> CashEntry:
    entry = CashEntry(customer_id=customer_id, kind=kind, amount=money(amount), entry_date=entry_date,
                      reference=reference[:100], memo=memo[:200], loan_id=loan_id, repayment_id=repayment_id)
    session.add(entry)
    return entry


def add_entries(session, rows: list[dict]) -> None:
    """Many entries in one executemany (repayment shares, disbursements): no ORM objects."""
    if rows:
        session.execute(insert(CashEntry), rows)


def deposit(session, customer: Customer, amount, *, entry_date: date | None = None, reference: str = "",
            memo: str = "") -> CashEntry:
    """Money the investor transferred in."""
    _require_investor(customer)
    value = _positive(session, amount)
    day = _entry_date(session, entry_date, "deposit")
    lock_customer(session, customer.id)
    entry = add_entry(session, customer.id, "deposit", value, day, reference=reference, memo=memo or "Deposit")
    session.flush()
    record_event(session, "cash_deposit", "lending.customer", customer.id,
                 {"amount": value, "reference": reference, "entry": entry.id})
    context.hooks(session).lending_cash_deposited(entry=entry)
    return entry


def withdraw(session, customer: Customer, amount, *, entry_date: date | None = None, reference: str = "",
             memo: str = "") -> CashEntry:
    """Money paid out to the investor; never more than what is available."""
    _require_investor(customer)
    value = _positive(session, amount)
    day = _entry_date(session, entry_date, "withdrawal")
    lock_customer(session, customer.id)
    free = available(session, customer.id)
    if value > free:
        raise ConflictError(_("${name} has only ${amount} available (balance minus reserved investments); withdraw "
                              "at most that.", mapping={"name": customer.name, "amount": amount_text(free)}),
                            "amount")
    entry = add_entry(session, customer.id, "withdrawal", -value, day, reference=reference, memo=memo or "Withdrawal")
    session.flush()
    record_event(session, "cash_withdrawal", "lending.customer", customer.id,
                 {"amount": value, "reference": reference, "entry": entry.id})
    context.hooks(session).lending_cash_withdrawn(entry=entry)
    return entry


def statement(session, customer_id: int, start: date | None = None, end: date | None = None) -> dict:
    """Opening balance, the entries of the period with a running balance, closing balance."""
    opening = ZERO
    if start is not None:
        opening = money(session.scalar(select(func.sum(CashEntry.amount)).where(
            CashEntry.customer_id == customer_id, CashEntry.entry_date < start)) or 0)
    stmt = select(CashEntry).where(CashEntry.customer_id == customer_id)
    if start is not None:
        stmt = stmt.where(CashEntry.entry_date >= start)
    if end is not None:
        stmt = stmt.where(CashEntry.entry_date <= end)
    rows, running = [], opening
    credits = debits = ZERO
    for entry in session.scalars(stmt.order_by(CashEntry.entry_date, CashEntry.id)):
        running += entry.amount
        if entry.amount >= 0:
            credits += entry.amount
        else:
            debits += entry.amount
        rows.append((entry, running))
    return {"opening": opening, "rows": rows, "closing": running, "credits": credits, "debits": debits}
